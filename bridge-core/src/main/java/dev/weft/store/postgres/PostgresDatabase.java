package dev.weft.store.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.weft.store.StoreException;
import dev.weft.store.jdbc.Database;
import dev.weft.store.jdbc.Migrations;
import dev.weft.store.jdbc.Session;
import dev.weft.store.jdbc.SqlWork;
import dev.weft.store.jdbc.Uninterruptible;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A PostgreSQL database: a HikariCP pool and Flyway migrations from {@code db/postgres}. There is
 * no single writer: PostgreSQL's MVCC lets writers run side by side, so each store call borrows a
 * connection and runs as one transaction of its own, and exactly-once rests on the tables'
 * constraints ({@code ON CONFLICT DO NOTHING}), as with SQLite. Deferred writes
 * ({@link #writeLater}, the knot intake's triggers) are the exception: {@link GroupCommit} commits
 * what is queued together.
 */
final class PostgresDatabase implements Database {
    private static final Logger log = LoggerFactory.getLogger(PostgresDatabase.class);
    /**
     * Connections per instance. Store calls are short (no call holds a connection across anything
     * slow), so a small pool serves hundreds of concurrent callers, and several instances stay well
     * below PostgreSQL's default max_connections (100).
     */
    static final int DEFAULT_POOL_SIZE = 10;

    private final HikariDataSource pool;
    /**
     * Runs the writes of virtual threads. Interrupting a virtual thread closes the socket it is
     * blocked on, so a run thread interrupted at shutdown would break its connection half-way
     * through a commit and not know whether the write happened; on a platform thread the write
     * finishes and the caller waits for it as SQLite's writer makes it do. Bounded by the pool:
     * more threads would only wait for a connection.
     */
    private final ExecutorService writers;
    /** Commits deferred writes together. */
    private final GroupCommit groupCommit;
    private final String schemaVersion;
    private final String description;
    /** Whether writes are refused now ({@link dev.weft.store.Stores#fenceWrites}); never, until set. */
    private volatile java.util.function.BooleanSupplier fenced = () -> false;
    /** Changes other instances commit, heard on a connection of its own (made only when listened to). */
    private final PostgresSignals signals;

    private PostgresDatabase(HikariDataSource pool, String description, PostgresSignals.Connector listening)
            throws SQLException {
        this.pool = pool;
        this.description = description;
        this.signals = new PostgresSignals(listening);
        this.writers = Executors.newFixedThreadPool(pool.getMaximumPoolSize(),
                Thread.ofPlatform().name("weft-db-write-", 0).daemon(true).factory());
        this.schemaVersion = Migrations.migrate(Flyway.configure()
                .dataSource(pool)
                .locations("classpath:db/postgres")
                .validateMigrationNaming(true)
                .load(), 0);
        this.groupCommit = new GroupCommit(pool, this::checkFence); // after the migrations: nothing to stop if they fail
    }

    /**
     * Connects (failing at once when the server cannot be reached or refuses the credentials) and
     * brings the schema up to date.
     */
    static PostgresDatabase open(String jdbcUrl, String user, String password, int poolSize) {
        String description = redactedUrl(jdbcUrl);
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(jdbcUrl);
        if (user != null) c.setUsername(user);
        if (password != null) c.setPassword(password);
        c.setPoolName("weft-db");
        c.setMaximumPoolSize(poolSize);
        c.setMinimumIdle(Math.min(2, poolSize));
        // A caller waits this long for a free connection before its store call fails; longer
        // would hide a pool that is too small or a database that stopped answering.
        c.setConnectionTimeout(10_000);
        c.setAutoCommit(true);
        try {
            HikariDataSource pool = new HikariDataSource(c);
            try {
                return new PostgresDatabase(pool, description, () -> {
                    java.util.Properties p = new java.util.Properties();
                    if (user != null) p.setProperty("user", user);
                    if (password != null) p.setProperty("password", password);
                    // A connection that only waits hears nothing of a dead server or a cut network
                    // on its own: keep-alives and a read timeout (the loop's check reads) end it.
                    p.setProperty("tcpKeepAlive", "true");
                    p.setProperty("socketTimeout", "30");
                    p.setProperty("ApplicationName", "weft-listen");
                    return java.sql.DriverManager.getConnection(jdbcUrl, p);
                });
            } catch (SQLException | RuntimeException e) {
                pool.close();
                throw e;
            }
        } catch (SQLException | RuntimeException e) {
            throw new StoreException("cannot open database " + description + ": " + rootMessage(e), e);
        }
    }

    /** The URL without a password that may sit in its parameters, for messages and logs. */
    static String redactedUrl(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) t = t.getCause();
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (" + t.getMessage() + ")";
    }

    /** The column list names the function's output, whatever PostgreSQL calls it by default. */
    @Override
    public String jsonStrings() {
        return "json_array_elements_text(CAST(? AS json)) AS strings(value)";
    }

    @Override
    public void signal(Session s, String payload) throws SQLException {
        try (java.sql.ResultSet rs = s.cached(PostgresSignals.notifySql(), payload).executeQuery()) {
            // pg_notify returns void: one row, nothing to read.
        }
    }

    @Override
    public dev.weft.store.StoreSignals signals() {
        return signals;
    }

    @Override
    public String schemaVersion() {
        return schemaVersion;
    }

    String description() {
        return description;
    }

    @Override
    public <T> T write(Lane lane, SqlWork<T> work) {
        if (!Thread.currentThread().isVirtual()) return inTransaction(work);
        CompletableFuture<T> done;
        try {
            done = CompletableFuture.supplyAsync(() -> inTransaction(work), writers);
        } catch (RejectedExecutionException e) {
            throw new StoreException("database is closed", e);
        }
        return Uninterruptible.await(done);
    }

    /** Queued for {@link GroupCommit}: committed with whatever else is queued, in queue order. */
    @Override
    public <T> CompletableFuture<T> writeLater(Lane lane, SqlWork<T> work) {
        return groupCommit.submit(work).whenComplete((v, e) -> {
            if (e != null) log.warn("a deferred database write failed: {}", e.toString());
        });
    }

    @Override
    public <T> T read(SqlWork<T> work) {
        try (Session s = new Session(pool.getConnection())) {
            return work.run(s);
        } catch (SQLException e) {
            throw new StoreException("database: " + e.getMessage(), e);
        }
    }

    @Override
    public <T> T scan(SqlWork<T> work) {
        return read(work);
    }

    void fenceWrites(java.util.function.BooleanSupplier fenced) {
        this.fenced = java.util.Objects.requireNonNull(fenced, "fenced");
    }

    private void checkFence() throws SQLException {
        if (fenced.getAsBoolean()) {
            throw new SQLException("write refused: this instance's liveness lease lapsed, so other instances may drive its "
                    + "runs and hold its leases now");
        }
    }

    private <T> T inTransaction(SqlWork<T> work) {
        try (Session s = new Session(pool.getConnection())) {
            Connection c = s.connection();
            c.setAutoCommit(false);
            try {
                checkFence();
                T result = work.run(s);
                // Again at the end: the process may have stalled in the middle of the work.
                checkFence();
                c.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                rollback(c, e);
                throw e;
            }
            // The pool puts auto-commit back when the connection returns.
        } catch (SQLException e) {
            throw new StoreException("database: " + e.getMessage(), e);
        }
    }

    private static void rollback(Connection c, Exception cause) {
        try {
            c.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    @Override
    public void close() {
        signals.close();
        groupCommit.close(); // commits what is queued first: its callers were promised durability

        // Writes already running finish (their callers are waiting for them); then the pool.
        writers.shutdown();
        try {
            if (!writers.awaitTermination(10, TimeUnit.SECONDS)) log.warn("database writes did not finish within 10s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pool.close();
    }
}
