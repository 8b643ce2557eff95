-- Concurrency groups, mirroring SQLite's V11: see db/sqlite/V11__concurrency_groups.sql for why
-- each table exists. The update of a concurrency_groups row is the row lock that serialises two
-- instances joining or starting members of one group.
CREATE TABLE concurrency_groups (
    repo    TEXT   NOT NULL,
    grp     TEXT   NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (repo, grp)
);
CREATE TABLE concurrency_queue (
    run_id             BIGINT NOT NULL PRIMARY KEY REFERENCES runs (id),
    repo               TEXT   NOT NULL,
    grp                TEXT   NOT NULL,
    cancel_in_progress INTEGER NOT NULL,
    state              TEXT   NOT NULL,
    joined_at          BIGINT NOT NULL,
    started_at         BIGINT,
    superseded_by      TEXT
);
CREATE INDEX concurrency_queue_group ON concurrency_queue (repo, grp, run_id);
