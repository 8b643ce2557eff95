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
