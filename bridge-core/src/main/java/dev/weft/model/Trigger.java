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
 */
public record Trigger(PipelineId pipeline, RepoRef repo, TriggerKind kind, List<Workflow> workflows,
                      Instant receivedAt) {
    public Trigger {
        Objects.requireNonNull(pipeline, "pipeline");
        Objects.requireNonNull(repo, "repo");
        Objects.requireNonNull(kind, "kind");
        workflows = List.copyOf(workflows);
        Objects.requireNonNull(receivedAt, "receivedAt");
    }

    /** The commit this trigger is about: push newSha, PR sourceSha, empty for manual. */
    public String sha() {
        return switch (kind) {
            case TriggerKind.Push p -> p.newSha();
            case TriggerKind.PullRequest pr -> pr.sourceSha();
            case TriggerKind.Manual m -> "";
        };
    }
}
