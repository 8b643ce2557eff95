package dev.weft.store.jdbc;

import dev.weft.store.LogStore;
import dev.weft.store.ParkedLogOp;
import dev.weft.store.StepRecord;
import dev.weft.store.StoreSignals;
import dev.weft.store.StoredFrame;
import dev.weft.store.jdbc.Database.Lane;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

final class JdbcLogStore implements LogStore {
    private final Database db;

    JdbcLogStore(Database db) {
        this.db = db;
    }

    @Override
    public void insertStep(StepRecord st) {
        db.write(Lane.BULK, s -> insertStep(s, st));
    }

    private static int insertStep(Session s, StepRecord st) throws SQLException {
        return s.update(
                "INSERT INTO steps (run_id, step_id, name, command, system, started_at, ended_at, callback) VALUES (?,?,?,?,?,?,?,?)",
                st.runId(), st.stepId(), st.name(), st.command(), st.system(), st.startedAt(), st.endedAt(), st.callback());
    }

    @Override
    public void endStep(long runId, int stepId, long endedAt) {
        db.write(Lane.BULK, s -> endStep(s, runId, stepId, endedAt));
    }

    private static int endStep(Session s, long runId, int stepId, long endedAt) throws SQLException {
        return s.update("UPDATE steps SET ended_at=? WHERE run_id=? AND step_id=?", endedAt, runId, stepId);
    }

    @Override
    public List<StepRecord> steps(long runId) {
        return db.read(s -> s.query(
                "SELECT step_id, name, command, system, started_at, ended_at, callback FROM steps WHERE run_id=? ORDER BY step_id",
                rs -> new StepRecord(runId, rs.getInt(1), rs.getString(2), rs.getString(3), rs.getInt(4) == 1,
                        rs.getLong(5), Session.nullableLong(rs, 6), rs.getInt(7) == 1), runId));
    }

    @Override
    public void append(long runId, long seq, byte[] frame) {
        db.write(Lane.BULK, s -> {
            append(s, runId, seq, frame);
            return null;
        });
    }

    private void append(Session s, long runId, long seq, byte[] frame) throws SQLException {
        s.update("INSERT INTO log_lines (run_id, seq, frame) VALUES (?,?,?)", runId, seq, frame);
        // Live viewers of this run on other instances re-read the store when told.
        db.signal(s, StoreSignals.LOG + runId);
    }

    @Override
    public long lastSeq(long runId) {
        return db.read(s -> s.queryLong("SELECT COALESCE(MAX(seq), 0) FROM log_lines WHERE run_id=?", runId));
    }

    @Override
    public List<StoredFrame> after(long runId, long afterSeq, int limit) {
        return db.read(s -> s.query("SELECT seq, frame FROM log_lines WHERE run_id=? AND seq>? ORDER BY seq LIMIT ?",
                rs -> new StoredFrame(rs.getLong(1), rs.getBytes(2)), runId, afterSeq, limit));
    }

    @Override
    public void markComplete(long runId) {
        // Each append returned only once committed, so every line of the run is durable before
        // this flag is: a viewer told "complete" finds them all.
        db.write(Lane.BULK, s -> {
            s.update("UPDATE runs SET log_complete=1 WHERE id=?", runId);
            s.update("DELETE FROM log_inbox_steps WHERE run_id=?", runId);
            db.signal(s, StoreSignals.LOG + runId);
            return null;
        });
    }

    private static final String OP_COLUMNS = "id, run_id, kind, step_id, step_op, name, command, system, stderr, body, at_nanos";

    @Override
    public OptionalLong park(ParkedLogOp op, int maxOps, long maxBytes) {
        return db.write(Lane.URGENT, s -> {
            long[] held = s.query("SELECT COUNT(*), COALESCE(SUM(size), 0) FROM log_inbox WHERE run_id=?",
                    rs -> new long[]{rs.getLong(1), rs.getLong(2)}, op.runId()).get(0);
            if (held[0] >= maxOps || held[1] + op.size() > maxBytes) return OptionalLong.empty();
            String sql = "INSERT INTO log_inbox (run_id, kind, step_id, step_op, name, command, system, stderr, body, at_nanos, size) "
                    + "VALUES (?,?,?,?,?,?,?,?,?,?,?)";
            long id = switch (op) {
                case ParkedLogOp.Start st -> s.insertReturningKey(sql, op.runId(), "start", null, null, st.name(), st.command(),
                        st.system(), false, null, op.at(), op.size());
                case ParkedLogOp.Line l -> s.insertReturningKey(sql, op.runId(), "line", storedStep(l.step()), parkedStep(l.step()),
                        null, null, false, l.stderr(), l.text(), op.at(), op.size());
                case ParkedLogOp.End e -> s.insertReturningKey(sql, op.runId(), "end", storedStep(e.step()), parkedStep(e.step()),
                        null, null, false, false, null, op.at(), op.size());
            };
            return OptionalLong.of(id);
        });
    }

    private static Integer storedStep(ParkedLogOp.StepRef ref) {
        return ref instanceof ParkedLogOp.StepRef.Stored st ? st.stepId() : null;
    }

    private static Long parkedStep(ParkedLogOp.StepRef ref) {
        return ref instanceof ParkedLogOp.StepRef.Parked p ? p.startOp() : null;
    }

    private static ParkedLogOp op(ResultSet rs) throws SQLException {
        long id = rs.getLong(1);
        long runId = rs.getLong(2);
        String kind = rs.getString(3);
        Long stepId = Session.nullableLong(rs, 4);
        Long stepOp = Session.nullableLong(rs, 5);
        long at = rs.getLong(11);
        if (kind.equals("start")) return new ParkedLogOp.Start(id, runId, rs.getString(6), rs.getString(7), rs.getInt(8) == 1, at);
        ParkedLogOp.StepRef step = stepId != null ? new ParkedLogOp.StepRef.Stored(stepId.intValue())
                : new ParkedLogOp.StepRef.Parked(stepOp == null ? 0 : stepOp);
        return switch (kind) {
            case "line" -> new ParkedLogOp.Line(id, runId, step, rs.getInt(9) == 1, rs.getString(10), at);
            case "end" -> new ParkedLogOp.End(id, runId, step, at);
            default -> throw new SQLException("log_inbox row " + id + " has unknown kind " + kind);
        };
    }

    @Override
    public List<Long> runsWithParkedOps(int limit) {
        return db.read(s -> s.query("SELECT DISTINCT run_id FROM log_inbox ORDER BY run_id LIMIT ?", rs -> rs.getLong(1), limit));
    }

    @Override
    public List<ParkedLogOp> parked(long runId, long afterId, int limit) {
        return db.read(s -> s.query("SELECT " + OP_COLUMNS + " FROM log_inbox WHERE run_id=? AND id>? ORDER BY id LIMIT ?",
                JdbcLogStore::op, runId, afterId, limit));
    }

    @Override
    public List<ParkedLogOp> parkedSteps(long runId) {
        return db.read(s -> s.query("SELECT " + OP_COLUMNS + " FROM log_inbox WHERE run_id=? AND kind IN ('start','end') ORDER BY id",
                JdbcLogStore::op, runId));
    }

    @Override
    public Map<Long, Integer> parkedStepIds(long runId) {
        return db.read(s -> {
            Map<Long, Integer> out = new HashMap<>();
            for (long[] row : s.query("SELECT op_id, step_id FROM log_inbox_steps WHERE run_id=?",
                    rs -> new long[]{rs.getLong(1), rs.getLong(2)}, runId)) {
                out.put(row[0], (int) row[1]);
            }
            return out;
        });
    }

    @Override
    public boolean applyParked(long runId, long opId, StepRecord started, int endedStep, long endedAt, long seq, byte[] frame) {
        return db.write(Lane.BULK, s -> {
            // The delete decides: of two instances applying one op (the driver, and one that stored
            // the run's end), or a retry after a crash, only the one that removes the row writes.
            if (s.update("DELETE FROM log_inbox WHERE run_id=? AND id=?", runId, opId) != 1) return false;
            if (started != null) {
                insertStep(s, started);
                s.update("INSERT INTO log_inbox_steps (run_id, op_id, step_id) VALUES (?,?,?)", runId, opId, started.stepId());
            }
            if (endedStep >= 0) endStep(s, runId, endedStep, endedAt);
            append(s, runId, seq, frame);
            return true;
        });
    }

    @Override
    public boolean dropParked(long runId, long opId) {
        return db.write(Lane.URGENT, s -> s.update("DELETE FROM log_inbox WHERE run_id=? AND id=?", runId, opId) == 1);
    }

    @Override
    public int dropParked(long runId) {
        return db.write(Lane.URGENT, s -> {
            s.update("DELETE FROM log_inbox_steps WHERE run_id=?", runId);
            return s.update("DELETE FROM log_inbox WHERE run_id=?", runId);
        });
    }
}
