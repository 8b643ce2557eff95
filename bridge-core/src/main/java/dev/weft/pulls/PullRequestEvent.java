package dev.weft.pulls;

import java.util.Objects;
import java.util.Set;

/**
 * A pull-request trigger: what the pipeline machinery needs to run a branch PR's workflows, read
 * from the target repo's clone at {@code sourceSha} (spec tangled-ci 2.4).
 *
 * @param authorDid     the DID of the PR's author (not of whoever changed its status)
 * @param pullUri       {@code at://<author>/sh.tangled.repo.pull/<rkey>}
 * @param targetRepoDid the repo DID the PR wants to merge into
 * @param targetBranch  the branch it wants to merge into
 * @param sourceBranch  the branch it comes from, in the same repo
 * @param sourceSha     the head commit: the last patch of the last round (40 lowercase hex)
 * @param action        {@code opened}, {@code synchronize}, {@code reopened}, {@code closed} or {@code merged}
 */
public record PullRequestEvent(String authorDid, String pullUri, String targetRepoDid, String targetBranch,
                               String sourceBranch, String sourceSha, String action) {
    /** The actions a trigger can carry, as the workflow {@code when} filter spells them. */
    public static final Set<String> ACTIONS = Set.of("opened", "synchronize", "reopened", "closed", "merged");

    public PullRequestEvent {
        Objects.requireNonNull(authorDid, "authorDid");
        Objects.requireNonNull(pullUri, "pullUri");
        Objects.requireNonNull(targetRepoDid, "targetRepoDid");
        Objects.requireNonNull(targetBranch, "targetBranch");
        Objects.requireNonNull(sourceBranch, "sourceBranch");
        Objects.requireNonNull(sourceSha, "sourceSha");
        if (!ACTIONS.contains(Objects.requireNonNull(action, "action"))) {
            throw new IllegalArgumentException("unknown pull request action " + action);
        }
    }
}
