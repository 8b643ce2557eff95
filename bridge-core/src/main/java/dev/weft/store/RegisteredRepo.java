package dev.weft.store;

import dev.weft.model.RepoRef;

import java.time.Instant;
import java.util.Objects;

/**
 * A registration: which repository, which record (or {@code static}) registered it, and since when.
 *
 * @param repoDid the repository's own DID, empty for a registration by (knot, owner, name) only
 */
public record RegisteredRepo(RepoRef.RepoKey repo, String source, Instant since, String repoDid) {
    public RegisteredRepo {
        Objects.requireNonNull(repo, "repo");
        repoDid = repoDid == null ? "" : repoDid;
    }

    public RegisteredRepo(RepoRef.RepoKey repo, String source, Instant since) {
        this(repo, source, since, "");
    }

    public boolean hasRepoDid() {
        return !repoDid.isEmpty();
    }

    /** The repository as triggers name it (no default branch). */
    public RepoRef ref() {
        return new RepoRef(repo.knot(), repo.did(), repo.name(), "", repoDid);
    }
}
