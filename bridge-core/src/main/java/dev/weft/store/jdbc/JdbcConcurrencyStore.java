package dev.weft.store.jdbc;

import dev.weft.model.QueueState;
import dev.weft.model.WorkflowId;
import dev.weft.store.ConcurrencyStore;
import dev.weft.store.QueueEntry;
import dev.weft.store.jdbc.Database.Lane;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The queues in SQL both databases speak. The one piece of locking: joining and taking first bump
 * the group's {@code concurrency_groups} row, an update that on PostgreSQL holds the row lock until
 * commit, so the check that no other member runs, done by the next statement, sees every member a
 * concurrent taker committed (READ COMMITTED takes a new snapshot per statement). SQLite's single
 * writer serialises the same way.
 */
final class JdbcConcurrencyStore implements ConcurrencyStore {
    private static final String COLUMNS = "q.run_id, q.repo, q.grp, r.knot, r.rkey, r.workflow, q.state, "
            + "q.cancel_in_progress, q.joined_at, q.started_at, q.superseded_by FROM concurrency_queue q "
            + "JOIN runs r ON r.id = q.run_id";
    /** Running first, then trigger order: what a queue shows. */
    private static final String ORDER = " ORDER BY q.repo, q.grp, CASE WHEN q.state='running' THEN 0 ELSE 1 END, q.run_id";

    /** The stored states a run takes the group from: {@link QueueState}'s, never spelt out here. */
    private static final String TAKEN_FROM = QueueState.predecessors(QueueState.RUNNING).stream()
            .map(q -> "'" + q.wireName() + "'").collect(java.util.stream.Collectors.joining(","));

    private final Database db;

    JdbcConcurrencyStore(Database db) {
        this.db = db;
    }

    private static QueueEntry entry(ResultSet rs) throws SQLException {
        Long started = Session.nullableLong(rs, 10);
        return new QueueEntry(rs.getLong(1), rs.getString(2), rs.getString(3),
                new WorkflowId(rs.getString(4), rs.getString(5), rs.getString(6)), QueueState.fromWire(rs.getString(7)),
                rs.getInt(8) == 1, Instant.ofEpochMilli(rs.getLong(9)), started == null ? null : Instant.ofEpochMilli(started),
                rs.getString(11));
    }

    /** Takes the group's row lock (creating the row the first time). */
    private static void lockGroup(Session s, String repo, String group) throws SQLException {
        s.update("INSERT INTO concurrency_groups (repo, grp, version) VALUES (?,?,1) ON CONFLICT (repo, grp) "
                + "DO UPDATE SET version = concurrency_groups.version + 1", repo, group);
    }

    @Override
    public List<Long> join(long runId, String repo, String group, boolean cancelInProgress, String pipelineTid,
                           Instant now) {
        return db.write(Lane.URGENT, s -> {
            lockGroup(s, repo, group);
            if (s.update("INSERT INTO concurrency_queue (run_id, repo, grp, cancel_in_progress, state, joined_at) "
                            + "VALUES (?,?,?,?,?,?) ON CONFLICT (run_id) DO NOTHING",
                    runId, repo, group, cancelInProgress, QueueState.WAITING.wireName(), now.toEpochMilli()) == 0) {
                return List.<Long>of();
            }
            if (!cancelInProgress) return List.<Long>of();
            List<Long> older = s.query("SELECT run_id FROM concurrency_queue WHERE repo=? AND grp=? AND run_id<? "
                    + "AND superseded_by IS NULL ORDER BY run_id", rs -> rs.getLong(1), repo, group, runId);
            s.update("UPDATE concurrency_queue SET superseded_by=? WHERE repo=? AND grp=? AND run_id<? AND superseded_by IS NULL",
                    pipelineTid, repo, group, runId);
            return List.copyOf(older);
        });
    }

    @Override
    public Optional<QueueEntry> take(long runId, Instant now) {
        return db.write(Lane.URGENT, s -> {
            Optional<QueueEntry> mine = s.queryOne("SELECT " + COLUMNS + " WHERE q.run_id=?", JdbcConcurrencyStore::entry, runId);
            if (mine.isEmpty() || mine.get().state() == QueueState.RUNNING) return mine;
            QueueEntry e = mine.get();
            lockGroup(s, e.repo(), e.group());
            s.update("UPDATE concurrency_queue SET state=?, started_at=? WHERE run_id=? AND state IN (" + TAKEN_FROM
                            + ") AND NOT EXISTS (SELECT 1 FROM concurrency_queue o WHERE o.repo=? AND o.grp=? "
                            + "AND o.run_id<>? AND (o.state=? OR o.run_id<?))",
                    QueueState.RUNNING.wireName(), now.toEpochMilli(), runId,
                    e.repo(), e.group(), runId, QueueState.RUNNING.wireName(), runId);
            return s.queryOne("SELECT " + COLUMNS + " WHERE q.run_id=?", JdbcConcurrencyStore::entry, runId);
        });
    }

    @Override
    public Optional<QueueEntry> entry(long runId) {
        return db.read(s -> s.queryOne("SELECT " + COLUMNS + " WHERE q.run_id=?", JdbcConcurrencyStore::entry, runId));
    }

    @Override
    public List<QueueEntry> queue(String repo, String group) {
        return db.read(s -> s.query("SELECT " + COLUMNS + " WHERE q.repo=? AND q.grp=?" + ORDER,
                JdbcConcurrencyStore::entry, repo, group));
    }

    @Override
    public List<QueueEntry> queuesNamed(String group) {
        return db.read(s -> s.query("SELECT " + COLUMNS + " WHERE q.grp=?" + ORDER, JdbcConcurrencyStore::entry, group));
    }

    @Override
    public List<QueueEntry> all() {
        return db.read(s -> s.query("SELECT " + COLUMNS + ORDER, JdbcConcurrencyStore::entry));
    }

    @Override
    public List<QueueEntry> superseded() {
        return db.read(s -> s.query("SELECT " + COLUMNS + " WHERE q.superseded_by IS NOT NULL ORDER BY q.run_id",
                JdbcConcurrencyStore::entry));
    }
}
