package dev.weft.store.jdbc;

import dev.weft.store.OperatorSessionStore;
import dev.weft.store.jdbc.Database.Lane;

import java.util.List;
import java.util.OptionalLong;

final class JdbcOperatorSessionStore implements OperatorSessionStore {
    private final Database db;

    JdbcOperatorSessionStore(Database db) {
        this.db = db;
    }

    @Override
    public void open(String idHash, long createdAt, long expiresAt, int max, long now) {
        db.write(Lane.URGENT, s -> {
            s.update("DELETE FROM operator_sessions WHERE expires_at <= ?", now);
            long live = s.queryLong("SELECT COUNT(*) FROM operator_sessions");
            if (live >= max) {
                // Oldest first; id_hash breaks ties so that every backend drops the same ones.
                s.update("DELETE FROM operator_sessions WHERE id_hash IN (SELECT id_hash FROM operator_sessions "
                        + "ORDER BY created_at, id_hash LIMIT ?)", live - max + 1);
            }
            s.update("INSERT INTO operator_sessions (id_hash, created_at, expires_at) VALUES (?,?,?)", idHash, createdAt, expiresAt);
            return null;
        });
    }

    @Override
    public OptionalLong expiry(String idHash, long now) {
        List<Long> found = db.read(s -> s.query("SELECT expires_at FROM operator_sessions WHERE id_hash=? AND expires_at > ?",
                rs -> rs.getLong(1), idHash, now));
        return found.isEmpty() ? OptionalLong.empty() : OptionalLong.of(found.get(0));
    }

    @Override
    public void close(String idHash) {
        db.write(Lane.URGENT, s -> s.update("DELETE FROM operator_sessions WHERE id_hash=?", idHash));
    }
}
