package dev.weft.store;

/**
 * Changes committed to a database that several instances share, as they happen: the store sends a
 * small signal in the same transaction as the change (PostgreSQL {@code NOTIFY}), so every
 * instance, the writer's included, hears of it once it is committed, and never of a change that
 * was rolled back. Signals only say where to look; the store stays the truth, so a lost or
 * doubled signal costs a look at the store, never data. A database one instance has to itself
 * (SQLite) has nothing to tell: {@link #NONE}.
 */
public interface StoreSignals extends AutoCloseable {
    /** The payload of {@link Listener#eventsAppended}. */
    String EVENTS = "events";
    /** The payload of {@link Listener#outboxQueued}. */
    String OUTBOX = "outbox";
    /** The payload prefix of {@link Listener#logAppended}, followed by the run id. */
    String LOG = "log:";

    /** What an instance does when told of a change. Called on the store's thread: keep it short, never block. */
    interface Listener {
        /** New frames were appended to the event log ({@link StatusStore#publishAll}). */
        void eventsAppended();

        /** A status or pipeline record was queued in the outbox (a trigger stored, a run's transition). */
        void outboxQueued();

        /** Run {@code runId}'s log got a line or was marked complete. */
        void logAppended(long runId);

        /**
         * Signals may have been lost (the store's listening connection was re-established): look
         * at everything watched, as if every signal had come.
         */
        void missed();
    }

    /**
     * Whether signals are delivered at all. When false, {@link #listen} does nothing and callers
     * rely on polling alone.
     */
    boolean live();

    /**
     * Starts delivering signals to {@code listener} (one listener per store, set once) on a
     * thread the store owns and ends in {@link #close}.
     */
    void listen(Listener listener);

    /** Stops delivering; the store's {@code close} calls it. */
    @Override
    void close();

    /** The signals of a database nobody else writes: none. */
    StoreSignals NONE = new StoreSignals() {
        @Override
        public boolean live() {
            return false;
        }

        @Override
        public void listen(Listener listener) {
        }

        @Override
        public void close() {
        }
    };
}
