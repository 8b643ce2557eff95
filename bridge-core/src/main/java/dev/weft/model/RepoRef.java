package dev.weft.model;

import java.util.Objects;

/**
 * A Tangled repository as triggers and registrations name it. {@code defaultBranch} is empty from
 * real knots; it is carried, never relied upon.
 */
public record RepoRef(String knot, String did, String name, String defaultBranch) {
    public RepoRef {
        Objects.requireNonNull(knot, "knot");
        Objects.requireNonNull(did, "did");
        Objects.requireNonNull(name, "name");
        defaultBranch = defaultBranch == null ? "" : defaultBranch;
    }

    public RepoRef(String knot, String did, String name) {
        this(knot, did, name, "");
    }

    /** The registration key: (knot, did, name), without the branch. */
    public RepoKey key() {
        return new RepoKey(knot, did, name);
    }

    /** {@code at://<did>/sh.tangled.repo/<name>} is not what Tangled uses; this is the clone URL. */
    public String httpUrl(boolean dev) {
        return (dev ? "http://" : "https://") + knot + "/" + did + "/" + name;
    }

    /** The identity of a registered repository: (knot, did, name). */
    public record RepoKey(String knot, String did, String name) {
        public RepoKey {
            Objects.requireNonNull(knot, "knot");
            Objects.requireNonNull(did, "did");
            Objects.requireNonNull(name, "name");
        }

        @Override
        public String toString() {
            return knot + "/" + did + "/" + name;
        }
    }
}
