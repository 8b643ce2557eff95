package dev.weft.store;

import dev.weft.events.EventFeed.EncodedEvent;
import dev.weft.knot.KnotCursorStore;
import dev.weft.logs.LogFeed.EncodedLine;
import dev.weft.model.PipelineId;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.StatusEvent;
import dev.weft.model.Trigger;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.wire.StatusFrames;
import dev.weft.wire.Tid;
import dev.weft.wire.WireEncodingException;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Weft's durable state in one SQLite database. One connection, serialised by a lock: SQLite
 * serialises writers anyway, and one connection keeps every read consistent with the writes this
 * process made. All methods are thread-safe; failures surface as {@link StoreException}.
 */
public final class Store implements KnotCursorStore, AutoCloseable {
    /** Migrations in order; the index + 1 is the schema version each one brings. */
    private static final List<String> MIGRATIONS = List.of("V1__initial.sql", "V2__network.sql", "V3__status_frames.sql");

    private final Connection db;
    private final ReentrantLock lock = new ReentrantLock();
    private final Path file;
    private long lastEventId;
    private final Map<String, PreparedStatement> statements = new HashMap<>();

    private Store(Path file, Connection db) {
        this.file = file;
        this.db = db;
    }

    /** Opens (creating when absent) the database and brings its schema up to date. */
    public static Store open(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = c.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                // NORMAL in WAL mode stays consistent after a crash; only the last commits may be
                // lost on power failure, which the knot rewind and resume tolerate.
                s.execute("PRAGMA synchronous=NORMAL");
                s.execute("PRAGMA foreign_keys=ON");
                s.execute("PRAGMA busy_timeout=5000");
            }
            Store store = new Store(file, c);
            store.migrate();
            store.lastEventId = store.queryLong("SELECT COALESCE(MAX(id), 0) FROM status_events");
            return store;
        } catch (SQLException | IOException e) {
            throw new StoreException("cannot open database " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    private void migrate() throws SQLException, IOException {
        try (Statement s = db.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)");
        }
        int current = (int) queryLong("SELECT COALESCE(MAX(version), 0) FROM schema_version");
        if (current > MIGRATIONS.size()) {
            throw new SQLException("database schema version " + current + " is newer than this weft ("
                    + MIGRATIONS.size() + "); refusing to touch it");
        }
        for (int v = current; v < MIGRATIONS.size(); v++) {
            String sql;
            try (InputStream in = Store.class.getResourceAsStream(MIGRATIONS.get(v))) {
                if (in == null) throw new IOException("missing migration " + MIGRATIONS.get(v));
                sql = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            db.setAutoCommit(false);
            try (Statement s = db.createStatement()) {
                for (String stmt : splitSql(sql)) s.execute(stmt);
                s.execute("INSERT INTO schema_version (version) VALUES (" + (v + 1) + ")");
                db.commit();
            } catch (SQLException e) {
                db.rollback();
                throw new SQLException("migration " + MIGRATIONS.get(v) + " failed: " + e.getMessage(), e);
            } finally {
                db.setAutoCommit(true);
            }
        }
    }

    private static List<String> splitSql(String sql) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        for (String line : sql.split("\n")) {
            int comment = line.indexOf("--");
            String code = comment >= 0 ? line.substring(0, comment) : line;
            if (code.isBlank()) continue;
            cur.append(code).append('\n');
            if (code.strip().endsWith(";")) {
                String s = cur.toString().strip();
                out.add(s.substring(0, s.length() - 1));
                cur.setLength(0);
            }
        }
        if (!cur.toString().isBlank()) out.add(cur.toString().strip());
        return out;
    }

    public int schemaVersion() {
        return locked(() -> queryLong("SELECT COALESCE(MAX(version), 0) FROM schema_version")).intValue();
    }

    /** A cheap liveness probe for {@code /healthz}: "ok" or the error. */
    public String check() {
        try {
            locked(() -> queryLong("SELECT 1"));
            return "ok";
        } catch (StoreException e) {
            return "error: " + e.getMessage();
        }
    }

    // ---------------------------------------------------------------- registrations

    /** Registers a repository; returns false when it already was (its source and time are kept). */
    public boolean addRepo(RepoKey repo, String source, Instant since) {
        return locked(() -> {
            try (PreparedStatement p = prepare(
                    "INSERT OR IGNORE INTO repos (knot, did, name, source, registered_at) VALUES (?,?,?,?,?)")) {
                p.setString(1, repo.knot());
                p.setString(2, repo.did());
                p.setString(3, repo.name());
                p.setString(4, source);
                p.setLong(5, since.toEpochMilli());
                return p.executeUpdate() == 1;
            }
        });
    }

    /** Unregisters a repository; returns whether it was registered. */
    public boolean removeRepo(RepoKey repo) {
        return locked(() -> {
            try (PreparedStatement p = prepare("DELETE FROM repos WHERE knot=? AND did=? AND name=?")) {
                p.setString(1, repo.knot());
                p.setString(2, repo.did());
                p.setString(3, repo.name());
                return p.executeUpdate() == 1;
            }
        });
    }

    public List<RegisteredRepo> repos() {
        return locked(() -> {
            List<RegisteredRepo> out = new ArrayList<>();
            try (PreparedStatement p = prepare(
                    "SELECT knot, did, name, source, registered_at FROM repos ORDER BY knot, did, name");
                 ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(new RegisteredRepo(new RepoKey(rs.getString(1), rs.getString(2), rs.getString(3)),
                            rs.getString(4), Instant.ofEpochMilli(rs.getLong(5))));
                }
            }
            return out;
        });
    }

    // ---------------------------------------------------------------- knot cursors

    @Override
    public OptionalLong cursor(String knot) {
        return locked(() -> {
            try (PreparedStatement p = prepare("SELECT cursor FROM knot_cursors WHERE knot=?")) {
                p.setString(1, knot);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
                }
            }
        });
    }

    @Override
    public void saveCursor(String knot, long unixNanos) {
        locked(() -> {
            try (PreparedStatement p = prepare(
                    "INSERT INTO knot_cursors (knot, cursor) VALUES (?, ?) "
                            + "ON CONFLICT (knot) DO UPDATE SET cursor = MAX(cursor, excluded.cursor)")) {
                p.setString(1, knot);
                p.setLong(2, unixNanos);
                p.executeUpdate();
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- triggers and runs

    /**
     * Records a trigger and one {@code pending} run per workflow, with each run's {@code pending}
     * status queued for publication no sooner than {@code pendingNotBefore}: the intent, in one
     * transaction. Returns empty when the trigger (knot, rkey) was seen before: nothing is written.
     */
    public Optional<List<RunRecord>> insertTrigger(Trigger t, long pendingNotBefore) {
        return locked(() -> inTransaction(() -> {
            long received = nanos(t.receivedAt());
            try (PreparedStatement p = prepare(
                    "INSERT OR IGNORE INTO triggers (knot, rkey, received_at, trigger) VALUES (?,?,?,?)")) {
                p.setString(1, t.pipeline().knot());
                p.setString(2, t.pipeline().rkey());
                p.setLong(3, received);
                p.setString(4, TriggerJson.write(t));
                if (p.executeUpdate() == 0) return Optional.<List<RunRecord>>empty();
            }
            List<RunRecord> runs = new ArrayList<>();
            try (PreparedStatement p = prepare(
                    "INSERT INTO runs (knot, rkey, workflow, engine, state, created_at, updated_at) "
                            + "VALUES (?,?,?,?,?,?,?)", Statement.RETURN_GENERATED_KEYS);
                 PreparedStatement o = prepare(
                         "INSERT INTO status_outbox (run_id, state, not_before) VALUES (?,?,?)")) {
                for (Workflow w : t.workflows()) {
                    // Two workflows with one name in a record would collide on the workflow id, which
                    // is all the appview keys on; the first one wins and the second is skipped.
                    if (runs.stream().anyMatch(r -> r.workflow().name().equals(w.name()))) continue;
                    p.setString(1, t.pipeline().knot());
                    p.setString(2, t.pipeline().rkey());
                    p.setString(3, w.name());
                    p.setString(4, w.engine());
                    p.setString(5, RunState.PENDING.wireName());
                    p.setLong(6, received);
                    p.setLong(7, received);
                    p.executeUpdate();
                    long id;
                    try (ResultSet keys = p.getGeneratedKeys()) {
                        keys.next();
                        id = keys.getLong(1);
                    }
                    o.setLong(1, id);
                    o.setString(2, RunState.PENDING.wireName());
                    o.setLong(3, pendingNotBefore);
                    o.executeUpdate();
                    runs.add(new RunRecord(id, new WorkflowId(t.pipeline(), w.name()), w.engine(), RunState.PENDING,
                            received, received, null, null, null, null, null, false));
                }
            }
            return Optional.of(List.copyOf(runs));
        }));
    }

    /** The stored trigger of a pipeline. */
    public Optional<Trigger> trigger(PipelineId id) {
        return locked(() -> {
            try (PreparedStatement p = prepare("SELECT trigger FROM triggers WHERE knot=? AND rkey=?")) {
                p.setString(1, id.knot());
                p.setString(2, id.rkey());
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(TriggerJson.read(rs.getString(1))) : Optional.<Trigger>empty();
                }
            }
        });
    }

    private static final String RUN_COLUMNS = "id, knot, rkey, workflow, engine, state, created_at, updated_at, "
            + "external_id, web_url, error, exit_code, cancel_reason, log_complete";

    public Optional<RunRecord> run(long id) {
        return locked(() -> first(queryRuns("SELECT " + RUN_COLUMNS + " FROM runs WHERE id=?", id)));
    }

    public Optional<RunRecord> run(WorkflowId w) {
        return locked(() -> first(queryRuns("SELECT " + RUN_COLUMNS + " FROM runs WHERE knot=? AND rkey=? AND workflow=?",
                w.pipeline().knot(), w.pipeline().rkey(), w.name())));
    }

    /** Runs of a pipeline, in workflow order of insertion. */
    public List<RunRecord> runs(PipelineId id) {
        return locked(() -> queryRuns("SELECT " + RUN_COLUMNS + " FROM runs WHERE knot=? AND rkey=? ORDER BY id",
                id.knot(), id.rkey()));
    }

    /** Every run not yet terminal, oldest first. */
    public List<RunRecord> openRuns() {
        return locked(() -> queryRuns("SELECT " + RUN_COLUMNS + " FROM runs WHERE state IN ('pending','running') ORDER BY id"));
    }

    public Optional<RunRecord> runByExternalId(String engine, String externalId) {
        return locked(() -> first(queryRuns("SELECT " + RUN_COLUMNS
                + " FROM runs WHERE engine=? AND external_id=? ORDER BY id DESC LIMIT 1", engine, externalId)));
    }

    /** Run counts by state, for metrics. */
    public Map<RunState, Long> countRunsByState() {
        return locked(() -> {
            Map<RunState, Long> out = new HashMap<>();
            try (PreparedStatement p = prepare("SELECT state, COUNT(*) FROM runs GROUP BY state");
                 ResultSet rs = p.executeQuery()) {
                while (rs.next()) RunState.fromWire(rs.getString(1)).ifPresent(s -> {
                    try {
                        out.put(s, rs.getLong(2));
                    } catch (SQLException e) {
                        throw new StoreException(e.getMessage(), e);
                    }
                });
            }
            return out;
        });
    }

    /**
     * Moves a run to {@code status} and queues the status for publication no sooner than
     * {@code notBefore}, atomically. The caller has checked the transition.
     */
    public void transition(long runId, Status status, long notBefore, long nowNanos) {
        locked(() -> inTransaction(() -> {
            try (PreparedStatement p = prepare(
                    "UPDATE runs SET state=?, error=COALESCE(?, error), exit_code=COALESCE(?, exit_code), updated_at=? WHERE id=?");
                 PreparedStatement o = prepare(
                         "INSERT INTO status_outbox (run_id, state, error, exit_code, not_before) VALUES (?,?,?,?,?)")) {
                p.setString(1, status.state().wireName());
                setNullable(p, 2, status.error().orElse(null));
                setNullable(p, 3, status.exitCode().orElse(null));
                p.setLong(4, nowNanos);
                p.setLong(5, runId);
                if (p.executeUpdate() != 1) throw new SQLException("no run " + runId);
                o.setLong(1, runId);
                o.setString(2, status.state().wireName());
                setNullable(o, 3, status.error().orElse(null));
                setNullable(o, 4, status.exitCode().orElse(null));
                o.setLong(5, notBefore);
                o.executeUpdate();
            }
            return null;
        }));
    }

    public void attach(long runId, String externalId, String webUrl) {
        update("UPDATE runs SET external_id=?, web_url=? WHERE id=?", externalId, webUrl, runId);
    }

    public void setCancelReason(long runId, String reason) {
        update("UPDATE runs SET cancel_reason=COALESCE(cancel_reason, ?) WHERE id=?", reason, runId);
    }

    public void markLogComplete(long runId) {
        update("UPDATE runs SET log_complete=1 WHERE id=?", runId);
    }

    public Optional<String> attribute(long runId, String key) {
        return locked(() -> {
            try (PreparedStatement p = prepare("SELECT value FROM run_attributes WHERE run_id=? AND key=?")) {
                p.setLong(1, runId);
                p.setString(2, key);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    public void attribute(long runId, String key, String value) {
        update("INSERT INTO run_attributes (run_id, key, value) VALUES (?,?,?) "
                + "ON CONFLICT (run_id, key) DO UPDATE SET value=excluded.value", runId, key, value);
    }

    // ---------------------------------------------------------------- status outbox and events

    /** The outbox entry due first (smallest not_before, then oldest), if any. */
    public Optional<OutboxEntry> nextOutbox() {
        return locked(() -> {
            try (PreparedStatement p = prepare(
                    "SELECT seq, run_id, state, error, exit_code, not_before FROM status_outbox ORDER BY not_before, seq LIMIT 1");
                 ResultSet rs = p.executeQuery()) {
                if (!rs.next()) return Optional.<OutboxEntry>empty();
                RunState s = RunState.fromWire(rs.getString(3)).orElseThrow();
                Long exit = rs.getObject(5) == null ? null : rs.getLong(5);
                return Optional.of(new OutboxEntry(rs.getLong(1), rs.getLong(2), Status.of(s, rs.getString(4), exit),
                        rs.getLong(6)));
            }
        });
    }

    /** The latest not_before queued or published for a run, for pacing its next status. */
    public long lastScheduled(long runId) {
        return locked(() -> queryLong(
                "SELECT MAX(COALESCE((SELECT MAX(not_before) FROM status_outbox WHERE run_id=?1), 0), "
                        + "COALESCE((SELECT MAX(created_at) FROM status_events WHERE run_id=?1), 0))", runId));
    }

    /**
     * Publishes an outbox entry: appends it to the event log with the next id and removes it from
     * the outbox, in one transaction. Ids are {@code max(now, last + 1)}: strictly increasing even
     * when the clock repeats or steps back.
     */
    public StatusEvent publish(OutboxEntry entry, long nowNanos) {
        return publishFramed(entry, nowNanos).event();
    }

    /** A status just published, with the exact /events frame stored for it (null when unencodable). */
    public record Published(StatusEvent event, byte[] frame) {
    }

    /** {@link #publish}, also handing back the frame it stored, so callers need not encode again. */
    public Published publishFramed(OutboxEntry entry, long nowNanos) {
        return locked(() -> inTransaction(() -> {
            RunRecord run = first(queryRuns("SELECT " + RUN_COLUMNS + " FROM runs WHERE id=?", entry.runId()))
                    .orElseThrow(() -> new SQLException("no run " + entry.runId()));
            long id = Math.max(nowNanos, lastEventId + 1);
            String rkey = Tid.fromEventId(id);
            // createdAt is the time the status was due, not when this thread got to it: the pacing
            // gaps are computed between due times, and the appview orders a workflow's statuses by
            // createdAt, so a publication late by a fraction of a millisecond must not shrink them.
            long createdAt = entry.notBefore() > 0 && entry.notBefore() <= nowNanos ? entry.notBefore() : nowNanos;
            StatusEvent event = new StatusEvent(id, rkey, run.workflow(), entry.status(), instant(createdAt));
            byte[] frame = encodeOrNull(event);
            try (PreparedStatement p = prepare(
                    "INSERT INTO status_events (id, rkey, run_id, state, error, exit_code, created_at, frame) VALUES (?,?,?,?,?,?,?,?)");
                 PreparedStatement d = prepare("DELETE FROM status_outbox WHERE seq=?")) {
                p.setLong(1, id);
                p.setString(2, rkey);
                p.setLong(3, entry.runId());
                p.setString(4, entry.status().state().wireName());
                setNullable(p, 5, entry.status().error().orElse(null));
                setNullable(p, 6, entry.status().exitCode().orElse(null));
                p.setLong(7, createdAt);
                p.setBytes(8, frame);
                p.executeUpdate();
                d.setLong(1, entry.seq());
                d.executeUpdate();
            }
            lastEventId = id;
            return new Published(event, frame);
        }));
    }

    public long lastEventId() {
        lock.lock();
        try {
            return lastEventId;
        } finally {
            lock.unlock();
        }
    }

    /** Up to {@code limit} events with id greater than {@code afterId}, in id order. */
    public List<StatusEvent> eventsAfter(long afterId, int limit) {
        return locked(() -> {
            List<StatusEvent> out = new ArrayList<>();
            try (PreparedStatement p = prepare(
                    "SELECT e.id, e.rkey, r.knot, r.rkey, r.workflow, e.state, e.error, e.exit_code, e.created_at "
                            + "FROM status_events e JOIN runs r ON r.id = e.run_id WHERE e.id > ? ORDER BY e.id LIMIT ?")) {
                p.setLong(1, afterId);
                p.setInt(2, limit);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        Long exit = rs.getObject(8) == null ? null : rs.getLong(8);
                        out.add(new StatusEvent(rs.getLong(1), rs.getString(2),
                                new WorkflowId(rs.getString(3), rs.getString(4), rs.getString(5)),
                                Status.of(RunState.fromWire(rs.getString(6)).orElseThrow(), rs.getString(7), exit),
                                instant(rs.getLong(9))));
                    }
                }
            }
            return out;
        });
    }

    /**
     * Up to {@code limit} published statuses with id greater than {@code afterId} as their exact
     * {@code /events} frames, in id order: the backfill path, which reads only (id, frame). A frame
     * that cannot be encoded (Go could not either) comes back as null bytes, to be skipped.
     */
    public List<EncodedEvent> framesAfter(long afterId, int limit) {
        List<EncodedEvent> out = new ArrayList<>();
        boolean legacy = false;
        lock.lock();
        try (PreparedStatement p = prepare("SELECT id, frame FROM status_events WHERE id > ? ORDER BY id LIMIT ?")) {
            p.setLong(1, afterId);
            p.setInt(2, limit);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    byte[] frame = rs.getBytes(2);
                    legacy |= frame == null;
                    out.add(new EncodedEvent(rs.getLong(1), frame));
                }
            }
        } catch (SQLException e) {
            throw new StoreException("database: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
        if (!legacy) return out;
        // Rows published before frames were stored: encode them from the full events.
        List<EncodedEvent> filled = new ArrayList<>(out.size());
        for (StatusEvent e : eventsAfter(afterId, out.size())) filled.add(new EncodedEvent(e.id(), encodeOrNull(e)));
        return filled;
    }

    private static byte[] encodeOrNull(StatusEvent e) {
        try {
            return StatusFrames.frame(e);
        } catch (WireEncodingException x) {
            return null;
        }
    }

    /** Published statuses of one run, oldest first. */
    public List<Status> publishedStatuses(long runId) {
        return locked(() -> {
            List<Status> out = new ArrayList<>();
            try (PreparedStatement p = prepare(
                    "SELECT state, error, exit_code FROM status_events WHERE run_id=? ORDER BY id")) {
                p.setLong(1, runId);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        Long exit = rs.getObject(3) == null ? null : rs.getLong(3);
                        out.add(Status.of(RunState.fromWire(rs.getString(1)).orElseThrow(), rs.getString(2), exit));
                    }
                }
            }
            return out;
        });
    }

    // ---------------------------------------------------------------- steps and log lines

    public void insertStep(StepRecord s) {
        update("INSERT INTO steps (run_id, step_id, name, command, system, started_at, ended_at) VALUES (?,?,?,?,?,?,?)",
                s.runId(), s.stepId(), s.name(), s.command(), s.system() ? 1 : 0, s.startedAt(), s.endedAt());
    }

    public void endStep(long runId, int stepId, long endedAt) {
        update("UPDATE steps SET ended_at=? WHERE run_id=? AND step_id=?", endedAt, runId, stepId);
    }

    public List<StepRecord> steps(long runId) {
        return locked(() -> {
            List<StepRecord> out = new ArrayList<>();
            try (PreparedStatement p = prepare(
                    "SELECT step_id, name, command, system, started_at, ended_at FROM steps WHERE run_id=? ORDER BY step_id")) {
                p.setLong(1, runId);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        Long ended = rs.getObject(6) == null ? null : rs.getLong(6);
                        out.add(new StepRecord(runId, rs.getInt(1), rs.getString(2), rs.getString(3), rs.getInt(4) == 1,
                                rs.getLong(5), ended));
                    }
                }
            }
            return out;
        });
    }

    /** Appends one frame at sequence {@code seq} (the caller numbers lines from 1). */
    public void appendLog(long runId, long seq, byte[] frame) {
        update("INSERT INTO log_lines (run_id, seq, frame) VALUES (?,?,?)", runId, seq, frame);
    }

    public long lastLogSeq(long runId) {
        return locked(() -> queryLong("SELECT COALESCE(MAX(seq), 0) FROM log_lines WHERE run_id=?", runId));
    }

    public List<EncodedLine> logAfter(long runId, long afterSeq, int limit) {
        return locked(() -> {
            List<EncodedLine> out = new ArrayList<>();
            try (PreparedStatement p = prepare(
                    "SELECT seq, frame FROM log_lines WHERE run_id=? AND seq>? ORDER BY seq LIMIT ?")) {
                p.setLong(1, runId);
                p.setLong(2, afterSeq);
                p.setInt(3, limit);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) out.add(new EncodedLine(rs.getLong(1), rs.getBytes(2)));
                }
            }
            return out;
        });
    }

    /**
     * A prepared statement from the per-connection cache: SQLite compiles a statement on every
     * prepare, which the benchmarks showed to be most of a store call's cost. The returned view
     * ignores {@code close()}, so call sites keep their try-with-resources shape; the real statements
     * are closed with the store. Callers hold {@link #lock}, so no two threads share one statement.
     */
    private PreparedStatement prepare(String sql) throws SQLException {
        return prepare(sql, Statement.NO_GENERATED_KEYS);
    }

    private PreparedStatement prepare(String sql, int generatedKeys) throws SQLException {
        String key = generatedKeys + sql;
        PreparedStatement cached = statements.get(key);
        if (cached == null) {
            PreparedStatement real = db.prepareStatement(sql, generatedKeys);
            cached = (PreparedStatement) Proxy.newProxyInstance(Store.class.getClassLoader(),
                    new Class<?>[]{PreparedStatement.class}, (proxy, method, args) -> {
                        if (method.getName().equals("close") && method.getParameterCount() == 0) {
                            real.clearParameters();
                            return null;
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
            statements.put(key, cached);
        }
        return cached;
    }

    @Override
    public void close() {
        lock.lock();
        try {
            for (PreparedStatement p : statements.values()) {
                ((PreparedStatement) p.unwrap(PreparedStatement.class)).close();
            }
            statements.clear();
            db.close();
        } catch (SQLException e) {
            throw new StoreException("closing database: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- helpers

    public static long nanos(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000_000L), t.getNano());
    }

    public static Instant instant(long nanos) {
        return Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L));
    }

    @FunctionalInterface
    private interface Sql<T> {
        T run() throws SQLException;
    }

    private <T> T locked(Sql<T> body) {
        lock.lock();
        try {
            return body.run();
        } catch (SQLException e) {
            throw new StoreException("database: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code body} in a transaction; the caller holds the lock. */
    private <T> T inTransaction(Sql<T> body) throws SQLException {
        db.setAutoCommit(false);
        try {
            T out = body.run();
            db.commit();
            return out;
        } catch (SQLException | RuntimeException e) {
            db.rollback();
            throw e;
        } finally {
            db.setAutoCommit(true);
        }
    }

    private void update(String sql, Object... args) {
        locked(() -> {
            try (PreparedStatement p = prepare(sql)) {
                bind(p, args);
                p.executeUpdate();
            }
            return null;
        });
    }

    private long queryLong(String sql, Object... args) throws SQLException {
        try (PreparedStatement p = prepare(sql)) {
            bind(p, args);
            try (ResultSet rs = p.executeQuery()) {
                return rs.next() ? rs.getLong(1) : 0;
            }
        }
    }

    private List<RunRecord> queryRuns(String sql, Object... args) throws SQLException {
        List<RunRecord> out = new ArrayList<>();
        try (PreparedStatement p = prepare(sql)) {
            bind(p, args);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    Long exit = rs.getObject(12) == null ? null : rs.getLong(12);
                    out.add(new RunRecord(rs.getLong(1), new WorkflowId(rs.getString(2), rs.getString(3), rs.getString(4)),
                            rs.getString(5), RunState.fromWire(rs.getString(6)).orElseThrow(), rs.getLong(7),
                            rs.getLong(8), rs.getString(9), rs.getString(10), rs.getString(11), exit,
                            rs.getString(13), rs.getInt(14) == 1));
                }
            }
        }
        return out;
    }

    private static <T> Optional<T> first(List<T> list) {
        return list.isEmpty() ? Optional.empty() : Optional.of(list.get(0));
    }

    private static void bind(PreparedStatement p, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) p.setNull(i + 1, Types.NULL);
            else if (a instanceof Long l) p.setLong(i + 1, l);
            else if (a instanceof Integer n) p.setInt(i + 1, n);
            else if (a instanceof String s) p.setString(i + 1, s);
            else if (a instanceof byte[] b) p.setBytes(i + 1, b);
            else throw new IllegalArgumentException("cannot bind " + a.getClass());
        }
    }

    private static void setNullable(PreparedStatement p, int i, Object v) throws SQLException {
        if (v == null) p.setNull(i, Types.NULL);
        else if (v instanceof Long l) p.setLong(i, l);
        else p.setString(i, v.toString());
    }

    // ================================================================================================
    // The Tangled network (issue 6, schema V2): Jetstream cursor and record revs, members, repo
    // records, collaborators, sealed repo secrets and the operator's cancel requests. Everything
    // below is used by dev.weft.jetstream, dev.weft.secrets, dev.weft.xrpc and the weft command.
    // ================================================================================================

    /** A named network cursor (the Jetstream's {@code time_us}), if one was saved. */
    public OptionalLong networkCursor(String name) {
        return locked(() -> {
            try (PreparedStatement p = prepare("SELECT time_us FROM network_cursors WHERE name=?")) {
                p.setString(1, name);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
                }
            }
        });
    }

    /** Saves a network cursor; it never moves back (a replay re-sends older frames). */
    public void saveNetworkCursor(String name, long timeUs) {
        update("INSERT INTO network_cursors (name, time_us) VALUES (?, ?) "
                + "ON CONFLICT (name) DO UPDATE SET time_us = MAX(time_us, excluded.time_us)", name, timeUs);
    }

    /** The rev of the last commit applied to a record (a delete included), if any. */
    public Optional<String> recordRev(String did, String collection, String rkey) {
        return locked(() -> {
            try (PreparedStatement p = prepare(
                    "SELECT rev FROM network_records WHERE did=? AND collection=? AND rkey=?")) {
                p.setString(1, did);
                p.setString(2, collection);
                p.setString(3, rkey);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getString(1)) : Optional.<String>empty();
                }
            }
        });
    }

    public void saveRecordRev(String did, String collection, String rkey, String rev) {
        update("INSERT INTO network_records (did, collection, rkey, rev) VALUES (?,?,?,?) "
                + "ON CONFLICT (did, collection, rkey) DO UPDATE SET rev=excluded.rev", did, collection, rkey, rev);
    }

    /** Adds or replaces the member named by the owner's record {@code rkey}; the time is kept when the subject is. */
    public void putMember(String rkey, String subject, String source, Instant since) {
        update("INSERT INTO members (rkey, subject, source, added_at) VALUES (?,?,?,?) ON CONFLICT (rkey) DO UPDATE "
                        + "SET added_at = CASE WHEN subject = excluded.subject THEN added_at ELSE excluded.added_at END, "
                        + "subject=excluded.subject, source=excluded.source",
                rkey, subject, source, since.toEpochMilli());
    }

    /** Removes the member record {@code rkey}; returns what it held. */
    public Optional<Member> removeMember(String rkey) {
        return locked(() -> inTransaction(() -> {
            Optional<Member> m = first(queryMembers("SELECT rkey, subject, source, added_at FROM members WHERE rkey=?", rkey));
            if (m.isPresent()) {
                try (PreparedStatement p = prepare("DELETE FROM members WHERE rkey=?")) {
                    p.setString(1, rkey);
                    p.executeUpdate();
                }
            }
            return m;
        }));
    }

    /** Every member record, by subject then record. */
    public List<Member> members() {
        return locked(() -> queryMembers("SELECT rkey, subject, source, added_at FROM members ORDER BY subject, rkey"));
    }

    public boolean isMember(String did) {
        return locked(() -> queryLong("SELECT COUNT(*) FROM members WHERE subject=?", did) > 0);
    }

    private List<Member> queryMembers(String sql, Object... args) throws SQLException {
        List<Member> out = new ArrayList<>();
        try (PreparedStatement p = prepare(sql)) {
            bind(p, args);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(new Member(rs.getString(1), rs.getString(2), rs.getString(3), Instant.ofEpochMilli(rs.getLong(4))));
                }
            }
        }
        return out;
    }

    /** The registration a {@code sh.tangled.repo} record (did, rkey) holds, if any. */
    public Optional<RepoKey> repoRecord(String did, String rkey) {
        return locked(() -> {
            try (PreparedStatement p = prepare("SELECT knot, name FROM repo_records WHERE did=? AND rkey=?")) {
                p.setString(1, did);
                p.setString(2, rkey);
                try (ResultSet rs = p.executeQuery()) {
                    return rs.next() ? Optional.of(new RepoKey(rs.getString(1), did, rs.getString(2))) : Optional.<RepoKey>empty();
                }
            }
        });
    }

    public void putRepoRecord(String rkey, RepoKey repo) {
        update("INSERT INTO repo_records (did, rkey, knot, name) VALUES (?,?,?,?) "
                + "ON CONFLICT (did, rkey) DO UPDATE SET knot=excluded.knot, name=excluded.name",
                repo.did(), rkey, repo.knot(), repo.name());
    }

    public void removeRepoRecord(String did, String rkey) {
        update("DELETE FROM repo_records WHERE did=? AND rkey=?", did, rkey);
    }

    /** Whether some repo record still holds this registration. */
    public boolean repoRecordHolds(RepoKey repo) {
        return locked(() -> queryLong("SELECT COUNT(*) FROM repo_records WHERE knot=? AND did=? AND name=?",
                repo.knot(), repo.did(), repo.name()) > 0);
    }

    /** The record keys of {@code did}'s repo records, each with the registration it holds. */
    public Map<String, RepoKey> repoRecordsOf(String did) {
        return locked(() -> {
            Map<String, RepoKey> out = new java.util.TreeMap<>();
            try (PreparedStatement p = prepare("SELECT rkey, knot, name FROM repo_records WHERE did=?")) {
                p.setString(1, did);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) out.put(rs.getString(1), new RepoKey(rs.getString(2), did, rs.getString(3)));
                }
            }
            return out;
        });
    }

    public void putCollaborator(Collaborator c) {
        update("INSERT INTO collaborators (did, rkey, subject, repo, added_at) VALUES (?,?,?,?,?) "
                        + "ON CONFLICT (did, rkey) DO UPDATE SET subject=excluded.subject, repo=excluded.repo",
                c.did(), c.rkey(), c.subject(), c.repo(), c.since().toEpochMilli());
    }

    public boolean removeCollaborator(String did, String rkey) {
        return locked(() -> {
            try (PreparedStatement p = prepare("DELETE FROM collaborators WHERE did=? AND rkey=?")) {
                p.setString(1, did);
                p.setString(2, rkey);
                return p.executeUpdate() > 0;
            }
        });
    }

    /** Forgets every collaborator record authored by {@code did}. */
    public void removeCollaboratorsBy(String did) {
        update("DELETE FROM collaborators WHERE did=?", did);
    }

    /** Whether {@code subject} collaborates on the repo record {@code repoUri}. */
    public boolean isCollaborator(String repoUri, String subject) {
        return locked(() -> queryLong("SELECT COUNT(*) FROM collaborators WHERE repo=? AND subject=?", repoUri, subject) > 0);
    }

    public List<Collaborator> collaborators() {
        return locked(() -> {
            List<Collaborator> out = new ArrayList<>();
            try (PreparedStatement p = prepare(
                    "SELECT did, rkey, subject, repo, added_at FROM collaborators ORDER BY repo, subject");
                 ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(new Collaborator(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                            Instant.ofEpochMilli(rs.getLong(5))));
                }
            }
            return out;
        });
    }

    /** Stores a sealed secret; false (nothing written) when the repo already has that key. */
    public boolean insertSecret(StoredSecret s) {
        return locked(() -> {
            try (PreparedStatement p = prepare(
                    "INSERT OR IGNORE INTO secrets (repo_did, repo_name, key, repo_uri, value, key_id, created_at, created_by) "
                            + "VALUES (?,?,?,?,?,?,?,?)")) {
                bind(p, s.repoDid(), s.repoName(), s.key(), s.repoUri(), s.sealed(), s.keyId(),
                        s.createdAt().toEpochMilli(), s.createdBy());
                return p.executeUpdate() == 1;
            }
        });
    }

    public boolean deleteSecret(String repoDid, String repoName, String key) {
        return locked(() -> {
            try (PreparedStatement p = prepare(
                    "DELETE FROM secrets WHERE repo_did=? AND repo_name=? AND key=?")) {
                bind(p, repoDid, repoName, key);
                return p.executeUpdate() == 1;
            }
        });
    }

    /** A repository's secrets, sealed, by key. */
    public List<StoredSecret> secrets(String repoDid, String repoName) {
        return locked(() -> {
            List<StoredSecret> out = new ArrayList<>();
            try (PreparedStatement p = prepare(
                    "SELECT repo_did, repo_name, key, repo_uri, value, key_id, created_at, created_by FROM secrets "
                            + "WHERE repo_did=? AND repo_name=? ORDER BY key")) {
                bind(p, repoDid, repoName);
                try (ResultSet rs = p.executeQuery()) {
                    while (rs.next()) {
                        out.add(new StoredSecret(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                                rs.getBytes(5), rs.getString(6), Instant.ofEpochMilli(rs.getLong(7)), rs.getString(8)));
                    }
                }
            }
            return out;
        });
    }

    /** Queues an operator cancel for the daemon; returns its id. */
    public long requestCancel(WorkflowId workflow, Instant at) {
        return locked(() -> {
            try (PreparedStatement p = prepare(
                    "INSERT INTO cancel_requests (knot, rkey, workflow, requested_at) VALUES (?,?,?,?)",
                    Statement.RETURN_GENERATED_KEYS)) {
                bind(p, workflow.pipeline().knot(), workflow.pipeline().rkey(), workflow.name(), at.toEpochMilli());
                p.executeUpdate();
                try (ResultSet keys = p.getGeneratedKeys()) {
                    keys.next();
                    return keys.getLong(1);
                }
            }
        });
    }

    /** Operator cancels not handled yet, oldest first. */
    public List<CancelRequest> openCancelRequests() {
        return locked(() -> queryCancelRequests(
                "SELECT id, knot, rkey, workflow, requested_at, outcome FROM cancel_requests WHERE outcome IS NULL ORDER BY id"));
    }

    public Optional<CancelRequest> cancelRequest(long id) {
        return locked(() -> first(queryCancelRequests(
                "SELECT id, knot, rkey, workflow, requested_at, outcome FROM cancel_requests WHERE id=?", id)));
    }

    public void finishCancelRequest(long id, String outcome, Instant at) {
        update("UPDATE cancel_requests SET outcome=?, handled_at=? WHERE id=?", outcome, at.toEpochMilli(), id);
    }

    private List<CancelRequest> queryCancelRequests(String sql, Object... args) throws SQLException {
        List<CancelRequest> out = new ArrayList<>();
        try (PreparedStatement p = prepare(sql)) {
            bind(p, args);
            try (ResultSet rs = p.executeQuery()) {
                while (rs.next()) {
                    out.add(new CancelRequest(rs.getLong(1), new WorkflowId(rs.getString(2), rs.getString(3), rs.getString(4)),
                            Instant.ofEpochMilli(rs.getLong(5)), rs.getString(6)));
                }
            }
        }
        return out;
    }
}
