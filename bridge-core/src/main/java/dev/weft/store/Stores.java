package dev.weft.store;

/**
 * Weft's durable state, one narrow store per aggregate, all over one database. Implementations
 * (SQLite, PostgreSQL) pass the contract tests in {@code StoreContract}; nothing outside the store
 * packages names an implementation type except the code that opens one.
 */
public interface Stores extends AutoCloseable {
    RunStore runs();

    StatusStore statuses();

    LogStore logs();

    RegistryStore registry();

    SecretStore secrets();

    BuildStore builds();

    PipelineQueries pipelines();

    /** The notification outbox and incidents. */
    NotificationStore notifications();
    /** Leases and run ownership, for several instances on one database. */
    LeaseStore leases();

    /** The concurrency groups' queues. */
    ConcurrencyStore concurrency();

    /** The console's operator sessions. */
    OperatorSessionStore operatorSessions();

    /** Changes other instances commit to a shared database, as they happen ({@link StoreSignals#NONE} unshared). */
    StoreSignals signals();

    /**
     * From now on, refuses every write (with a {@link StoreException}) made while {@code fenced}
     * answers true, asking it as each write begins and again just before it commits. A daemon on
     * a shared database passes whether its liveness lease has lapsed: once other instances may
     * have adopted its runs and taken its work, nothing it still does, on whatever thread, may
     * land in the database beside what they do. A database one instance has to itself ignores it.
     */
    default void fenceWrites(java.util.function.BooleanSupplier fenced) {
    }

    /** A cheap liveness probe for {@code /healthz}: "ok" or the error. */
    String check();

    /** The schema version the migrations brought the database to. */
    String schemaVersion();

    /** Finishes queued writes and closes the database. */
    @Override
    void close();
}
