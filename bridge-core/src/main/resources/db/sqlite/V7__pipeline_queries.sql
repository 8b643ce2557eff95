-- sh.tangled.ci.queryPipelines / getPipeline (spec tangled-ci 3.2, 3.3) answer from the store: the
-- fields they filter on are columns, not JSON, so each filter is an index range.
-- (V7 and not V6: another branch adds a V6; Flyway accepts the gap.)

-- The repository a pipeline belongs to, as its trigger named it: the repo DID (NULL for a legacy
-- knot's pipeline, which names (knot, owner, name) only), the trigger kind's wire name, and the
-- commit it runs on (push newSha, pull request sourceSha, manual sha; empty when unknown).
ALTER TABLE triggers ADD COLUMN repo_did   TEXT;
ALTER TABLE triggers ADD COLUMN repo_knot  TEXT NOT NULL DEFAULT '';
ALTER TABLE triggers ADD COLUMN repo_owner TEXT NOT NULL DEFAULT '';
ALTER TABLE triggers ADD COLUMN repo_name  TEXT NOT NULL DEFAULT '';
ALTER TABLE triggers ADD COLUMN kind       TEXT NOT NULL DEFAULT '';
ALTER TABLE triggers ADD COLUMN sha        TEXT NOT NULL DEFAULT '';
UPDATE triggers SET
    repo_did   = NULLIF(json_extract(trigger, '$.repo.repoDid'), ''),
    repo_knot  = COALESCE(json_extract(trigger, '$.repo.knot'), ''),
    repo_owner = COALESCE(json_extract(trigger, '$.repo.did'), ''),
    repo_name  = COALESCE(json_extract(trigger, '$.repo.name'), ''),
    kind       = COALESCE(json_extract(trigger, '$.kind.type'), ''),
    sha        = COALESCE(json_extract(trigger, '$.kind.newSha'), json_extract(trigger, '$.kind.sourceSha'),
                          json_extract(trigger, '$.kind.sha'), '');

-- Newest first within a repository; rowid (implicitly last in every index) breaks ties of
-- received_at, so (received_at, rowid) is the page order and what a cursor holds.
CREATE INDEX triggers_repo_did ON triggers (repo_did, received_at) WHERE repo_did IS NOT NULL;
CREATE INDEX triggers_legacy_repo ON triggers (repo_knot, repo_owner, repo_name, received_at) WHERE repo_did IS NULL;
-- Upstream matches a pipeline without a repo DID on its owner's DID.
CREATE INDEX triggers_legacy_owner ON triggers (repo_owner, received_at) WHERE repo_did IS NULL;
-- The commits filter: the newest pipeline of each commit, looked up commit by commit.
CREATE INDEX triggers_sha ON triggers (sha, received_at);
-- getPipeline names a pipeline by its record key alone.
CREATE INDEX triggers_rkey ON triggers (rkey);

-- When a run left pending for running (startedAt); NULL while pending, or when it never ran. The
-- published running status is the best record of it for runs from before this migration.
ALTER TABLE runs ADD COLUMN started_at INTEGER;
UPDATE runs SET started_at = (SELECT MIN(e.created_at) FROM status_events e
                              WHERE e.run_id = runs.id AND e.state = 'running');
UPDATE runs SET started_at = updated_at WHERE started_at IS NULL AND state = 'running';

-- queryPipelines answers a total with every page; counting a busy repository's index range
-- (100,000 rows) took milliseconds, so counts are kept per (repository as triggers name it, kind)
-- by triggers on the table, which also count rows written by hand (the benchmark's data set).
-- repo_did is '' for a legacy knot's pipelines.
CREATE TABLE pipeline_counts (
    repo_did   TEXT    NOT NULL,
    repo_knot  TEXT    NOT NULL,
    repo_owner TEXT    NOT NULL,
    repo_name  TEXT    NOT NULL,
    kind       TEXT    NOT NULL,
    n          INTEGER NOT NULL,
    PRIMARY KEY (repo_did, repo_knot, repo_owner, repo_name, kind)
) WITHOUT ROWID;
CREATE INDEX pipeline_counts_owner ON pipeline_counts (repo_owner) WHERE repo_did = '';
INSERT INTO pipeline_counts (repo_did, repo_knot, repo_owner, repo_name, kind, n)
    SELECT COALESCE(repo_did, ''), repo_knot, repo_owner, repo_name, kind, COUNT(*) FROM triggers
    GROUP BY 1, 2, 3, 4, 5;
CREATE TRIGGER triggers_counted AFTER INSERT ON triggers BEGIN
    INSERT INTO pipeline_counts (repo_did, repo_knot, repo_owner, repo_name, kind, n)
        VALUES (COALESCE(NEW.repo_did, ''), NEW.repo_knot, NEW.repo_owner, NEW.repo_name, NEW.kind, 1)
        ON CONFLICT (repo_did, repo_knot, repo_owner, repo_name, kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER triggers_uncounted AFTER DELETE ON triggers BEGIN
    UPDATE pipeline_counts SET n = n - 1 WHERE repo_did = COALESCE(OLD.repo_did, '') AND repo_knot = OLD.repo_knot
        AND repo_owner = OLD.repo_owner AND repo_name = OLD.repo_name AND kind = OLD.kind;
END;
