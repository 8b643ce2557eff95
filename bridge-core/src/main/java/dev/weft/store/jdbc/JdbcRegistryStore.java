package dev.weft.store.jdbc;

import dev.weft.model.RepoRef;
import dev.weft.model.RepoRef.RepoKey;
import dev.weft.store.Collaborator;
import dev.weft.store.KnotCollaborator;
import dev.weft.store.Member;
import dev.weft.store.RegisteredRepo;
import dev.weft.store.RegistryStore;
import dev.weft.store.jdbc.Database.Lane;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

final class JdbcRegistryStore implements RegistryStore {
    private final Database db;
    private final java.util.concurrent.ConcurrentHashMap<String, Long> unsavedCursors = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicBoolean flushQueued = new java.util.concurrent.atomic.AtomicBoolean();

    JdbcRegistryStore(Database db) {
        this.db = db;
    }

    @Override
    public boolean addRepo(RepoKey repo, String source, Instant since) {
        return db.write(Lane.URGENT, s -> s.update(
                "INSERT INTO repos (knot, did, name, repo_did, source, registered_at) VALUES (?,?,?,NULL,?,?) ON CONFLICT DO NOTHING",
                repo.knot(), repo.did(), repo.name(), source, since.toEpochMilli()) == 1);
    }

    @Override
    public boolean removeRepo(RepoKey repo) {
        return db.write(Lane.URGENT, s -> s.update("DELETE FROM repos WHERE knot=? AND did=? AND name=? AND repo_did IS NULL",
                repo.knot(), repo.did(), repo.name()) == 1);
    }

    @Override
    public boolean addRepoDid(RepoRef repo, String source, Instant since) {
        if (!repo.hasRepoDid()) throw new IllegalArgumentException("no repo DID: " + repo);
        return db.write(Lane.URGENT, s -> s.update(
                "INSERT INTO repos (knot, did, name, repo_did, source, registered_at) VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING",
                repo.knot(), repo.did(), repo.name(), repo.repoDid(), source, since.toEpochMilli()) == 1);
    }

    @Override
    public boolean updateRepoDid(RepoRef repo) {
        return db.write(Lane.URGENT, s -> s.update("UPDATE repos SET knot=?, did=?, name=? WHERE repo_did=? "
                        + "AND (knot<>? OR did<>? OR name<>?)",
                repo.knot(), repo.did(), repo.name(), repo.repoDid(), repo.knot(), repo.did(), repo.name()) == 1);
    }

    @Override
    public boolean removeRepoDid(String repoDid) {
        return db.write(Lane.URGENT, s -> {
            s.update("DELETE FROM knot_collaborators WHERE repo_did=?", repoDid);
            return s.update("DELETE FROM repos WHERE repo_did=?", repoDid) == 1;
        });
    }

    private static final String REPO_COLUMNS = "SELECT knot, did, name, source, registered_at, repo_did FROM repos";

    private static RegisteredRepo registeredRepo(ResultSet rs) throws SQLException {
        return new RegisteredRepo(new RepoKey(rs.getString(1), rs.getString(2), rs.getString(3)),
                rs.getString(4), Instant.ofEpochMilli(rs.getLong(5)), rs.getString(6));
    }

    @Override
    public Optional<RegisteredRepo> repoByDid(String repoDid) {
        return db.read(s -> s.queryOne(REPO_COLUMNS + " WHERE repo_did=?", JdbcRegistryStore::registeredRepo, repoDid));
    }

    @Override
    public List<RegisteredRepo> repos() {
        return db.read(s -> s.query(REPO_COLUMNS + " ORDER BY knot, did, name, COALESCE(repo_did, '')", JdbcRegistryStore::registeredRepo));
    }

    @Override
    public OptionalLong knotCursor(String knot) {
        Optional<Long> stored = db.read(s -> s.queryOne("SELECT cursor FROM knot_cursors WHERE knot=?", rs -> rs.getLong(1), knot));
        Long unsaved = unsavedCursors.get(knot);
        if (unsaved == null) return optionalLong(stored);
        return OptionalLong.of(Math.max(unsaved, stored.orElse(Long.MIN_VALUE)));
    }

    /**
     * Knot checkpoints are coalesced rather than committed one by one: a consumer saves one per
     * frame, and waiting for a commit each time would make the knot hop as slow as two commits
     * per trigger. The trigger's own intent was committed before its checkpoint is saved, so a
     * checkpoint lost in a crash only makes the reconnect rewind further, which exactly-once
     * absorbs. At most one flush is queued at a time; it writes the newest value per knot.
     */
    @Override
    public void saveKnotCursor(String knot, long unixNanos) {
        unsavedCursors.merge(knot, unixNanos, Math::max);
        if (flushQueued.compareAndSet(false, true)) {
            Map<String, Long> written = new java.util.HashMap<>();
            db.writeLater(Lane.URGENT, s -> flushCursors(s, written)).whenComplete((v, e) -> {
                if (e != null) {
                    // Not committed (the flush may not even have run): the values stay unsaved,
                    // and the next checkpoint queues a flush again instead of waiting forever.
                    flushQueued.set(false);
                    return;
                }
                // Forget a value only once it is committed, and only if no newer one came since,
                // so that knotCursor never reads an older checkpoint in between.
                written.forEach(unsavedCursors::remove);
            });
        }
    }

    private Void flushCursors(Session s, Map<String, Long> written) throws java.sql.SQLException {
        flushQueued.set(false);
        for (var e : unsavedCursors.entrySet()) {
            s.update("INSERT INTO knot_cursors (knot, cursor) VALUES (?, ?) "
                    + "ON CONFLICT (knot) DO UPDATE SET cursor = CASE WHEN excluded.cursor > knot_cursors.cursor "
                    + "THEN excluded.cursor ELSE knot_cursors.cursor END", e.getKey(), e.getValue());
            written.put(e.getKey(), e.getValue());
        }
        return null;
    }

    @Override
    public OptionalLong networkCursor(String name) {
        return optionalLong(db.read(s -> s.queryOne("SELECT time_us FROM network_cursors WHERE name=?", rs -> rs.getLong(1), name)));
    }

    @Override
    public void saveNetworkCursor(String name, long timeUs) {
        db.write(Lane.URGENT, s -> s.update("INSERT INTO network_cursors (name, time_us) VALUES (?, ?) "
                + "ON CONFLICT (name) DO UPDATE SET time_us = CASE WHEN excluded.time_us > network_cursors.time_us "
                + "THEN excluded.time_us ELSE network_cursors.time_us END", name, timeUs));
    }

    private static OptionalLong optionalLong(Optional<Long> v) {
        return v.map(OptionalLong::of).orElse(OptionalLong.empty());
    }

    @Override
    public Optional<String> recordRev(String did, String collection, String rkey) {
        return db.read(s -> s.queryOne("SELECT rev FROM network_records WHERE did=? AND collection=? AND rkey=?",
                rs -> rs.getString(1), did, collection, rkey));
    }

    @Override
    public void saveRecordRev(String did, String collection, String rkey, String rev) {
        db.write(Lane.URGENT, s -> s.update("INSERT INTO network_records (did, collection, rkey, rev) VALUES (?,?,?,?) "
                + "ON CONFLICT (did, collection, rkey) DO UPDATE SET rev=excluded.rev", did, collection, rkey, rev));
    }

    private static Member member(ResultSet rs) throws SQLException {
        return new Member(rs.getString(1), rs.getString(2), rs.getString(3), Instant.ofEpochMilli(rs.getLong(4)));
    }

    @Override
    public void putMember(String rkey, String subject, String source, Instant since) {
        db.write(Lane.URGENT, s -> s.update("INSERT INTO members (rkey, subject, source, added_at) VALUES (?,?,?,?) "
                        + "ON CONFLICT (rkey) DO UPDATE "
                        + "SET added_at = CASE WHEN members.subject = excluded.subject THEN members.added_at ELSE excluded.added_at END, "
                        + "subject=excluded.subject, source=excluded.source",
                rkey, subject, source, since.toEpochMilli()));
    }

    @Override
    public Optional<Member> removeMember(String rkey) {
        return db.write(Lane.URGENT, s -> {
            Optional<Member> m = s.queryOne("SELECT rkey, subject, source, added_at FROM members WHERE rkey=?",
                    JdbcRegistryStore::member, rkey);
            if (m.isPresent()) s.update("DELETE FROM members WHERE rkey=?", rkey);
            return m;
        });
    }

    @Override
    public List<Member> members() {
        return db.read(s -> s.query("SELECT rkey, subject, source, added_at FROM members ORDER BY subject, rkey",
                JdbcRegistryStore::member));
    }

    @Override
    public boolean isMember(String did) {
        return db.read(s -> s.queryLong("SELECT COUNT(*) FROM members WHERE subject=?", did) > 0);
    }

    @Override
    public Optional<RepoRef> repoRecord(String did, String rkey) {
        return db.read(s -> s.queryOne("SELECT knot, name, repo_did FROM repo_records WHERE did=? AND rkey=?",
                rs -> new RepoRef(rs.getString(1), did, rs.getString(2), "", rs.getString(3)), did, rkey));
    }

    @Override
    public void putRepoRecord(String rkey, RepoRef repo) {
        db.write(Lane.URGENT, s -> s.update("INSERT INTO repo_records (did, rkey, knot, name, repo_did) VALUES (?,?,?,?,?) "
                        + "ON CONFLICT (did, rkey) DO UPDATE SET knot=excluded.knot, name=excluded.name, repo_did=excluded.repo_did",
                repo.did(), rkey, repo.knot(), repo.name(), repo.hasRepoDid() ? repo.repoDid() : null));
    }

    @Override
    public void removeRepoRecord(String did, String rkey) {
        db.write(Lane.URGENT, s -> s.update("DELETE FROM repo_records WHERE did=? AND rkey=?", did, rkey));
    }

    @Override
    public boolean repoRecordHolds(RepoRef repo) {
        if (repo.hasRepoDid()) {
            return db.read(s -> s.queryLong("SELECT COUNT(*) FROM repo_records WHERE repo_did=?", repo.repoDid()) > 0);
        }
        return db.read(s -> s.queryLong("SELECT COUNT(*) FROM repo_records WHERE knot=? AND did=? AND name=? AND repo_did IS NULL",
                repo.knot(), repo.did(), repo.name()) > 0);
    }

    @Override
    public Map<String, RepoRef> repoRecordsOf(String did) {
        return db.read(s -> {
            Map<String, RepoRef> out = new TreeMap<>();
            for (var e : s.query("SELECT rkey, knot, name, repo_did FROM repo_records WHERE did=?",
                    rs -> Map.entry(rs.getString(1), new RepoRef(rs.getString(2), did, rs.getString(3), "", rs.getString(4))), did)) {
                out.put(e.getKey(), e.getValue());
            }
            return out;
        });
    }

    @Override
    public void putCollaborator(Collaborator c) {
        db.write(Lane.URGENT, s -> s.update("INSERT INTO collaborators (did, rkey, subject, repo, added_at) VALUES (?,?,?,?,?) "
                        + "ON CONFLICT (did, rkey) DO UPDATE SET subject=excluded.subject, repo=excluded.repo",
                c.did(), c.rkey(), c.subject(), c.repo(), c.since().toEpochMilli()));
    }

    @Override
    public boolean removeCollaborator(String did, String rkey) {
        return db.write(Lane.URGENT, s -> s.update("DELETE FROM collaborators WHERE did=? AND rkey=?", did, rkey) > 0);
    }

    @Override
    public void removeCollaboratorsBy(String did) {
        db.write(Lane.URGENT, s -> s.update("DELETE FROM collaborators WHERE did=?", did));
    }

    @Override
    public boolean isCollaborator(String repo, String subject) {
        return db.read(s -> s.queryLong("SELECT (SELECT COUNT(*) FROM collaborators WHERE repo=? AND subject=?) "
                + "+ (SELECT COUNT(*) FROM knot_collaborators WHERE repo_did=? AND subject=?)", repo, subject, repo, subject) > 0);
    }

    @Override
    public List<Collaborator> collaborators() {
        return db.read(s -> s.query("SELECT did, rkey, subject, repo, added_at FROM collaborators ORDER BY repo, subject",
                rs -> new Collaborator(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
                        Instant.ofEpochMilli(rs.getLong(5)))));
    }

    @Override
    public boolean addKnotCollaborator(KnotCollaborator c) {
        return db.write(Lane.URGENT, s -> s.update("INSERT INTO knot_collaborators (repo_did, subject, knot, added_at) "
                + "VALUES (?,?,?,?) ON CONFLICT DO NOTHING", c.repoDid(), c.subject(), c.knot(), c.since().toEpochMilli()) == 1);
    }

    @Override
    public boolean removeKnotCollaborator(String repoDid, String subject) {
        return db.write(Lane.URGENT, s -> s.update("DELETE FROM knot_collaborators WHERE repo_did=? AND subject=?",
                repoDid, subject) == 1);
    }

    @Override
    public List<KnotCollaborator> knotCollaborators() {
        return db.read(s -> s.query("SELECT repo_did, subject, knot, added_at FROM knot_collaborators ORDER BY repo_did, subject",
                rs -> new KnotCollaborator(rs.getString(1), rs.getString(2), rs.getString(3), Instant.ofEpochMilli(rs.getLong(4)))));
    }
}
