-- Registered repositories: the (knot, did, name) triples whose triggers this spindle runs.
CREATE TABLE repos (
    knot          TEXT    NOT NULL,
    did           TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    source        TEXT    NOT NULL,   -- 'static', or the at-uri of the record that registered it
    registered_at INTEGER NOT NULL,   -- unix millis
    PRIMARY KEY (knot, did, name)
);

-- Local receive time (unix nanos) of the last fully processed event per knot.
CREATE TABLE knot_cursors (
    knot   TEXT    PRIMARY KEY,
    cursor INTEGER NOT NULL
);

-- Every accepted trigger, once: the primary key is the exactly-once guard.
CREATE TABLE triggers (
    knot        TEXT    NOT NULL,
    rkey        TEXT    NOT NULL,
    received_at INTEGER NOT NULL,     -- unix nanos
    trigger     TEXT    NOT NULL,     -- weft's own JSON of the accepted trigger
    PRIMARY KEY (knot, rkey)
);

-- The intent record: one row per workflow, written before anything is dispatched.
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    knot          TEXT    NOT NULL,
    rkey          TEXT    NOT NULL,
    workflow      TEXT    NOT NULL,
    engine        TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,   -- unix nanos (trigger receive time)
    updated_at    INTEGER NOT NULL,   -- unix nanos
    external_id   TEXT,
    web_url       TEXT,
    error         TEXT,
    exit_code     INTEGER,
    cancel_reason TEXT,
    log_complete  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (knot, rkey, workflow),
    FOREIGN KEY (knot, rkey) REFERENCES triggers (knot, rkey)
);
CREATE INDEX runs_open ON runs (state) WHERE state IN ('pending', 'running');
CREATE INDEX runs_external ON runs (engine, external_id);

-- Provider-owned values kept with a run (a build UUID, a run attempt).
CREATE TABLE run_attributes (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    key    TEXT    NOT NULL,
    value  TEXT    NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;

-- Statuses decided but not yet published (the appview's pacing rules hold them back).
CREATE TABLE status_outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    state      TEXT    NOT NULL,
    error      TEXT,
    exit_code  INTEGER,
    not_before INTEGER NOT NULL       -- unix nanos
);
CREATE INDEX status_outbox_due ON status_outbox (not_before, seq);

-- Published statuses, in /events order. id: strictly increasing unix nanos.
CREATE TABLE status_events (
    id         INTEGER PRIMARY KEY,
    rkey       TEXT    NOT NULL UNIQUE,
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    state      TEXT    NOT NULL,
    error      TEXT,
    exit_code  INTEGER,
    created_at INTEGER NOT NULL       -- unix nanos
);

CREATE TABLE steps (
    run_id     INTEGER NOT NULL REFERENCES runs (id),
    step_id    INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    command    TEXT    NOT NULL,
    system     INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    ended_at   INTEGER,
    PRIMARY KEY (run_id, step_id)
) WITHOUT ROWID;

-- Log lines as the exact /logs frames, so serving never re-encodes.
CREATE TABLE log_lines (
    run_id INTEGER NOT NULL,
    seq    INTEGER NOT NULL,
    frame  BLOB    NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
