package dev.weft.store.sqlite;

import dev.weft.store.StoreException;
import dev.weft.store.jdbc.Database;
import dev.weft.store.jdbc.Migrations;
import dev.weft.store.jdbc.Session;
import dev.weft.store.jdbc.SqlWork;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * The SQLite file itself: pragmas, migrations, the single writer and the readers' connections.
 * WAL lets readers run beside the writer on connections of their own; nobody else opens one.
 */
final class SqliteDatabase implements Database {
    private static final Logger log = LoggerFactory.getLogger(SqliteDatabase.class);
    private static final int READERS = 4;
    /** Connections for long sequential scans (an /events backfill), which map the file. */
    private static final int SCANNERS = 2;
    private static final long SCAN_MMAP_BYTES = 1L << 30;
    /** The schema version the hand-rolled migrator of releases up to 0.1 had reached, if any. */
    private static final String LEGACY_VERSION_TABLE = "schema_version";

    private final Path file;
    private final String url;
    private final SqliteWriter writer;
    private final BlockingQueue<Session> readers = new ArrayBlockingQueue<>(READERS);
    private final BlockingQueue<Session> scanners = new ArrayBlockingQueue<>(SCANNERS);
    private final List<Session> all = new ArrayList<>();
    private final String schemaVersion;

    private SqliteDatabase(Path file) throws SQLException {
        this.file = file;
        this.url = "jdbc:sqlite:" + file.toAbsolutePath();
        this.schemaVersion = migrate(url);
        Session w = new Session(open(Role.WRITER));
        all.add(w);
        for (int i = 0; i < READERS; i++) {
            Session r = new Session(open(Role.READER));
            all.add(r);
            readers.add(r);
        }
        for (int i = 0; i < SCANNERS; i++) {
            Session r = new Session(open(Role.SCANNER));
            all.add(r);
            scanners.add(r);
        }
        this.writer = new SqliteWriter(w, "weft-db-writer");
    }

    static SqliteDatabase open(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            return new SqliteDatabase(file);
        } catch (SQLException | IOException | RuntimeException e) {
            throw new StoreException("cannot open database " + file + ": " + e.getMessage(), e);
        }
    }

    Path file() {
        return file;
    }

    @Override
    public String jsonStrings() {
        return "json_each(?)";
    }

    @Override
    public String schemaVersion() {
        return schemaVersion;
    }

    private enum Role { WRITER, READER, SCANNER }

    private Connection open(Role role) throws SQLException {
        boolean reader = role != Role.WRITER;
        SQLiteConfig c = new SQLiteConfig();
        c.setJournalMode(SQLiteConfig.JournalMode.WAL);
        // NORMAL in WAL mode stays consistent after a crash; only the last commits may be lost on
        // power failure, which the knot rewind and run resume tolerate.
        c.setSynchronous(SQLiteConfig.SynchronousMode.NORMAL);
        c.enforceForeignKeys(true);
        c.setBusyTimeout(5000);
        // Keys come from RETURNING (Session.insertReturningKey); left on, the driver would run an
        // extra query after every INSERT.
        c.setGetGeneratedKeys(false);
        // The writer takes the write lock when its transaction begins, so another process (the
        // operator's `weft cancel`) waits on busy_timeout instead of failing a commit half-way.
        if (!reader) c.setTransactionMode(SQLiteConfig.TransactionMode.IMMEDIATE);
        // Every write runs in a savepoint of the group commit (SqliteWriter), and SQLite keeps the
        // pages a savepoint may roll back in a sub-journal that spills to a temporary file past
        // 64 KiB: ten times as many write() calls as the WAL itself in the pending bench. In
        // memory it is bounded by what one group commit touches.
        if (!reader) c.setTempStore(SQLiteConfig.TempStore.MEMORY);
        Connection conn = DriverManager.getConnection(url, c.toProperties());
        if (reader) {
            try (var s = conn.createStatement()) {
                s.execute("PRAGMA query_only=ON");
                // A backfill scans the event log sequentially; mapping the file spares a read() and
                // a copy per page (550,000 -> 665,000-820,000 statuses/s in the events bench). Only
                // for scans: mapped readers slowed the write-heavy trigger path (1,740 -> 1,000
                // triggers/s kept at 2,000/s in the pending bench).
                if (role == Role.SCANNER) s.execute("PRAGMA mmap_size=" + SCAN_MMAP_BYTES);
            }
        }
        return conn;
    }

    /**
     * Brings the schema up to date with Flyway. A database written by weft 0.1 (its own
     * {@code schema_version} table, no Flyway history) is baselined at the version it had reached,
     * so its later migrations apply in place.
     */
    private static String migrate(String url) throws SQLException {
        int legacy = legacyVersion(url);
        var config = Flyway.configure()
                .dataSource(url, null, null)
                .locations("classpath:db/sqlite")
                .validateMigrationNaming(true);
        if (legacy > 0) config = config.baselineOnMigrate(true).baselineVersion(String.valueOf(legacy))
                .baselineDescription("weft 0.1 schema " + legacy);
        return Migrations.migrate(config.load(), legacy);
    }

    /**
     * The schema of an existing file, read through a read-only connection: nothing is created or
     * migrated (a file that does not exist is the caller's to notice first).
     */
    static Migrations.SchemaState inspect(Path file) throws SQLException {
        javax.sql.DataSource ds = readOnly(file);
        int legacy;
        try (Connection conn = ds.getConnection()) {
            legacy = legacyVersion(conn);
        }
        return Migrations.inspect(Flyway.configure().dataSource(ds).locations("classpath:db/sqlite")
                .validateMigrationNaming(true).load(), legacy);
    }

    /** A data source of read-only connections to an existing file (for the operator's checks). */
    static javax.sql.DataSource readOnly(Path file) {
        SQLiteConfig c = new SQLiteConfig();
        c.setReadOnly(true);
        c.setBusyTimeout(2000);
        org.sqlite.SQLiteDataSource ds = new org.sqlite.SQLiteDataSource(c);
        ds.setUrl("jdbc:sqlite:" + file.toAbsolutePath());
        return ds;
    }

    private static int legacyVersion(String url) throws SQLException {
        try (Connection c = DriverManager.getConnection(url)) {
            return legacyVersion(c);
        }
    }

    private static int legacyVersion(Connection c) throws SQLException {
        try (ResultSet t = c.getMetaData().getTables(null, null, LEGACY_VERSION_TABLE, null)) {
            if (!t.next()) return 0;
            try (ResultSet h = c.getMetaData().getTables(null, null, "flyway_schema_history", null)) {
                if (h.next()) return 0;
            }
            try (var s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT MAX(version) FROM " + LEGACY_VERSION_TABLE)) {
                return rs.next() ? rs.getInt(1) : 0;
            }
        }
    }

    @Override
    public <T> T write(Lane lane, SqlWork<T> work) {
        return writer.write(lane, work);
    }

    /** {@link SqliteWriter#submit}: queued, not awaited; a failure is logged. Completes once committed. */
    @Override
    public <T> java.util.concurrent.CompletableFuture<T> writeLater(Lane lane, SqlWork<T> work) {
        return writer.submit(lane, work).whenComplete((v, e) -> {
            if (e != null) log.warn("a deferred database write failed: {}", e.toString());
        });
    }

    int queuedWrites() {
        return writer.queued();
    }

    /** Runs {@code work} on a reader's connection (waiting for a free one). */
    @Override
    public <T> T read(SqlWork<T> work) {
        return borrow(readers, work);
    }

    /** Runs {@code work}, a long sequential read, on a scanner's connection (waiting for a free one). */
    @Override
    public <T> T scan(SqlWork<T> work) {
        return borrow(scanners, work);
    }

    private static <T> T borrow(BlockingQueue<Session> pool, SqlWork<T> work) {
        Session s;
        try {
            s = pool.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted waiting for a database connection", e);
        }
        try {
            return work.run(s);
        } catch (SQLException e) {
            throw new StoreException("database: " + e.getMessage(), e);
        } finally {
            pool.add(s);
        }
    }

    @Override
    public void close() {
        writer.close();
        StoreException failure = null;
        for (Session s : all) {
            try {
                s.close();
            } catch (SQLException e) {
                if (failure == null) failure = new StoreException("closing database: " + e.getMessage(), e);
            }
        }
        if (failure != null) throw failure;
    }
}
