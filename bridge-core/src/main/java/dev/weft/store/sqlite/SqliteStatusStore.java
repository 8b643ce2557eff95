package dev.weft.store.sqlite;

import dev.weft.model.Nanos;
import dev.weft.model.RunState;
import dev.weft.model.Status;
import dev.weft.model.StatusEvent;
import dev.weft.model.WorkflowId;
import dev.weft.store.OutboxEntry;
import dev.weft.store.StatusStore;
import dev.weft.store.StoredFrame;
import dev.weft.store.sqlite.SqliteWriter.Lane;

import java.util.List;
import java.util.Optional;

final class SqliteStatusStore implements StatusStore {
    private final SqliteDatabase db;

    SqliteStatusStore(SqliteDatabase db) {
        this.db = db;
    }

    private static final String OUTBOX = "SELECT o.seq, o.run_id, r.knot, r.rkey, r.workflow, o.state, o.error, o.exit_code, "
            + "o.not_before FROM status_outbox o JOIN runs r ON r.id = o.run_id ";

    private static OutboxEntry outboxEntry(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new OutboxEntry(rs.getLong(1), rs.getLong(2), new WorkflowId(rs.getString(3), rs.getString(4), rs.getString(5)),
                Status.of(RunState.fromWire(rs.getString(6)).orElseThrow(), rs.getString(7), Session.nullableLong(rs, 8)),
                rs.getLong(9));
    }

    @Override
    public Optional<OutboxEntry> nextDue() {
        return db.read(s -> s.queryOne(OUTBOX + "ORDER BY o.not_before, o.seq LIMIT 1", SqliteStatusStore::outboxEntry));
    }

    @Override
    public List<OutboxEntry> due(long nowNanos, int limit) {
        return db.read(s -> s.query(OUTBOX + "WHERE o.not_before <= ? ORDER BY o.not_before, o.seq LIMIT ?",
                SqliteStatusStore::outboxEntry, nowNanos, limit));
    }

    @Override
    public long lastScheduled(long runId) {
        return db.read(s -> s.queryLong(
                "SELECT MAX(COALESCE((SELECT MAX(not_before) FROM status_outbox WHERE run_id=?1), 0), "
                        + "COALESCE((SELECT MAX(created_at) FROM status_events WHERE run_id=?1), 0))", runId));
    }

    @Override
    public void publishAll(List<Publication> publications) {
        db.write(Lane.URGENT, s -> {
            for (Publication p : publications) {
                StatusEvent e = p.event();
                if (s.update("DELETE FROM status_outbox WHERE seq=?", p.entry().seq()) != 1) {
                    throw new java.sql.SQLException("no outbox entry " + p.entry().seq());
                }
                s.update("INSERT INTO status_events (id, rkey, run_id, state, error, exit_code, created_at, frame) "
                                + "VALUES (?,?,?,?,?,?,?,?)", e.id(), e.rkey(), p.entry().runId(), e.status().state().wireName(),
                        e.status().error().orElse(null), e.status().exitCode().orElse(null), Nanos.of(e.createdAt()), p.frame());
            }
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
                        + "FROM status_events e JOIN runs r ON r.id = e.run_id WHERE e.id > ? ORDER BY e.id LIMIT ?",
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
        return db.read(s -> s.query("SELECT state, error, exit_code FROM status_events WHERE run_id=? ORDER BY id",
                rs -> Status.of(RunState.fromWire(rs.getString(1)).orElseThrow(), rs.getString(2), Session.nullableLong(rs, 3)),
                runId));
    }
}
