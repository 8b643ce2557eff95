package dev.weft.store.jdbc;

import dev.weft.model.Nanos;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.StatusEvent;
import dev.weft.model.WorkflowId;
import dev.weft.store.OutboxEntry;
import dev.weft.store.StatusStore;
import dev.weft.store.StoreSignals;
import dev.weft.store.StoredFrame;
import dev.weft.store.TriggerJson;
import dev.weft.store.jdbc.Database.Lane;

import java.util.List;
import java.util.Optional;

final class JdbcStatusStore implements StatusStore {
    private final Database db;

    JdbcStatusStore(Database db) {
        this.db = db;
    }

    private static final String OUTBOX = "SELECT o.seq, o.run_id, r.knot, r.rkey, r.workflow, o.state, o.error, o.exit_code, "
            + "o.not_before, o.nsid, CASE WHEN o.nsid = '" + JdbcRunStore.PIPELINE_NSID + "' THEN "
            + "(SELECT t.trigger FROM triggers t WHERE t.knot = r.knot AND t.rkey = r.rkey) END "
            + "FROM status_outbox o JOIN runs r ON r.id = o.run_id ";
    /** Only status rows: pipeline records are frames, not statuses, to every reader but /events. */
    private static final String STATUS_ROWS = "e.nsid = 'sh.tangled.pipeline.status'";

    private static OutboxEntry outboxEntry(java.sql.ResultSet rs) throws java.sql.SQLException {
        if (JdbcRunStore.PIPELINE_NSID.equals(rs.getString(10))) {
            return new OutboxEntry.PipelineDue(rs.getLong(1), rs.getLong(2), TriggerJson.read(rs.getString(11)), rs.getLong(9));
        }
        return new OutboxEntry.StatusDue(rs.getLong(1), rs.getLong(2), new WorkflowId(rs.getString(3), rs.getString(4), rs.getString(5)),
                Status.of(RunState.fromWire(rs.getString(6)).orElseThrow(), rs.getString(7), Session.nullableLong(rs, 8)),
                rs.getLong(9));
    }

    @Override
    public Optional<OutboxEntry> nextDue() {
        return db.read(s -> s.queryOne(OUTBOX + "ORDER BY o.not_before, o.seq LIMIT 1", JdbcStatusStore::outboxEntry));
    }

    @Override
    public List<OutboxEntry> due(long nowNanos, int limit) {
        return db.read(s -> s.query(OUTBOX + "WHERE o.not_before <= ? ORDER BY o.not_before, o.seq LIMIT ?",
                JdbcStatusStore::outboxEntry, nowNanos, limit));
    }

    @Override
    public long lastScheduled(long runId) {
        return db.read(s -> s.queryLong(
                "SELECT COALESCE(MAX(t), 0) FROM (SELECT MAX(not_before) AS t FROM status_outbox WHERE run_id=? "
                        + "UNION ALL SELECT MAX(created_at) FROM status_events e WHERE run_id=? AND " + STATUS_ROWS + ") x",
                runId, runId));
    }

    @Override
    public void publishAll(List<Publication> publications) {
        db.write(Lane.URGENT, s -> {
            for (Publication p : publications) {
                if (s.update("DELETE FROM status_outbox WHERE seq=?", p.entry().seq()) != 1) {
                    throw new java.sql.SQLException("no outbox entry " + p.entry().seq());
                }
                switch (p.entry()) {
                    case OutboxEntry.StatusDue d -> s.update(
                            "INSERT INTO status_events (id, rkey, run_id, state, error, exit_code, created_at, frame) "
                                    + "VALUES (?,?,?,?,?,?,?,?)", p.id(), p.rkey(), d.runId(), d.status().state().wireName(),
                            d.status().error().orElse(null), d.status().exitCode().orElse(null), Nanos.of(p.createdAt()),
                            p.frame());
                    // The rkey column is unique across the log, and a pipeline's TID is minted by
                    // knots too: the row is keyed apart, the frame holds the wire rkey.
                    case OutboxEntry.PipelineDue d -> s.update(
                            "INSERT INTO status_events (id, rkey, run_id, state, created_at, frame, nsid) VALUES (?,?,?,?,?,?,?)",
                            p.id(), "pipeline " + d.trigger().pipeline().knot() + " " + p.rkey(), d.runId(),
                            RunState.PENDING.wireName(), Nanos.of(p.createdAt()), p.frame(), JdbcRunStore.PIPELINE_NSID);
                }
            }
            // Viewers on the other instances follow the log: their instances hear of it at the commit.
            if (!publications.isEmpty()) db.signal(s, StoreSignals.EVENTS);
            return null;
        });
    }

    @Override
    public long lastEventId() {
        return db.read(s -> s.queryLong("SELECT COALESCE(MAX(id), 0) FROM status_events"));
    }

    @Override
    public List<StatusEvent> eventsAfter(long afterId, int limit) {
        return db.read(s -> s.query(
                "SELECT e.id, e.rkey, r.knot, r.rkey, r.workflow, e.state, e.error, e.exit_code, e.created_at "
                        + "FROM status_events e JOIN runs r ON r.id = e.run_id WHERE e.id > ? AND " + STATUS_ROWS + " ORDER BY e.id LIMIT ?",
                rs -> new StatusEvent(rs.getLong(1), rs.getString(2),
                        new WorkflowId(rs.getString(3), rs.getString(4), rs.getString(5)),
                        Status.of(RunState.fromWire(rs.getString(6)).orElseThrow(), rs.getString(7), Session.nullableLong(rs, 8)),
                        Nanos.instant(rs.getLong(9))), afterId, limit));
    }

    @Override
    public List<StoredFrame> framesAfter(long afterId, int limit) {
        return db.scan(s -> s.query("SELECT id, frame FROM status_events WHERE id > ? ORDER BY id LIMIT ?",
                rs -> new StoredFrame(rs.getLong(1), rs.getBytes(2)), afterId, limit));
    }

    @Override
    public List<Status> publishedStatuses(long runId) {
        return db.read(s -> s.query("SELECT state, error, exit_code FROM status_events e WHERE run_id=? AND " + STATUS_ROWS + " ORDER BY id",
                rs -> Status.of(RunState.fromWire(rs.getString(1)).orElseThrow(), rs.getString(2), Session.nullableLong(rs, 3)),
                runId));
    }
}
