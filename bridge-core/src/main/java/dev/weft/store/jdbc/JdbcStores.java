package dev.weft.store.jdbc;

import dev.weft.store.BuildStore;
import dev.weft.store.LeaseStore;
import dev.weft.store.LogStore;
import dev.weft.store.NotificationStore;
import dev.weft.store.PipelineQueries;
import dev.weft.store.RegistryStore;
import dev.weft.store.RunStore;
import dev.weft.store.SecretStore;
import dev.weft.store.StatusStore;
import dev.weft.store.Stores;

/**
 * Every store over one {@link Database}. Each backend's public entry point ({@code SqliteStores},
 * {@code PostgresStores}) extends this with how it opens its database, so the store logic and SQL
 * exist once.
 */
public abstract class JdbcStores implements Stores {
    private final Database db;
    private final RunStore runs;
    private final StatusStore statuses;
    private final LogStore logs;
    private final RegistryStore registry;
    private final SecretStore secrets;
    private final BuildStore builds;
    private final PipelineQueries pipelines;
    private final NotificationStore notifications;
    private final LeaseStore leases;

    protected JdbcStores(Database db) {
        this(db, null);
    }

    /**
     * @param owner the instance that drives the runs this store inserts ({@link LeaseStore#adoptRuns});
     *              null where one instance has the database to itself (SQLite)
     */
    protected JdbcStores(Database db, String owner) {
        this.db = db;
        this.runs = new JdbcRunStore(db, owner);
        this.leases = new JdbcLeaseStore(db);
        this.statuses = new JdbcStatusStore(db);
        this.logs = new JdbcLogStore(db);
        this.registry = new JdbcRegistryStore(db);
        this.secrets = new JdbcSecretStore(db);
        this.builds = new JdbcBuildStore(db);
        this.pipelines = new JdbcPipelineQueries(db);
        this.notifications = new JdbcNotificationStore(db);
    }

    @Override
    public RunStore runs() {
        return runs;
    }

    @Override
    public StatusStore statuses() {
        return statuses;
    }

    @Override
    public LogStore logs() {
        return logs;
    }

    @Override
    public RegistryStore registry() {
        return registry;
    }

    @Override
    public BuildStore builds() {
        return builds;
    }

    @Override
    public PipelineQueries pipelines() {
        return pipelines;
    }

    @Override
    public NotificationStore notifications() {
        return notifications;
    }

    @Override
    public LeaseStore leases() {
        return leases;
    }

    @Override
    public SecretStore secrets() {
        return secrets;
    }

    @Override
    public dev.weft.store.StoreSignals signals() {
        return db.signals();
    }

    @Override
    public String check() {
        try {
            db.read(s -> s.queryLong("SELECT 1"));
            return "ok";
        } catch (RuntimeException e) {
            return "error: " + e.getMessage();
        }
    }

    @Override
    public String schemaVersion() {
        return db.schemaVersion();
    }

    @Override
    public void close() {
        db.close();
    }
}
