-- One delivery lane per notifier, mirroring SQLite's V14: see db/sqlite/V14__notify_lanes.sql for
-- why. PostgreSQL does not append rowid to an index by itself, so it is named.
CREATE INDEX notify_outbox_lane ON notify_outbox (notifier, next_at) WHERE state = 'queued';
CREATE INDEX notify_outbox_incident_order ON notify_outbox (notifier, incident_id, rowid) WHERE state = 'queued';
