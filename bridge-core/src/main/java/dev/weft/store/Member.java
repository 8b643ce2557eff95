package dev.weft.store;

import java.time.Instant;

/**
 * A spindle member: the DID the owner's {@code sh.tangled.spindle.member} record names, which
 * record ({@code source}, its at-uri) and since when.
 */
public record Member(String rkey, String subject, String source, Instant since) {
}
