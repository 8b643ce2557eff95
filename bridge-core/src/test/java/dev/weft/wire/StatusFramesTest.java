package dev.weft.wire;

import dev.weft.model.Status;
import dev.weft.model.StatusEvent;
import dev.weft.model.WorkflowId;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StatusFramesTest {

    private static final WorkflowId WF = new WorkflowId("localhost:5555", "3lzabcxyz2k2a", "ci.yml");

    private static String frame(Status s, Instant at) {
        String rkey = Tid.fromEventId(1_779_444_000_000_000_123L);
        return new String(StatusFrames.frame(new StatusEvent(1, rkey, WF, s, at)), StandardCharsets.UTF_8);
    }

    @Test
    @DisplayName("A failed status frame carries error and exitCode -1 in Go's key order")
    void failedFrame() {
        String rkey = Tid.fromEventId(1_779_444_000_000_000_123L);
        String got = frame(new Status.Failed("exit status 1: <nil> & \"x\"", -1),
                Instant.parse("2026-11-22T10:00:00.750Z"));
        assertEquals("{\"rkey\":\"" + rkey + "\",\"nsid\":\"sh.tangled.pipeline.status\","
                + "\"event\":{\"$type\":\"\",\"createdAt\":\"2026-11-22T10:00:00Z\","
                + "\"error\":\"exit status 1: \\u003cnil\\u003e \\u0026 \\\"x\\\"\",\"exitCode\":-1,"
                + "\"pipeline\":\"at://did:web:localhost:5555/sh.tangled.pipeline/3lzabcxyz2k2a\","
                + "\"status\":\"failed\",\"workflow\":\"ci.yml\"},\"created\":1}", got);
    }

    @Test
    @DisplayName("Statuses without error or exit code omit both keys")
    void plainStatuses() {
        Instant at = Instant.parse("2026-11-22T10:00:01Z");
        for (Status s : new Status[]{new Status.Pending(), new Status.Running(), new Status.Success(),
                new Status.Timeout(null), new Status.Cancelled("")}) {
            String got = frame(s, at);
            String expectedEvent = "{\"$type\":\"\",\"createdAt\":\"2026-11-22T10:00:01Z\","
                    + "\"pipeline\":\"at://did:web:localhost:5555/sh.tangled.pipeline/3lzabcxyz2k2a\","
                    + "\"status\":\"" + s.state().wireName() + "\",\"workflow\":\"ci.yml\"}";
            assertEquals("{\"rkey\":\"" + Tid.fromEventId(1_779_444_000_000_000_123L)
                    + "\",\"nsid\":\"sh.tangled.pipeline.status\",\"event\":" + expectedEvent + ",\"created\":1}", got);
        }
    }

    @Test
    @DisplayName("A timeout with a message carries the error but no exit code")
    void timeoutWithMessage() {
        String got = frame(new Status.Timeout("ran past 5m"), Instant.parse("2026-11-22T10:00:02Z"));
        assertEquals(true, got.contains(",\"error\":\"ran past 5m\",\"pipeline\":"), got);
    }

    @Test
    @DisplayName("The frame is spec 5.3's envelope around the separately encoded record")
    void frameMatchesComposition() {
        Instant at = Instant.parse("2026-11-22T10:00:03Z");
        String rkey = Tid.fromEventId(1_779_444_000_000_000_123L);
        byte[] record = GoJson.statusRecord(new StatusRecord("", "2026-11-22T10:00:03Z", "boom", 137L,
                WF.pipeline().atUri(), "failed", "ci.yml"));
        String expected = "{\"rkey\":\"" + rkey + "\",\"nsid\":\"" + StatusFrames.NSID + "\",\"event\":"
                + new String(record, StandardCharsets.UTF_8) + ",\"created\":1}";
        assertEquals(expected, frame(new Status.Failed("boom", 137), at));
    }
}
