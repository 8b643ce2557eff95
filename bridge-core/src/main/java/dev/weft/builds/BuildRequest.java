package dev.weft.builds;

import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef;
import dev.weft.pipelines.WorkflowTrigger;

import java.time.Instant;
import java.util.Objects;

/**
 * A pipeline to build: everything needed to read and compile the workflows, fixed when the
 * request is accepted (its pipeline id included, so a retry after a crash builds the same one).
 *
 * @param repo       the repository the pipeline belongs to, as registered
 * @param trigger    what to compile for
 * @param sha        the commit whose {@code .tangled/workflows} is read
 * @param codeKnot   the knot serving the code (the fork's, for a fork)
 * @param codeRepo   the DID of the repository the code is read from (the fork's, for a fork)
 * @param sourceRepo the fork's DID when the code is not {@code repo}'s, else empty
 * @param actor      who caused it (the push's committer, the manual run's caller), else empty
 */
public record BuildRequest(PipelineId pipeline, RepoRef repo, WorkflowTrigger trigger, String sha, String codeKnot,
                           String codeRepo, String sourceRepo, Instant receivedAt, String actor) {
    public BuildRequest {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(repo, "repo");
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(sha, "sha");
        Objects.requireNonNull(codeKnot, "codeKnot");
        Objects.requireNonNull(codeRepo, "codeRepo");
        sourceRepo = sourceRepo == null ? "" : sourceRepo;
        Objects.requireNonNull(receivedAt, "receivedAt");
        actor = actor == null ? "" : actor;
    }

    public BuildRequest(PipelineId pipeline, RepoRef repo, WorkflowTrigger trigger, String sha, String codeKnot,
                        String codeRepo, String sourceRepo, Instant receivedAt) {
        this(pipeline, repo, trigger, sha, codeKnot, codeRepo, sourceRepo, receivedAt, "");
    }
}
