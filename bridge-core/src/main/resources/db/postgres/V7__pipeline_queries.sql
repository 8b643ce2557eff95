-- SQLite's V7, in PostgreSQL: sh.tangled.ci.queryPipelines / getPipeline answer from the store, on
-- columns and indexes rather than JSON. Comments on the meaning of each column are in db/sqlite.

ALTER TABLE triggers ADD COLUMN repo_did   TEXT;
ALTER TABLE triggers ADD COLUMN repo_knot  TEXT NOT NULL DEFAULT '';
ALTER TABLE triggers ADD COLUMN repo_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE triggers ADD COLUMN repo_name  TEXT NOT NULL DEFAULT '';
ALTER TABLE triggers ADD COLUMN kind       TEXT NOT NULL DEFAULT '';
ALTER TABLE triggers ADD COLUMN sha        TEXT NOT NULL DEFAULT '';
UPDATE triggers SET
    repo_did   = NULLIF(CAST(trigger AS json) #>> '{repo,repoDid}', ''),
    repo_knot  = COALESCE(CAST(trigger AS json) #>> '{repo,knot}', ''),
    repo_owner = COALESCE(CAST(trigger AS json) #>> '{repo,did}', ''),
    repo_name  = COALESCE(CAST(trigger AS json) #>> '{repo,name}', ''),
    kind       = COALESCE(CAST(trigger AS json) #>> '{kind,type}', ''),
    sha        = COALESCE(CAST(trigger AS json) #>> '{kind,newSha}', CAST(trigger AS json) #>> '{kind,sourceSha}',
                          CAST(trigger AS json) #>> '{kind,sha}', '');

-- PostgreSQL has no rowid: this column is one, so that the store's queries are spelled the same on
-- both databases. It numbers rows in insertion order (existing rows in no particular order, which
-- only matters among pipelines received in the same nanosecond) and ends every index below, as
-- SQLite's rowid implicitly ends each of its indexes: (received_at, rowid) is the page order.
ALTER TABLE triggers ADD COLUMN rowid BIGINT GENERATED ALWAYS AS IDENTITY;
CREATE UNIQUE INDEX triggers_rowid ON triggers (rowid);

CREATE INDEX triggers_repo_did ON triggers (repo_did, received_at, rowid) WHERE repo_did IS NOT NULL;
CREATE INDEX triggers_legacy_repo ON triggers (repo_knot, repo_owner, repo_name, received_at, rowid) WHERE repo_did IS NULL;
CREATE INDEX triggers_legacy_owner ON triggers (repo_owner, received_at, rowid) WHERE repo_did IS NULL;
CREATE INDEX triggers_sha ON triggers (sha, received_at, rowid);
CREATE INDEX triggers_rkey ON triggers (rkey);

ALTER TABLE runs ADD COLUMN started_at BIGINT;  -- unix nanos
UPDATE runs SET started_at = (SELECT MIN(e.created_at) FROM status_events e
                              WHERE e.run_id = runs.id AND e.state = 'running');
UPDATE runs SET started_at = updated_at WHERE started_at IS NULL AND state = 'running';

-- Per-repository counts, kept by triggers on the table as SQLite's are: every way a triggers row
-- comes or goes (the store's insert, its undo of an insert whose push was already claimed, rows
-- written by hand) is counted, with no second copy of that bookkeeping in the store. A count row is
-- locked from the insert to its commit, so concurrent inserts of one repository and kind take
-- turns on it; an insert's transaction is one short store call.
CREATE TABLE pipeline_counts (
    repo_did   TEXT   NOT NULL,
    repo_knot  TEXT   NOT NULL,
    repo_owner TEXT   NOT NULL,
    repo_name  TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    n          BIGINT NOT NULL,
    PRIMARY KEY (repo_did, repo_knot, repo_owner, repo_name, kind)
);
CREATE INDEX pipeline_counts_owner ON pipeline_counts (repo_owner) WHERE repo_did = '';
INSERT INTO pipeline_counts (repo_did, repo_knot, repo_owner, repo_name, kind, n)
    SELECT COALESCE(repo_did, ''), repo_knot, repo_owner, repo_name, kind, COUNT(*) FROM triggers
    GROUP BY 1, 2, 3, 4, 5;

CREATE FUNCTION triggers_counted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pipeline_counts (repo_did, repo_knot, repo_owner, repo_name, kind, n)
        VALUES (COALESCE(NEW.repo_did, ''), NEW.repo_knot, NEW.repo_owner, NEW.repo_name, NEW.kind, 1)
        ON CONFLICT (repo_did, repo_knot, repo_owner, repo_name, kind) DO UPDATE SET n = pipeline_counts.n + 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER triggers_counted AFTER INSERT ON triggers FOR EACH ROW EXECUTE FUNCTION triggers_counted();

CREATE FUNCTION triggers_uncounted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE pipeline_counts SET n = n - 1 WHERE repo_did = COALESCE(OLD.repo_did, '') AND repo_knot = OLD.repo_knot
        AND repo_owner = OLD.repo_owner AND repo_name = OLD.repo_name AND kind = OLD.kind;
    RETURN NULL;
END
$$;
CREATE TRIGGER triggers_uncounted AFTER DELETE ON triggers FOR EACH ROW EXECUTE FUNCTION triggers_uncounted();
