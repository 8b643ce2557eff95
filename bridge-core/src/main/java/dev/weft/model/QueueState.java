package dev.weft.model;

import java.util.EnumSet;
import java.util.Set;

/**
 * Where a run stands in its concurrency group's queue, with every legal move in this one place:
 * {@code waiting -> running -> left} and {@code waiting -> left}. A run joins {@code waiting}; it
 * moves to {@code running} when it takes the group's one slot (no other member running, none
 * ahead of it in trigger order), which is when it is handed to its provider and its workflow
 * timeout starts; it leaves when its run ends, whatever the end (the store deletes the entry in the
 * transaction that stores the terminal status), so {@code left} is never stored.
 */
public enum QueueState {
    WAITING("waiting"),
    RUNNING("running"),
    LEFT("left");

    private final String wire;

    QueueState(String wire) {
        this.wire = wire;
    }

    /** The value stored in {@code concurrency_queue.state} and shown by {@code weft runs}. */
    public String wireName() {
        return wire;
    }

    /** The states this one may move to. */
    public Set<QueueState> successors() {
        return switch (this) {
            case WAITING -> EnumSet.of(RUNNING, LEFT);
            case RUNNING -> EnumSet.of(LEFT);
            case LEFT -> EnumSet.noneOf(QueueState.class);
        };
    }

    public boolean canMoveTo(QueueState next) {
        return successors().contains(next);
    }

    /** The states that may move to {@code next}: what a store's guarded update accepts. */
    public static Set<QueueState> predecessors(QueueState next) {
        Set<QueueState> out = EnumSet.noneOf(QueueState.class);
        for (QueueState q : values()) if (q.canMoveTo(next)) out.add(q);
        return out;
    }

    public static QueueState fromWire(String s) {
        for (QueueState q : values()) {
            if (q.wire.equals(s)) return q;
        }
        throw new IllegalArgumentException("unknown queue state " + s);
    }
}
