package dev.weft.store.sqlite;

import dev.weft.store.LogStore;
import dev.weft.store.NotificationStore;
import dev.weft.store.PipelineQueries;
import dev.weft.store.RegistryStore;
import dev.weft.store.RunStore;
import dev.weft.store.SecretStore;
import dev.weft.store.BuildStore;
import dev.weft.store.StatusStore;
import dev.weft.store.Stores;

import java.nio.file.Path;

/** The embedded default: every store over one SQLite file. */
public final class SqliteStores implements Stores {
    private final SqliteDatabase db;
    private final RunStore runs;
    private final StatusStore statuses;
    private final LogStore logs;
    private final RegistryStore registry;
    private final SecretStore secrets;
    private final BuildStore builds;
    private final PipelineQueries pipelines;
    private final NotificationStore notifications;

    private SqliteStores(SqliteDatabase db) {
        this.db = db;
        this.runs = new SqliteRunStore(db);
        this.statuses = new SqliteStatusStore(db);
        this.logs = new SqliteLogStore(db);
        this.registry = new SqliteRegistryStore(db);
        this.secrets = new SqliteSecretStore(db);
        this.builds = new SqliteBuildStore(db);
        this.pipelines = new SqlitePipelineQueries(db);
        this.notifications = new SqliteNotificationStore(db);
    }

    /** Opens (creating when absent) the database file and brings its schema up to date. */
    public static SqliteStores open(Path file) {
        return new SqliteStores(SqliteDatabase.open(file));
    }

    public Path file() {
        return db.file();
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
    public SecretStore secrets() {
        return secrets;
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
