package dev.weft.model;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

import java.util.EnumSet;

import static dev.weft.model.QueueState.LEFT;
import static dev.weft.model.QueueState.RUNNING;
import static dev.weft.model.QueueState.WAITING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

class QueueStateTest {
    @Test
    @DisplayName("a queued run waits, may take the group, and leaves from either; nothing goes back")
    void moves() {
        assertEquals(EnumSet.of(RUNNING, LEFT), WAITING.successors());
        assertEquals(EnumSet.of(LEFT), RUNNING.successors());
        assertEquals(EnumSet.noneOf(QueueState.class), LEFT.successors());
        assertFalse(RUNNING.canMoveTo(WAITING));
        assertEquals(EnumSet.of(WAITING), QueueState.predecessors(RUNNING));
        assertEquals(EnumSet.of(WAITING, RUNNING), QueueState.predecessors(LEFT));
    }

    @Test
    @DisplayName("stored names read back; an unknown one is refused")
    void wire() {
        for (QueueState q : QueueState.values()) assertEquals(q, QueueState.fromWire(q.wireName()));
        assertThrows(IllegalArgumentException.class, () -> QueueState.fromWire("paused"));
    }
}
