package dev.weft.store.jdbc;

import dev.weft.store.LogStore;
import dev.weft.store.StepRecord;
import dev.weft.store.StoreSignals;
import dev.weft.store.StoredFrame;
import dev.weft.store.jdbc.Database.Lane;

import java.util.List;

final class JdbcLogStore implements LogStore {
    private final Database db;

    JdbcLogStore(Database db) {
        this.db = db;
    }

    @Override
    public void insertStep(StepRecord st) {
        db.write(Lane.BULK, s -> s.update(
                "INSERT INTO steps (run_id, step_id, name, command, system, started_at, ended_at, callback) VALUES (?,?,?,?,?,?,?,?)",
                st.runId(), st.stepId(), st.name(), st.command(), st.system(), st.startedAt(), st.endedAt(), st.callback()));
    }

    @Override
    public void endStep(long runId, int stepId, long endedAt) {
        db.write(Lane.BULK, s -> s.update("UPDATE steps SET ended_at=? WHERE run_id=? AND step_id=?", endedAt, runId, stepId));
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
            s.update("INSERT INTO log_lines (run_id, seq, frame) VALUES (?,?,?)", runId, seq, frame);
            // Live viewers of this run on other instances re-read the store when told.
            db.signal(s, StoreSignals.LOG + runId);
            return null;
        });
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
            db.signal(s, StoreSignals.LOG + runId);
            return null;
        });
    }
}
