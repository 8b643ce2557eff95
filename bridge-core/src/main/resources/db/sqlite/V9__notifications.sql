-- Notifications (issue 13). Written in the spirit of status_outbox: durable rows, never a blocked run.

-- A run's status that a notification may be about, queued in the same transaction as the status
-- itself: a status stored is a status considered for notification, across crashes. The notifier
-- worker turns each row into outbox rows (or nothing) and deletes it, in one transaction.
CREATE TABLE notify_pending (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id INTEGER NOT NULL,
    state  TEXT NOT NULL
);

-- One incident per (repository, workflow, branch) from its first failure until it passes. At most
-- one open incident per scope: the partial unique index is the guard, not memory.
CREATE TABLE notify_incidents (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    scope     TEXT NOT NULL,
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    step      TEXT NOT NULL DEFAULT '',
    exit_code INTEGER,
    -- The AT-URI of the pipeline whose failure last opened or updated it: how the pipeline's other
    -- workflows find the message to update as they finish.
    pipeline  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX notify_incidents_pipeline ON notify_incidents (pipeline) WHERE closed_at IS NULL;
CREATE UNIQUE INDEX notify_incidents_open ON notify_incidents (scope) WHERE closed_at IS NULL;

-- What a notifier said it posted for an incident (a Slack message ts), so later notifications of
-- the same incident update that message instead of posting a new one.
CREATE TABLE notify_incident_refs (
    incident_id INTEGER NOT NULL,
    notifier    TEXT NOT NULL,
    ref         TEXT NOT NULL,
    PRIMARY KEY (incident_id, notifier)
);

-- One row per (notification, notifier). The id is derived from the run and its status, so a
-- replayed pending row cannot queue a notification twice (INSERT OR IGNORE on the key).
CREATE TABLE notify_outbox (
    id          TEXT NOT NULL,
    notifier    TEXT NOT NULL,
    incident_id INTEGER,
    body        TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'queued',
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    last_error  TEXT,
    PRIMARY KEY (id, notifier)
);
CREATE INDEX notify_outbox_due ON notify_outbox (state, next_at);
