package dev.weft.store.jdbc;

import dev.weft.model.Nanos;
import dev.weft.model.PipelineId;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.Trigger;
import dev.weft.model.Workflow;
import dev.weft.model.WorkflowId;
import dev.weft.store.CancelRequest;
import dev.weft.store.QueuedCallback;
import dev.weft.store.RunRecord;
import dev.weft.store.RunStore;
import dev.weft.store.StoreSignals;
import dev.weft.store.TriggerJson;
import dev.weft.store.jdbc.Database.Lane;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

final class JdbcRunStore implements RunStore {
    static final String RUN_COLUMNS = "id, knot, rkey, workflow, engine, state, created_at, updated_at, "
            + "external_id, web_url, error, exit_code, cancel_reason, log_complete";

    private final Database db;

    /** The nsid column of an outbox or event row holding a pipeline record (statuses use the column's default). */
    static final String PIPELINE_NSID = "sh.tangled.pipeline";

    /** The instance that drives the runs inserted here; null when one instance has the database. */
    private final String owner;
    private volatile boolean queueNotices = true;

    JdbcRunStore(Database db, String owner) {
        this.db = db;
        this.owner = owner;
    }

    static RunRecord run(ResultSet rs) throws SQLException {
        return new RunRecord(rs.getLong(1), new WorkflowId(rs.getString(2), rs.getString(3), rs.getString(4)),
                rs.getString(5), RunState.fromWire(rs.getString(6)).orElseThrow(), rs.getLong(7), rs.getLong(8),
                rs.getString(9), rs.getString(10), rs.getString(11), Session.nullableLong(rs, 12), rs.getString(13),
                rs.getInt(14) == 1);
    }

    @Override
    public Optional<List<RunRecord>> insertTrigger(Trigger t, long pendingNotBefore, String claim) {
        String json = TriggerJson.write(t);
        return db.write(Lane.URGENT, s -> insertTrigger(s, t, json, pendingNotBefore, claim));
    }

    @Override
    public java.util.concurrent.CompletableFuture<Optional<List<RunRecord>>> insertTriggerLater(
            Trigger t, long pendingNotBefore, String claim) {
        String json = TriggerJson.write(t);
        return db.writeLater(Lane.URGENT, s -> insertTrigger(s, t, json, pendingNotBefore, claim));
    }

    /** {@code json} is {@code t} encoded by the caller: on its thread, not the one writer's. */
    private Optional<List<RunRecord>> insertTrigger(Session s, Trigger t, String json, long pendingNotBefore, String claim)
            throws java.sql.SQLException {
        long received = Nanos.of(t.receivedAt());
        // The repository, kind and commit are columns too, so pipeline queries filter on indexes.
        if (s.update("INSERT INTO triggers (knot, rkey, received_at, trigger, repo_did, repo_knot, repo_owner, "
                        + "repo_name, kind, sha) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                t.pipeline().knot(), t.pipeline().rkey(), received, json,
                t.repo().hasRepoDid() ? t.repo().repoDid() : null, t.repo().knot(), t.repo().did(), t.repo().name(),
                t.kind().wireName(), t.sha()) == 0) {
            return Optional.empty();
        }
        if (claim != null && s.update("INSERT INTO claimed_keys (claim, knot, rkey) VALUES (?,?,?) ON CONFLICT DO NOTHING",
                claim, t.pipeline().knot(), t.pipeline().rkey()) == 0) {
            // Claimed by another pipeline of the same push: undo the trigger row of this savepoint.
            s.update("DELETE FROM triggers WHERE knot=? AND rkey=?", t.pipeline().knot(), t.pipeline().rkey());
            return Optional.empty();
        }
        List<RunRecord> runs = new ArrayList<>();
        for (Workflow w : t.workflows()) {
            // Two workflows with one name would collide on the workflow id, which is all the
            // appview keys on: the first wins.
            if (runs.stream().anyMatch(r -> r.workflow().name().equals(w.name()))) continue;
            long id = s.insertReturningKey("INSERT INTO runs (knot, rkey, workflow, engine, state, created_at, updated_at, owner) "
                            + "VALUES (?,?,?,?,?,?,?,?)", t.pipeline().knot(), t.pipeline().rkey(), w.name(), w.engine(),
                    RunState.PENDING.wireName(), received, received, owner);
            if (runs.isEmpty()) {
                // The pipeline record goes first (lower seq, same not-before): the appview
                // drops statuses of pipelines it has not stored.
                s.update("INSERT INTO status_outbox (run_id, state, not_before, nsid) VALUES (?,?,?,?)",
                        id, RunState.PENDING.wireName(), pendingNotBefore, PIPELINE_NSID);
            }
            s.update("INSERT INTO status_outbox (run_id, state, not_before) VALUES (?,?,?)",
                    id, RunState.PENDING.wireName(), pendingNotBefore);
            runs.add(new RunRecord(id, new WorkflowId(t.pipeline(), w.name()), w.engine(), RunState.PENDING,
                    received, received, null, null, null, null, null, false));
        }
        // The publisher may be another instance: it hears of the queued entries at the commit.
        if (!runs.isEmpty()) db.signal(s, StoreSignals.OUTBOX);
        return Optional.of(List.copyOf(runs));
    }

    @Override
    public Optional<Trigger> trigger(PipelineId id) {
        return db.read(s -> s.queryOne("SELECT trigger FROM triggers WHERE knot=? AND rkey=?",
                rs -> TriggerJson.read(rs.getString(1)), id.knot(), id.rkey()));
    }

    @Override
    public Optional<RunRecord> run(long id) {
        return db.read(s -> s.queryOne("SELECT " + RUN_COLUMNS + " FROM runs WHERE id=?", JdbcRunStore::run, id));
    }

    @Override
    public Optional<RunRecord> run(WorkflowId w) {
        return db.read(s -> s.queryOne("SELECT " + RUN_COLUMNS + " FROM runs WHERE knot=? AND rkey=? AND workflow=?",
                JdbcRunStore::run, w.pipeline().knot(), w.pipeline().rkey(), w.name()));
    }

    @Override
    public List<RunRecord> runs(PipelineId id) {
        return db.read(s -> s.query("SELECT " + RUN_COLUMNS + " FROM runs WHERE knot=? AND rkey=? ORDER BY id",
                JdbcRunStore::run, id.knot(), id.rkey()));
    }

    @Override
    public List<RunRecord> runsByRkey(String rkey) {
        return db.read(s -> s.query("SELECT " + RUN_COLUMNS + " FROM runs WHERE rkey=? ORDER BY id",
                JdbcRunStore::run, rkey));
    }

    @Override
    public List<RunRecord> recentRuns(int limit) {
        return db.read(s -> s.query("SELECT " + RUN_COLUMNS + " FROM runs ORDER BY id DESC LIMIT ?", JdbcRunStore::run,
                Math.max(0, limit)));
    }

    @Override
    public List<RunRecord> openRuns() {
        return db.read(s -> s.query("SELECT " + RUN_COLUMNS + " FROM runs WHERE state IN ('pending','running') ORDER BY id",
                JdbcRunStore::run));
    }

    @Override
    public Optional<RunRecord> runByExternalId(String engine, String externalId) {
        return db.read(s -> s.queryOne("SELECT " + RUN_COLUMNS
                + " FROM runs WHERE engine=? AND external_id=? ORDER BY id DESC LIMIT 1", JdbcRunStore::run, engine, externalId));
    }

    @Override
    public Map<RunState, Long> countByState() {
        return db.read(s -> {
            Map<RunState, Long> out = new EnumMap<>(RunState.class);
            for (var row : s.query("SELECT state, COUNT(*) FROM runs GROUP BY state",
                    rs -> Map.entry(rs.getString(1), rs.getLong(2)))) {
                RunState.fromWire(row.getKey()).ifPresent(st -> out.put(st, row.getValue()));
            }
            return out;
        });
    }

    @Override
    public boolean transition(long runId, Status status, long notBefore, long nowNanos) {
        // Only an open run moves: the row itself decides, so two instances reporting one run's end
        // cannot both store (and publish) one.
        String guard = "state IN ('pending','running')";
        return db.write(Lane.URGENT, s -> {
            String error = status.error().orElse(null);
            Long exit = status.exitCode().orElse(null);
            // started_at keeps the first move to running: what queryPipelines reports as startedAt.
            if (s.update("UPDATE runs SET state=?, error=COALESCE(?, error), exit_code=COALESCE(?, exit_code), updated_at=?, "
                            + "started_at=CASE WHEN ?='running' THEN COALESCE(started_at, ?) ELSE started_at END WHERE id=? AND "
                            + guard,
                    status.state().wireName(), error, exit, nowNanos, status.state().wireName(), nowNanos, runId) != 1) {
                if (s.queryOne("SELECT 1 FROM runs WHERE id=?", rs -> 1, runId).isEmpty()) throw new SQLException("no run " + runId);
                return false;
            }
            s.update("INSERT INTO status_outbox (run_id, state, error, exit_code, not_before) VALUES (?,?,?,?,?)",
                    runId, status.state().wireName(), error, exit, notBefore);
            db.signal(s, StoreSignals.OUTBOX);
            // Considered for a notification if and only if stored: same transaction (issue 13).
            if (queueNotices && status.state() != RunState.PENDING) {
                s.update("INSERT INTO notify_pending (run_id, state) VALUES (?,?)", runId, status.state().wireName());
            }
            // A run leaves its concurrency group when its end is stored, whoever stores it: the
            // next member can start from then on, on any instance, also after a crash.
            if (status.state().isTerminal()) s.update("DELETE FROM concurrency_queue WHERE run_id=?", runId);
            return true;
        });
    }

    @Override
    public void queueNotices(boolean on) {
        queueNotices = on;
    }

    @Override
    public void attach(long runId, String externalId, String webUrl) {
        db.write(Lane.URGENT, s -> s.update("UPDATE runs SET external_id=?, web_url=? WHERE id=?", externalId, webUrl, runId));
    }

    @Override
    public void setCancelReason(long runId, String reason) {
        db.write(Lane.URGENT, s -> s.update("UPDATE runs SET cancel_reason=COALESCE(cancel_reason, ?) WHERE id=?", reason, runId));
    }

    @Override
    public Optional<String> attribute(long runId, String key) {
        return db.read(s -> s.queryOne("SELECT value FROM run_attributes WHERE run_id=? AND key=?",
                rs -> rs.getString(1), runId, key));
    }

    @Override
    public void attribute(long runId, String key, String value) {
        db.write(Lane.URGENT, s -> s.update("INSERT INTO run_attributes (run_id, key, value) VALUES (?,?,?) "
                + "ON CONFLICT (run_id, key) DO UPDATE SET value=excluded.value", runId, key, value));
    }

    @Override
    public long requestCancel(WorkflowId workflow, Instant at) {
        return db.write(Lane.URGENT, s -> s.insertReturningKey(
                "INSERT INTO cancel_requests (knot, rkey, workflow, requested_at) VALUES (?,?,?,?)",
                workflow.pipeline().knot(), workflow.pipeline().rkey(), workflow.name(), at.toEpochMilli()));
    }

    private static final String CANCEL_COLUMNS = "id, knot, rkey, workflow, requested_at, outcome";

    private static CancelRequest cancelRequest(ResultSet rs) throws SQLException {
        return new CancelRequest(rs.getLong(1), new WorkflowId(rs.getString(2), rs.getString(3), rs.getString(4)),
                Instant.ofEpochMilli(rs.getLong(5)), rs.getString(6));
    }

    @Override
    public List<CancelRequest> openCancelRequests() {
        return db.read(s -> s.query("SELECT " + CANCEL_COLUMNS + " FROM cancel_requests WHERE outcome IS NULL ORDER BY id",
                JdbcRunStore::cancelRequest));
    }

    @Override
    public Optional<CancelRequest> cancelRequest(long id) {
        return db.read(s -> s.queryOne("SELECT " + CANCEL_COLUMNS + " FROM cancel_requests WHERE id=?",
                JdbcRunStore::cancelRequest, id));
    }

    @Override
    public void queueCallback(long runId, long seq, String body, Instant at) {
        db.write(Lane.URGENT, s -> s.update("INSERT INTO callback_inbox (run_id, seq, body, received_at) VALUES (?,?,?,?) "
                + "ON CONFLICT (run_id, seq) DO NOTHING", runId, seq, body, at.toEpochMilli()));
    }

    @Override
    public List<QueuedCallback> queuedCallbacks(int limit) {
        return db.read(s -> s.query("SELECT run_id, seq, body FROM callback_inbox ORDER BY run_id, seq LIMIT ?",
                rs -> new QueuedCallback(rs.getLong(1), rs.getLong(2), rs.getString(3)), limit));
    }

    @Override
    public void dropCallback(long runId, long seq) {
        db.write(Lane.URGENT, s -> s.update("DELETE FROM callback_inbox WHERE run_id=? AND seq=?", runId, seq));
    }

    @Override
    public void finishCancelRequest(long id, String outcome, Instant at) {
        db.write(Lane.URGENT, s -> s.update("UPDATE cancel_requests SET outcome=?, handled_at=? WHERE id=?",
                outcome, at.toEpochMilli(), id));
    }
}
