package dev.weft.model;

import java.util.Objects;

/**
 * A Tangled repository as triggers and registrations name it.
 *
 * @param knot          the knot host that serves it
 * @param did           the owner's DID
 * @param name          the repository's name (legacy records), or its {@code sh.tangled.repo}
 *                      record key (upgraded knots: spec tangled-ci 2.3 step 5)
 * @param defaultBranch empty from legacy knots; carried, never relied upon
 * @param repoDid       the repository's own DID, empty for repositories known only by
 *                      (knot, owner, name)
 */
public record RepoRef(String knot, String did, String name, String defaultBranch, String repoDid) {
    public RepoRef {
        Objects.requireNonNull(knot, "knot");
        Objects.requireNonNull(did, "did");
        Objects.requireNonNull(name, "name");
        defaultBranch = defaultBranch == null ? "" : defaultBranch;
        repoDid = repoDid == null ? "" : repoDid;
    }

    public RepoRef(String knot, String did, String name, String defaultBranch) {
        this(knot, did, name, defaultBranch, "");
    }

    public RepoRef(String knot, String did, String name) {
        this(knot, did, name, "", "");
    }

    /** The registration key: (knot, did, name), without the branch. */
    public RepoKey key() {
        return new RepoKey(knot, did, name);
    }

    /** Whether the repository is known by its own DID (an upgraded knot's repository). */
    public boolean hasRepoDid() {
        return !repoDid.isEmpty();
    }

    public RepoRef withDefaultBranch(String branch) {
        return new RepoRef(knot, did, name, branch, repoDid);
    }

    /**
     * The clone URL: {@code https://<knot>/<repo DID>} for a repository with a DID (spec tangled-ci
     * 2.8), {@code https://<knot>/<owner>/<name>} for a legacy one; {@code http} in dev mode.
     */
    public String httpUrl(boolean dev) {
        String scheme = dev ? "http://" : "https://";
        return hasRepoDid() ? scheme + knot + "/" + repoDid : scheme + knot + "/" + did + "/" + name;
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
