package dev.weft.store;

import java.time.Instant;

/**
 * A collaborator the repository's own knot announced ({@code sh.tangled.repo.collaboratorUpdate},
 * spec tangled-ci 2.1): {@code subject} has push rights on the repository {@code repoDid}.
 */
public record KnotCollaborator(String repoDid, String subject, String knot, Instant since) {
}
