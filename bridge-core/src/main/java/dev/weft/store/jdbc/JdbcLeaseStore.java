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

    @Override
    public List<Long> adoptRuns(String newOwner, Instant now) {
        return db.write(Lane.URGENT, s -> {
            // Owners first, then one guarded update per dead owner: a run another instance adopted
            // meanwhile no longer has the dead owner, so the update skips it.
            List<String> dead = s.query("SELECT DISTINCT owner FROM runs r WHERE " + OPEN + " AND owner IS NOT NULL "
                            + "AND owner <> ? AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.name = 'instance:' || r.owner "
                            + "AND l.expires_at > ?)", rs -> rs.getString(1), newOwner, now.toEpochMilli());
            List<Long> before = ids(s, newOwner);
            s.update("UPDATE runs SET owner=? WHERE " + OPEN + " AND owner IS NULL", newOwner);
            for (String owner : dead) s.update("UPDATE runs SET owner=? WHERE " + OPEN + " AND owner=?", newOwner, owner);
            List<Long> adopted = new ArrayList<>(ids(s, newOwner));
            adopted.removeAll(before);
            return adopted;
        });
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
