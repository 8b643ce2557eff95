package dev.weft.store.jdbc;

import dev.weft.store.BuildStore;
import dev.weft.store.ConcurrencyStore;
import dev.weft.store.LeaseStore;
import dev.weft.store.LogStore;
import dev.weft.store.NotificationStore;
import dev.weft.store.OperatorSessionStore;
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
    private final ConcurrencyStore concurrency;
    private final OperatorSessionStore operatorSessions;

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
        this.concurrency = new JdbcConcurrencyStore(db);
        this.operatorSessions = new JdbcOperatorSessionStore(db);
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
    public ConcurrencyStore concurrency() {
        return concurrency;
    }

    @Override
    public OperatorSessionStore operatorSessions() {
        return operatorSessions;
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

    /**
     * The knots of every registered repository, read on one connection of {@code source} without
     * writing (for {@code weft doctor}); empty when the schema has no repositories table yet.
     */
    protected static java.util.Set<String> registeredKnots(javax.sql.DataSource source) throws java.sql.SQLException {
        java.util.Set<String> out = new java.util.TreeSet<>();
        try (java.sql.Connection c = source.getConnection()) {
            try (java.sql.ResultSet t = c.getMetaData().getTables(null, null, "repos", null)) {
                if (!t.next()) return out;
            }
            try (var s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery("SELECT DISTINCT knot FROM repos")) {
                while (rs.next()) {
                    String k = rs.getString(1);
                    if (k != null && !k.isBlank()) out.add(k);
                }
            }
        }
        return out;
    }
}
