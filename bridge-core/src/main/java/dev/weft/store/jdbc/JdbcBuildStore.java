package dev.weft.store.jdbc;

import dev.weft.model.Nanos;
import dev.weft.model.PipelineId;
import dev.weft.store.BuildRecord;
import dev.weft.store.BuildStore;
import dev.weft.store.jdbc.Database.Lane;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

final class JdbcBuildStore implements BuildStore {
    private static final String COLUMNS = "id, knot, rkey, repo, request, state, attempts, error, received_at, updated_at, builder";
    private static final String WAITING = "state='" + BuildRecord.State.WAITING.wireName() + "'";
    /**
     * Who may take a request: nobody builds it, the caller does, or its builder's liveness lease is
     * not live (expired, or handed back by a clean stop). Parameters: the caller, now in millis.
     */
    private static final String TAKEABLE = "(builder = '' OR builder = ? OR NOT EXISTS (SELECT 1 FROM leases l "
            + "WHERE l.name = 'instance:' || build_requests.builder AND l.expires_at > ?))";
    private final Database db;

    JdbcBuildStore(Database db) {
        this.db = db;
    }

    private static BuildRecord record(ResultSet rs) throws SQLException {
        return new BuildRecord(rs.getLong(1), new PipelineId(rs.getString(2), rs.getString(3)), rs.getString(4),
                rs.getString(5), BuildRecord.State.fromWire(rs.getString(6)), rs.getInt(7), rs.getString(8),
                Nanos.instant(rs.getLong(9)), Nanos.instant(rs.getLong(10)), rs.getString(11));
    }

    @Override
    public Optional<BuildRecord> insertRequest(String claim, PipelineId pipeline, String repo, String request,
                                               Instant receivedAt, String builder) {
        String by = builder == null ? "" : builder;
        return db.write(Lane.URGENT, s -> {
            if (s.update("INSERT INTO claimed_keys (claim, knot, rkey) VALUES (?,?,?) ON CONFLICT DO NOTHING",
                    claim, pipeline.knot(), pipeline.rkey()) == 0) {
                return Optional.empty();
            }
            long at = Nanos.of(receivedAt);
            long id = s.insertReturningKey("INSERT INTO build_requests (knot, rkey, repo, request, state, received_at, "
                            + "updated_at, builder) VALUES (?,?,?,?,?,?,?,?)", pipeline.knot(), pipeline.rkey(), repo, request,
                    BuildRecord.State.WAITING.wireName(), at, at, by);
            return Optional.of(new BuildRecord(id, pipeline, repo, request, BuildRecord.State.WAITING, 0, null,
                    receivedAt, receivedAt, by));
        });
    }

    @Override
    public List<BuildRecord> waitingRequests() {
        return db.read(s -> s.query("SELECT " + COLUMNS + " FROM build_requests WHERE state=? ORDER BY id",
                JdbcBuildStore::record, BuildRecord.State.WAITING.wireName()));
    }

    @Override
    public List<BuildRecord> buildableRequests(String builder, Instant now) {
        return db.read(s -> s.query("SELECT " + COLUMNS + " FROM build_requests WHERE " + WAITING + " AND " + TAKEABLE
                + " ORDER BY id", JdbcBuildStore::record, builder, now.toEpochMilli()));
    }

    @Override
    public boolean takeRequest(long id, String builder, Instant now) {
        if (builder == null || builder.isEmpty()) throw new IllegalArgumentException("taking a request for no builder");
        // One statement: the row lock the update takes serialises two instances taking the same
        // request, and the loser re-evaluates the guard against the winner's builder, now live.
        return db.write(Lane.URGENT, s -> s.update("UPDATE build_requests SET builder=? WHERE id=? AND " + WAITING
                + " AND " + TAKEABLE, builder, id, builder, now.toEpochMilli()) == 1);
    }

    @Override
    public void attemptFailed(long id, String error, Instant at) {
        db.write(Lane.URGENT, s -> s.update("UPDATE build_requests SET attempts=attempts+1, error=?, updated_at=? "
                + "WHERE id=? AND state=?", error, Nanos.of(at), id, BuildRecord.State.WAITING.wireName()));
    }

    @Override
    public void finishRequest(long id, BuildRecord.State state, String error, Instant at) {
        if (state == BuildRecord.State.WAITING) throw new IllegalArgumentException("finishing a request as waiting");
        db.write(Lane.URGENT, s -> s.update("UPDATE build_requests SET state=?, error=?, updated_at=? WHERE id=? AND state=?",
                state.wireName(), error, Nanos.of(at), id, BuildRecord.State.WAITING.wireName()));
    }

    @Override
    public List<BuildRecord> recentRequests(String repo, int limit) {
        return db.read(s -> s.query("SELECT " + COLUMNS + " FROM build_requests WHERE repo=? ORDER BY id DESC LIMIT ?",
                JdbcBuildStore::record, repo, limit));
    }

    @Override
    public Optional<BuildRecord> request(PipelineId pipeline) {
        return db.read(s -> s.queryOne("SELECT " + COLUMNS + " FROM build_requests WHERE knot=? AND rkey=?",
                JdbcBuildStore::record, pipeline.knot(), pipeline.rkey()));
    }
}
