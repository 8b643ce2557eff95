package dev.weft.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An accepted {@code sh.tangled.pipeline} record: where it came from, what caused it, and its
 * workflows ({@code null} workflows already dropped).
 *
 * @param pipeline   (knot the frame came from, event rkey)
 * @param repo       {@code triggerMetadata.repo}
 * @param kind       push, pull request or manual, with its fields
 * @param workflows  the non-null workflows, in record order
 * @param receivedAt local time the frame was received; the first status waits on it
 * @param sourceRepo the DID of the repository the code comes from when it is not {@code repo}
 *                   (a fork), else empty: such a run is untrusted and gets no repository secrets
 * @param actor      the DID of whoever caused it when known (a push's committer, a manual run's
 *                   caller), else empty; notifications name this person, not the repository owner
 */
public record Trigger(PipelineId pipeline, RepoRef repo, TriggerKind kind, List<Workflow> workflows,
                      Instant receivedAt, String sourceRepo, String actor) {
    public Trigger {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(repo, "repo");
        Objects.requireNonNull(kind, "kind");
        workflows = List.copyOf(workflows);
        Objects.requireNonNull(receivedAt, "receivedAt");
        sourceRepo = sourceRepo == null ? "" : sourceRepo;
        actor = actor == null ? "" : actor;
    }

    public Trigger(PipelineId pipeline, RepoRef repo, TriggerKind kind, List<Workflow> workflows, Instant receivedAt,
                   String sourceRepo) {
        this(pipeline, repo, kind, workflows, receivedAt, sourceRepo, "");
    }

    public Trigger(PipelineId pipeline, RepoRef repo, TriggerKind kind, List<Workflow> workflows, Instant receivedAt) {
        this(pipeline, repo, kind, workflows, receivedAt, "", "");
    }

    /** Whether the code comes from another repository than the one the pipeline belongs to. */
    public boolean untrusted() {
        return !sourceRepo.isEmpty() && !sourceRepo.equals(repo.repoDid());
    }

    /** The commit this trigger is about: push newSha, PR sourceSha, the manual sha (empty from legacy knots). */
    public String sha() {
        return switch (kind) {
            case TriggerKind.Push p -> p.newSha();
            case TriggerKind.PullRequest pr -> pr.sourceSha();
            case TriggerKind.Manual m -> m.sha();
        };
    }
}
