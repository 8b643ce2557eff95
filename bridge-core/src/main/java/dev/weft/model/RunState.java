package dev.weft.model;

import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;

/**
 * The status state machine of one workflow run, with every legal transition in this one place:
 * {@code pending -> running -> {success, failed, timeout, cancelled}} and
 * {@code pending -> {failed, cancelled, timeout}}. Terminal states are final.
 */
public enum RunState {
    PENDING("pending"),
    RUNNING("running"),
    SUCCESS("success"),
    FAILED("failed"),
    TIMEOUT("timeout"),
    CANCELLED("cancelled");

    private final String wire;

    RunState(String wire) {
        this.wire = wire;
    }

    /** The {@code status} value of {@code sh.tangled.pipeline.status}. */
    public String wireName() {
        return wire;
    }

    public boolean isTerminal() {
        return this != PENDING && this != RUNNING;
    }

    /** The states this one may move to. */
    public Set<RunState> successors() {
        return switch (this) {
            case PENDING -> EnumSet.of(RUNNING, FAILED, CANCELLED, TIMEOUT);
            case RUNNING -> EnumSet.of(SUCCESS, FAILED, TIMEOUT, CANCELLED);
            default -> EnumSet.noneOf(RunState.class);
        };
    }

    public boolean canMoveTo(RunState next) {
        return successors().contains(next);
    }

    public static Optional<RunState> fromWire(String s) {
        for (RunState r : values()) {
            if (r.wire.equals(s)) return Optional.of(r);
        }
        return Optional.empty();
    }
}
