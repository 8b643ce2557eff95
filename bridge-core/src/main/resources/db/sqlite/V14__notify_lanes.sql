-- One delivery lane per notifier (issue 13): each lane asks only for its own notifier's due rows,
-- and for each of them whether an earlier row of the same incident is still queued (an update must
-- not overtake the message it updates). Only queued rows are indexed: sent and dead rows are kept
-- for the operator and would otherwise make both lookups grow with history. SQLite appends the
-- rowid to every index, which is the order both lookups need.
CREATE INDEX notify_outbox_lane ON notify_outbox (notifier, next_at) WHERE state = 'queued';
CREATE INDEX notify_outbox_incident_order ON notify_outbox (notifier, incident_id) WHERE state = 'queued';
