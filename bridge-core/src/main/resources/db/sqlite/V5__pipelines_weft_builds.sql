-- Pipelines weft builds itself (refUpdate, pull requests, triggerPipeline), and the pipeline
-- records it announces on /events before their first status (spec tangled-ci 2.9, 5.3).

-- The outbox and the event log carry two collections now: a pipeline's record, then its statuses.
ALTER TABLE status_outbox ADD COLUMN nsid TEXT NOT NULL DEFAULT 'sh.tangled.pipeline.status';
ALTER TABLE status_events ADD COLUMN nsid TEXT NOT NULL DEFAULT 'sh.tangled.pipeline.status';

-- A push (or pull-request event) that has claimed its pipeline: the exactly-once guard across knot
-- replays, restarts, and a transitional knot that sends both a refUpdate and a legacy record.
CREATE TABLE claimed_keys (
    claim TEXT PRIMARY KEY,
    knot  TEXT NOT NULL,            -- the pipeline it became
    rkey  TEXT NOT NULL
);

-- Accepted requests to build a pipeline, durable before anything slow (fetching the workflow
-- files over git) happens; a restart resumes every request still waiting.
CREATE TABLE build_requests (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    knot        TEXT    NOT NULL,   -- the pipeline id, minted when the request was accepted
    rkey        TEXT    NOT NULL,
    repo        TEXT    NOT NULL,   -- repo DID: requests of one repo are built in order
    request     TEXT    NOT NULL,   -- the builder's own JSON
    state       TEXT    NOT NULL,   -- waiting | built | nothing | failed
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    received_at INTEGER NOT NULL,   -- unix nanos
    updated_at  INTEGER NOT NULL,
    UNIQUE (knot, rkey)
);
CREATE INDEX build_requests_state ON build_requests (state, id);
CREATE INDEX build_requests_repo ON build_requests (repo, id);
