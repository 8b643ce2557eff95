package dev.weft.model;

import java.util.List;
import java.util.Objects;

/** What caused a pipeline: the closed set of {@code triggerMetadata.kind} values. */
public sealed interface TriggerKind {
    /** The wire name: {@code push}, {@code pull_request} or {@code manual}. */
    String wireName();

    /** A push of {@code ref} from {@code oldSha} to {@code newSha} (40 zeros for a new ref). */
    record Push(String ref, String newSha, String oldSha) implements TriggerKind {
        public Push {
            Objects.requireNonNull(ref, "ref");
            Objects.requireNonNull(newSha, "newSha");
            oldSha = oldSha == null ? "" : oldSha;
        }

        public String wireName() {
            return "push";
        }

        /** {@code branch} or {@code tag}, from the ref's prefix. */
        public String refType() {
            return ref.startsWith("refs/tags/") ? "tag" : "branch";
        }

        /** The ref without {@code refs/heads/} or {@code refs/tags/}. */
        public String refName() {
            if (ref.startsWith("refs/heads/")) return ref.substring("refs/heads/".length());
            if (ref.startsWith("refs/tags/")) return ref.substring("refs/tags/".length());
            return ref;
        }
    }

    /**
     * A pull request from {@code sourceBranch} at {@code sourceSha} into {@code targetBranch};
     * {@code pull} is the pull record's AT-URI when known (empty from legacy knots and automatic
     * pull-request pipelines, spec tangled-ci 2.4).
     */
    record PullRequest(String sourceBranch, String targetBranch, String sourceSha, String action, String pull)
            implements TriggerKind {
        public PullRequest {
            Objects.requireNonNull(sourceBranch, "sourceBranch");
            Objects.requireNonNull(targetBranch, "targetBranch");
            Objects.requireNonNull(sourceSha, "sourceSha");
            action = action == null ? "" : action;
            pull = pull == null ? "" : pull;
        }

        public PullRequest(String sourceBranch, String targetBranch, String sourceSha, String action) {
            this(sourceBranch, targetBranch, sourceSha, action, "");
        }

        public String wireName() {
            return "pull_request";
        }
    }

    /**
     * A manual run with its inputs, in the order the record gave them. {@code sha} and {@code ref}
     * are empty in legacy knot records; runs weft builds itself ({@code triggerPipeline}) know the
     * commit and, optionally, the ref.
     */
    record Manual(List<Input> inputs, String sha, String ref) implements TriggerKind {
        public Manual {
            inputs = List.copyOf(inputs);
            sha = sha == null ? "" : sha;
            ref = ref == null ? "" : ref;
        }

        public Manual(List<Input> inputs) {
            this(inputs, "", "");
        }

        public String wireName() {
            return "manual";
        }
    }

    /** One manual input. */
    record Input(String key, String value) {
        public Input {
            Objects.requireNonNull(key, "key");
            value = value == null ? "" : value;
        }
    }
}
