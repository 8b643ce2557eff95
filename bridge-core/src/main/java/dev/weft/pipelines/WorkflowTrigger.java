package dev.weft.pipelines;

import dev.weft.model.TriggerKind;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a pipeline is compiled for: the {@link TriggerKind} it will carry, plus what only compiling
 * needs (the changed files of a push, the workflow-name filter of an XRPC trigger, the commit of a
 * manual run, which the legacy {@link TriggerKind.Manual} does not hold).
 */
public sealed interface WorkflowTrigger {
    /** The trigger kind as stored and published. */
    TriggerKind kind();

    /**
     * A push. {@code changedFiles} is empty when the knot did not send the field, which is not the
     * same as an empty list: either way a {@code paths} constraint cannot match.
     */
    record Push(TriggerKind.Push kind, Optional<List<String>> changedFiles) implements WorkflowTrigger {
        public Push {
            Objects.requireNonNull(kind, "kind");
            changedFiles = changedFiles.map(List::copyOf);
        }

        public static Push of(String ref, String oldSha, String newSha, List<String> changedFiles) {
            return new Push(new TriggerKind.Push(ref, newSha, oldSha), Optional.ofNullable(changedFiles));
        }
    }

    /**
     * A pull request, always compiled without changed files. {@code workflows} is the XRPC
     * {@code triggerPipeline} name filter (spec 3.4 step 6); automatic pull requests have none.
     */
    record PullRequest(TriggerKind.PullRequest kind, Optional<Set<String>> workflows) implements WorkflowTrigger {
        public PullRequest {
            Objects.requireNonNull(kind, "kind");
            workflows = workflows.map(Set::copyOf);
        }

        public static PullRequest of(String action, String sourceBranch, String sourceSha, String targetBranch) {
            return new PullRequest(new TriggerKind.PullRequest(sourceBranch, targetBranch, sourceSha, action),
                    Optional.empty());
        }
    }

    /**
     * A manual run of {@code sha}: it ignores {@code when}; {@code workflows}, when present and not
     * empty, names the ones to run.
     */
    record Manual(TriggerKind.Manual kind, String sha, Optional<String> ref, Optional<Set<String>> workflows)
            implements WorkflowTrigger {
        public Manual {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(sha, "sha");
            Objects.requireNonNull(ref, "ref");
            workflows = workflows.map(Set::copyOf);
        }

        public static Manual of(String sha, Set<String> workflows) {
            return new Manual(new TriggerKind.Manual(List.of()), sha, Optional.empty(), Optional.ofNullable(workflows));
        }
    }

    /** The name filter, if this trigger has one; an empty filter selects everything, as upstream. */
    default Optional<Set<String>> nameFilter() {
        return switch (this) {
            case Push p -> Optional.empty();
            case PullRequest pr -> pr.workflows().filter(s -> !s.isEmpty());
            case Manual m -> m.workflows().filter(s -> !s.isEmpty());
        };
    }
}
