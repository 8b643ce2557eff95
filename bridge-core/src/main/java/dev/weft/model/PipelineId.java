package dev.weft.model;

import java.util.Objects;

/**
 * A pipeline as Tangled names it: the knot host the trigger arrived from and the rkey of the knot
 * event. Its AT-URI writes the knot verbatim (a port stays {@code did:web:localhost:5555}).
 */
public record PipelineId(String knot, String rkey) {
    public PipelineId {
        Objects.requireNonNull(knot, "knot");
        Objects.requireNonNull(rkey, "rkey");
    }

    /** {@code at://did:web:<knot>/sh.tangled.pipeline/<rkey>}. */
    public String atUri() {
        return "at://did:web:" + knot + "/sh.tangled.pipeline/" + rkey;
    }

    /** Parses {@link #atUri()}; empty when the text is not a pipeline AT-URI. */
    public static java.util.Optional<PipelineId> parseAtUri(String uri) {
        String prefix = "at://did:web:";
        String mid = "/sh.tangled.pipeline/";
        if (uri == null || !uri.startsWith(prefix)) return java.util.Optional.empty();
        int m = uri.indexOf(mid, prefix.length());
        if (m <= prefix.length()) return java.util.Optional.empty();
        String knot = uri.substring(prefix.length(), m);
        String rkey = uri.substring(m + mid.length());
        if (rkey.isEmpty() || rkey.contains("/")) return java.util.Optional.empty();
        return java.util.Optional.of(new PipelineId(knot, rkey));
    }

    @Override
    public String toString() {
        return knot + "/" + rkey;
    }
}
