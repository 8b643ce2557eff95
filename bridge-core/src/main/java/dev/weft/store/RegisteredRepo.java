package dev.weft.store;

import dev.weft.model.RepoRef;

import java.time.Instant;

/** A registration: which repository, which record (or {@code static}) registered it, and since when. */
public record RegisteredRepo(RepoRef.RepoKey repo, String source, Instant since) {
}
