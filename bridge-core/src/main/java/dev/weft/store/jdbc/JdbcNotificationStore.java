package dev.weft.store.jdbc;

import dev.weft.store.NotificationStore;
import dev.weft.store.jdbc.Database.Lane;

import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;

final class JdbcNotificationStore implements NotificationStore {
    private final Database db;

    JdbcNotificationStore(Database db) {
        this.db = db;
    }

    @Override
    public List<PendingNotice> pending(int limit) {
        return db.read(s -> s.query("SELECT seq, run_id, state FROM notify_pending ORDER BY seq LIMIT ?",
                rs -> new PendingNotice(rs.getLong(1), rs.getLong(2), rs.getString(3)), limit));
    }

    @Override
    public Optional<Incident> openIncident(String scope) {
        return db.read(s -> s.queryOne("SELECT id, scope, opened_at, step, exit_code FROM notify_incidents "
                        + "WHERE scope=? AND closed_at IS NULL",
                rs -> new Incident(rs.getLong(1), rs.getString(2), rs.getLong(3), rs.getString(4), Session.nullableLong(rs, 5)),
                scope));
    }

    @Override
    public long queue(long seq, IncidentChange change, LongFunction<List<NewNotice>> notices, long nowMillis) {
        return db.write(Lane.URGENT, s -> {
            long incident = switch (change) {
                case IncidentChange.None n -> 0L;
                case IncidentChange.Open o -> {
                    // A scope already open (a replay after a crash between the two writes cannot
                    // happen: one transaction) keeps its incident.
                    Optional<Long> open = s.queryOne("SELECT id FROM notify_incidents WHERE scope=? AND closed_at IS NULL",
                            rs -> rs.getLong(1), o.scope());
                    if (open.isPresent()) yield open.get();
                    yield s.insertReturningKey("INSERT INTO notify_incidents (scope, opened_at, step, exit_code, pipeline) "
                            + "VALUES (?,?,?,?,?)", o.scope(), o.at(), o.step(), o.exitCode(), o.pipeline());
                }
                case IncidentChange.Update u -> {
                    s.update("UPDATE notify_incidents SET step=?, exit_code=?, pipeline=? WHERE id=?", u.step(), u.exitCode(),
                            u.pipeline(), u.id());
                    yield u.id();
                }
                case IncidentChange.Close c -> {
                    s.update("UPDATE notify_incidents SET closed_at=? WHERE id=? AND closed_at IS NULL", c.at(), c.id());
                    yield c.id();
                }
            };
            for (NewNotice n : notices.apply(incident)) {
                s.update("INSERT INTO notify_outbox (id, notifier, incident_id, body, next_at, created_at) "
                        + "VALUES (?,?,?,?,?,?) ON CONFLICT DO NOTHING", n.id(), n.notifier(), n.incidentId() != null ? n.incidentId()
                        : incident == 0 ? null : incident, n.body(), nowMillis, nowMillis);
            }
            s.update("DELETE FROM notify_pending WHERE seq=?", seq);
            return incident;
        });
    }

    @Override
    public void discard(List<Long> seqs) {
        if (seqs.isEmpty()) return;
        db.write(Lane.URGENT, s -> {
            for (long seq : seqs) s.update("DELETE FROM notify_pending WHERE seq=?", seq);
            return null;
        });
    }

    @Override
    public List<OutboxNotice> due(String notifier, long nowMillis, int limit) {
        // Both lookups use V14's partial indexes on queued rows, whatever the sent history.
        return db.read(s -> s.query("SELECT id, notifier, incident_id, body, attempts, created_at FROM notify_outbox "
                        + "WHERE state='queued' AND notifier=? AND next_at<=? "
                        // In order per incident: an update must not overtake the post that created
                        // the message it updates (nor a fix the failure it ends).
                        + "AND NOT EXISTS (SELECT 1 FROM notify_outbox e WHERE e.state='queued' AND e.notifier=notify_outbox.notifier "
                        + "AND e.incident_id=notify_outbox.incident_id AND e.rowid<notify_outbox.rowid) "
                        + "ORDER BY rowid LIMIT ?",
                rs -> new OutboxNotice(rs.getString(1), rs.getString(2), Session.nullableLong(rs, 3), rs.getString(4),
                        rs.getInt(5), rs.getLong(6)), notifier, nowMillis, limit));
    }

    @Override
    public List<String> queuedNotifiers() {
        return db.read(s -> s.query("SELECT DISTINCT notifier FROM notify_outbox WHERE state='queued' ORDER BY notifier",
                rs -> rs.getString(1)));
    }

    @Override
    public void delivered(String id, String notifier, Long incidentId, String ref) {
        db.write(Lane.URGENT, s -> {
            s.update("UPDATE notify_outbox SET state='sent', attempts=attempts+1, last_error=NULL WHERE id=? AND notifier=?",
                    id, notifier);
            if (incidentId != null && ref != null) {
                s.update("INSERT INTO notify_incident_refs (incident_id, notifier, ref) VALUES (?,?,?) "
                        + "ON CONFLICT (incident_id, notifier) DO UPDATE SET ref=excluded.ref", incidentId, notifier, ref);
            }
            return null;
        });
    }

    @Override
    public void retryLater(String id, String notifier, long nextAt, String error) {
        db.write(Lane.URGENT, s -> s.update("UPDATE notify_outbox SET attempts=attempts+1, next_at=?, last_error=? "
                + "WHERE id=? AND notifier=?", nextAt, error, id, notifier));
    }

    @Override
    public void giveUp(String id, String notifier, String error) {
        db.write(Lane.URGENT, s -> s.update("UPDATE notify_outbox SET state='dead', attempts=attempts+1, last_error=? "
                + "WHERE id=? AND notifier=?", error, id, notifier));
    }

    @Override
    public List<Long> openIncidentsOfPipeline(String pipeline) {
        return db.read(s -> s.query("SELECT id FROM notify_incidents WHERE pipeline=? AND closed_at IS NULL ORDER BY id",
                rs -> rs.getLong(1), pipeline));
    }

    @Override
    public Optional<String> lastBody(long incidentId, String notifier) {
        return db.read(s -> s.queryOne("SELECT body FROM notify_outbox WHERE incident_id=? AND notifier=? ORDER BY rowid DESC LIMIT 1",
                rs -> rs.getString(1), incidentId, notifier));
    }

    @Override
    public Optional<String> incidentRef(long incidentId, String notifier) {
        return db.read(s -> s.queryOne("SELECT ref FROM notify_incident_refs WHERE incident_id=? AND notifier=?",
                rs -> rs.getString(1), incidentId, notifier));
    }

    @Override
    public long queued(String notifier) {
        return db.read(s -> s.queryLong("SELECT COUNT(*) FROM notify_outbox WHERE state='queued' AND notifier=?", notifier));
    }

    @Override
    public int trim(String notifier, int keep, String reason) {
        // Every queued row but the newest {@code keep}, in SQL both databases speak. Newest by
        // insertion order (rowid): a flood queues thousands of rows within one millisecond.
        return db.write(Lane.URGENT, s -> s.update("UPDATE notify_outbox SET state='dead', last_error=? "
                + "WHERE state='queued' AND notifier=? AND rowid NOT IN (SELECT rowid FROM notify_outbox WHERE state='queued' "
                + "AND notifier=? ORDER BY rowid DESC LIMIT ?)", reason, notifier, notifier, keep));
    }
}
