package dev.weft.model;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;

import static dev.weft.model.RunState.CANCELLED;
import static dev.weft.model.RunState.FAILED;
import static dev.weft.model.RunState.PENDING;
import static dev.weft.model.RunState.RUNNING;
import static dev.weft.model.RunState.SUCCESS;
import static dev.weft.model.RunState.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RunStateTest {
    @Test
    @DisplayName("pending may start, fail, be cancelled or time out, but not succeed without running")
    void fromPending() {
        assertEquals(EnumSet.of(RUNNING, FAILED, CANCELLED, TIMEOUT), PENDING.successors());
        assertFalse(PENDING.canMoveTo(SUCCESS));
    }

    @Test
    @DisplayName("running ends in exactly one of the four terminal states")
    void fromRunning() {
        assertEquals(EnumSet.of(SUCCESS, FAILED, TIMEOUT, CANCELLED), RUNNING.successors());
        assertFalse(RUNNING.canMoveTo(PENDING));
    }

    @Test
    @DisplayName("terminal states are final")
    void terminal() {
        for (RunState s : EnumSet.of(SUCCESS, FAILED, TIMEOUT, CANCELLED)) {
            assertTrue(s.isTerminal());
            assertTrue(s.successors().isEmpty(), s + " has no successor");
        }
        assertFalse(PENDING.isTerminal());
        assertFalse(RUNNING.isTerminal());
    }

    @Test
    @DisplayName("wire names round-trip and unknown names are rejected")
    void wire() {
        for (RunState s : RunState.values()) assertEquals(s, RunState.fromWire(s.wireName()).orElseThrow());
        assertTrue(RunState.fromWire("queued").isEmpty());
    }

    @Test
    @DisplayName("pipeline AT-URIs keep the knot verbatim, port included, and parse back")
    void atUri() {
        PipelineId id = new PipelineId("localhost:5555", "3kabc");
        assertEquals("at://did:web:localhost:5555/sh.tangled.pipeline/3kabc", id.atUri());
        assertEquals(id, PipelineId.parseAtUri(id.atUri()).orElseThrow());
        assertTrue(PipelineId.parseAtUri("at://did:plc:x/sh.tangled.pipeline/3k").isEmpty());
        assertTrue(PipelineId.parseAtUri("at://did:web:k/sh.tangled.pipeline/").isEmpty());
    }
}
