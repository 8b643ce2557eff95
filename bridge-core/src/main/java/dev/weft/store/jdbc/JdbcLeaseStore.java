package dev.weft.store.jdbc;

import dev.weft.store.LeaseStore;
import dev.weft.store.jdbc.Database.Lane;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Leases in one upsert both databases speak: the conflict branch only overwrites a row that is
 * expired or already the caller's, so two instances racing for a free lease cannot both win
 * (the primary key serialises them and the loser's guarded update changes no row).
 */
final class JdbcLeaseStore implements LeaseStore {
    private static final String OPEN = "state IN ('pending','running')";
    /** Word for word the predicate of index {@code runs_log_open} (V18), so both databases use it. */
    private static final String LOG_OPEN = "log_complete = 0 AND state IN ('success', 'failed', 'timeout', 'cancelled')";
    private final Database db;

    JdbcLeaseStore(Database db) {
        this.db = db;
    }

    @Override
    public boolean acquire(String name, String holder, Instant now, Duration ttl) {
        long until = now.plus(ttl).toEpochMilli();
        return db.write(Lane.URGENT, s -> s.update(
                "INSERT INTO leases (name, holder, expires_at) VALUES (?,?,?) ON CONFLICT (name) DO UPDATE "
                        + "SET holder = excluded.holder, expires_at = excluded.expires_at "
                        + "WHERE leases.holder = excluded.holder OR leases.expires_at <= ?",
                name, holder, until, now.toEpochMilli()) == 1);
    }

    @Override
    public boolean release(String name, String holder) {
        return db.write(Lane.URGENT, s -> s.update("DELETE FROM leases WHERE name=? AND holder=?", name, holder) == 1);
    }

    @Override
    public Optional<Lease> lease(String name) {
        return db.read(s -> s.queryOne("SELECT name, holder, expires_at FROM leases WHERE name=?", JdbcLeaseStore::lease, name));
    }

    @Override
    public List<Lease> leases() {
        return db.read(s -> s.query("SELECT name, holder, expires_at FROM leases ORDER BY name", JdbcLeaseStore::lease));
    }

    /** An open run another instance may have left, with the owner it had when read. */
    private record Orphan(long id, String owner) {
    }

    @Override
    public List<Long> adoptRuns(String newOwner, Instant now) {
        return db.write(Lane.URGENT, s -> {
            // Candidates first, then one update per run guarded by the owner it was read with: a run
            // another instance adopted meanwhile no longer has that owner and is skipped, and a run
            // inserted meanwhile is never a candidate (comparing owned runs before and after would
            // count it as adopted under READ COMMITTED).
            List<Orphan> orphans = s.query("SELECT id, owner FROM runs r WHERE " + OPEN + " AND (owner IS NULL OR "
                            + "(owner <> ? AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.name = 'instance:' || r.owner "
                            + "AND l.expires_at > ?))) ORDER BY id",
                    rs -> new Orphan(rs.getLong(1), rs.getString(2)), newOwner, now.toEpochMilli());
            List<Long> adopted = new ArrayList<>();
            for (Orphan o : orphans) {
                int moved = o.owner() == null
                        ? s.update("UPDATE runs SET owner=? WHERE id=? AND owner IS NULL AND " + OPEN, newOwner, o.id())
                        : s.update("UPDATE runs SET owner=? WHERE id=? AND owner=? AND " + OPEN, newOwner, o.id(), o.owner());
                if (moved == 1) adopted.add(o.id());
            }
            return adopted;
        });
    }

    @Override
    public boolean takeLog(long runId, String holder, Instant now) {
        if (holder == null || holder.isEmpty()) throw new IllegalArgumentException("taking a log for no holder");
        // One statement, as a build request's take: the row lock serialises two takers, and the
        // loser re-evaluates the guard against the winner, now the (live) owner.
        return db.write(Lane.URGENT, s -> s.update("UPDATE runs SET owner=? WHERE id=? AND NOT (" + OPEN
                        + ") AND log_complete=0 AND (owner IS NULL OR owner='' OR owner=? OR NOT EXISTS (SELECT 1 FROM leases l "
                        + "WHERE l.name = 'instance:' || runs.owner AND l.expires_at > ?))",
                holder, runId, holder, now.toEpochMilli()) == 1);
    }

    @Override
    public List<Long> orphanedLogs(String holder, Instant now, int limit) {
        return db.read(s -> s.query("SELECT id FROM runs r WHERE " + LOG_OPEN + " AND (owner IS NULL OR owner = '' OR "
                        + "(owner <> ? AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.name = 'instance:' || r.owner "
                        + "AND l.expires_at > ?))) ORDER BY id LIMIT ?",
                rs -> rs.getLong(1), holder, now.toEpochMilli(), limit));
    }

    @Override
    public List<Long> ownedRuns(String owner) {
        return db.read(s -> ids(s, owner));
    }

    private static List<Long> ids(Session s, String owner) throws java.sql.SQLException {
        return s.query("SELECT id FROM runs WHERE " + OPEN + " AND owner=? ORDER BY id", rs -> rs.getLong(1), owner);
    }

    private static Lease lease(java.sql.ResultSet rs) throws java.sql.SQLException {
        return new Lease(rs.getString(1), rs.getString(2), Instant.ofEpochMilli(rs.getLong(3)));
    }
}
