package dev.weft.pulls;

import java.util.Objects;

/** What the author's PDS gave instead of a pull record or a patch; the message says which and where. */
public final class PatchException extends Exception {
    /** Why, for the {@code outcome} tag of the {@code weft.pulls} counter. */
    public enum Reason {
        /** The DID or the PDS could not be reached, timed out, or answered an error. */
        UNREACHABLE("fetch_failed"),
        /** The PDS is on a private or special-purpose address, or named by an unusable URL. */
        REFUSED_ADDRESS("refused_address"),
        /** The blob (or, inflated, the patch) is larger than allowed. */
        TOO_LARGE("too_large"),
        /** The blob is not gzip, or is corrupt. */
        NOT_GZIP("not_gzip"),
        /** The inflated blob holds no {@code git format-patch} header. */
        NOT_A_PATCH("not_a_patch");

        private final String outcome;

        Reason(String outcome) {
            this.outcome = outcome;
        }

        /** The counter tag value. */
        public String outcome() {
            return outcome;
        }
    }

    private final Reason reason;

    public PatchException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
