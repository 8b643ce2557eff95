package dev.weft.knot;

import java.util.Objects;

/**
 * {@code sh.tangled.repo.collaboratorUpdate} from a knot's stream: {@code subject} gains or loses
 * push rights on the repository {@code repoDid} (spec tangled-ci 2.1). Only the repository's own
 * knot may say so; the registry checks that against {@code knot}.
 */
public record CollaboratorUpdate(String knot, boolean add, String subject, String repoDid) {
    public CollaboratorUpdate {
        Objects.requireNonNull(knot, "knot");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(repoDid, "repoDid");
    }
}
