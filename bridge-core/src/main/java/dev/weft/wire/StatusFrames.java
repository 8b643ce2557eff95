package dev.weft.wire;

import dev.weft.model.StatusEvent;
import dev.weft.model.Status;

import java.util.Optional;

/**
 * The text frames of {@code /events}: one {@link StatusEvent} as the envelope the rewritten
 * upstream spindle sends, {@code {"rkey":"<TID>","nsid":"sh.tangled.pipeline.status","event":<status
 * record>,"created":<event id>}} (spec tangled-ci 5.3). Legacy appviews read the same frame: they
 * decode it into a map, so the key order and the extra {@code created} do not matter to them.
 *
 * <p>Why these exact choices: the appview parses the frame with Go, so keys, order and escaping
 * follow {@link GoJson}; {@code $type} stays empty because upstream leaves it empty;
 * {@code createdAt} is written in UTC at second precision because that is what upstream writes and
 * all the appview stores; {@code error} and {@code exitCode} appear only when the status has them.
 * The record is encoded straight into the envelope, without an intermediate array.
 */
public final class StatusFrames {
    /** The collection the appview dispatches on. */
    public static final String NSID = "sh.tangled.pipeline.status";

    private StatusFrames() {
    }

    /** The complete frame bytes for one status event. */
    public static byte[] frame(StatusEvent e) {
        WireBuffer b = GoJson.scratch();
        frame(b, e);
        return GoJson.finish(b);
    }

    /** Appends {@link #frame(StatusEvent)}'s bytes to {@code out}. */
    public static void frame(WireBuffer out, StatusEvent e) {
        Status s = e.status();
        Optional<String> error = s.error();
        Optional<Long> exitCode = s.exitCode();
        GoJson.eventHead(out, e.rkey(), NSID);
        GoJson.statusRecord(out, "", e.createdAt(), error.orElse(null), exitCode.isPresent(),
                exitCode.orElse(0L), e.workflow().pipeline().atUri(), s.state().wireName(), e.workflow().name());
        GoJson.eventTail(out, e.id());
    }
}
