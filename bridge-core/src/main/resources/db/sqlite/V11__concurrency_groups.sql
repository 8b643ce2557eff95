-- Concurrency groups (issue 14): runs of one group of one repository run one at a time.
-- One row per group ever used; joining and taking the group's slot first update this row, which
-- serialises them (SQLite has one writer anyway; on PostgreSQL the update is a row lock held to
-- commit), so two instances cannot both start members of one group. version only changes.
CREATE TABLE concurrency_groups (
    repo    TEXT    NOT NULL,   -- the repository DID, or knot/owner/name of a legacy repository
    grp     TEXT    NOT NULL,   -- the expanded group name (at most 256 characters)
    version INTEGER NOT NULL,
    PRIMARY KEY (repo, grp)
);
-- The queue: one row per open run that belongs to a group, deleted in the transaction that stores
-- the run's terminal status. Queue order is run id order (trigger order).
CREATE TABLE concurrency_queue (
    run_id             INTEGER NOT NULL PRIMARY KEY REFERENCES runs (id),
    repo               TEXT    NOT NULL,
    grp                TEXT    NOT NULL,
    cancel_in_progress INTEGER NOT NULL,
    state              TEXT    NOT NULL,   -- waiting | running
    joined_at          INTEGER NOT NULL,   -- unix millis
    started_at         INTEGER,            -- unix millis: when it took the group's slot
    superseded_by      TEXT                -- the TID of the pipeline whose run cancels this one
);
CREATE INDEX concurrency_queue_group ON concurrency_queue (repo, grp, run_id);
