package dev.weft.wire;

/**
 * A value that Go's {@code encoding/json} refuses to encode, with Go's own error text as the
 * message. Upstream's {@code json.Marshal} fails on these (a {@code time.Time} whose year is outside
 * 0..9999 or whose zone hour is outside 0..23), so weft must not invent some other rendering a peer
 * has never seen; keeping Go's exact text lets golden vectors record the failure as their expected
 * output. Unchecked because it signals a bad value, which callers cannot recover from locally.
 */
public final class WireEncodingException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public WireEncodingException(String message) {
        super(message);
    }
}
