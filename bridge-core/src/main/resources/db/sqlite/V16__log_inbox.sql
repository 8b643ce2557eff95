-- SQLite's V16: log writes a provider made on an instance that does not drive the run (its
-- webhook landed there), parked in arrival order for the driving instance, which numbers them
-- (see postgres/V16 for the columns).
CREATE TABLE log_inbox (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id   INTEGER NOT NULL,
    kind     TEXT    NOT NULL,
    step_id  INTEGER,
    step_op  INTEGER,
    name     TEXT,
    command  TEXT,
    system   INTEGER NOT NULL DEFAULT 0,
    stderr   INTEGER NOT NULL DEFAULT 0,
    body     TEXT,
    at_nanos INTEGER NOT NULL,
    size     INTEGER NOT NULL
);
CREATE INDEX log_inbox_run ON log_inbox (run_id, id);

CREATE TABLE log_inbox_steps (
    run_id  INTEGER NOT NULL,
    op_id   INTEGER NOT NULL,
    step_id INTEGER NOT NULL,
    PRIMARY KEY (run_id, op_id)
) WITHOUT ROWID;
