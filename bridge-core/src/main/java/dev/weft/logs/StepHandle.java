package dev.weft.logs;

import dev.weft.spi.Step;

/**
 * What every step handed to a provider keeps: its number, its name and whether it ended. The two
 * kinds differ only in where their lines go: {@link RunLogWriter}'s into the run's log, those of a
 * {@link ParkedLog} into the store's inbox for the driving instance.
 */
abstract class StepHandle implements Step {
    final int id;
    final String name;
    /** Set under the owning log's lock; read by anyone. */
    volatile boolean ended;

    StepHandle(int id, String name, boolean ended) {
        this.id = id;
        this.name = name;
        this.ended = ended;
    }

    @Override
    public int id() {
        return id;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean ended() {
        return ended;
    }
}
