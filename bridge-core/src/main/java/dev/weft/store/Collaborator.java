package dev.weft.store;

import java.time.Instant;

/**
 * A repo collaborator from a {@code sh.tangled.repo.collaborator} record authored by the repo's
 * owner ({@code did}): {@code subject} may manage the secrets of {@code repo} (an at-uri).
 */
public record Collaborator(String did, String rkey, String subject, String repo, Instant since) {
}
