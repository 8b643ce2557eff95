-- Upgraded knots (v1.14) key a repository on its own DID (spec tangled-ci 2.1): refUpdates carry
-- it instead of (owner, name), and its owner and record key can change under it.

-- repos is rebuilt because its primary key (knot, did, name) must only bind the legacy rows: a
-- repo-DID registration is one repository whatever its knot, owner or record key, so the repo DID
-- alone is its key. A legacy row keeps repo_did NULL.
CREATE TABLE repos_v4 (
    knot          TEXT    NOT NULL,
    did           TEXT    NOT NULL,   -- the owner's DID
    name          TEXT    NOT NULL,   -- legacy: the repo name; repo DID: its record key (or the repo DID itself when static)
    repo_did      TEXT,
    source        TEXT    NOT NULL,   -- 'static', or the at-uri of the record that registered it
    registered_at INTEGER NOT NULL    -- unix millis
);
INSERT INTO repos_v4 (knot, did, name, repo_did, source, registered_at)
    SELECT knot, did, name, NULL, source, registered_at FROM repos;
DROP TABLE repos;
ALTER TABLE repos_v4 RENAME TO repos;
CREATE UNIQUE INDEX repos_key ON repos (knot, did, name) WHERE repo_did IS NULL;
CREATE UNIQUE INDEX repos_repo_did ON repos (repo_did) WHERE repo_did IS NOT NULL;

-- A repo record with a repoDid holds that repo DID's registration, so its update or delete
-- releases exactly that one.
ALTER TABLE repo_records ADD COLUMN repo_did TEXT;
CREATE INDEX repo_records_repo_did ON repo_records (repo_did) WHERE repo_did IS NOT NULL;

-- collaborators.repo now holds either a repo record's at-uri (legacy records) or a repo DID
-- (sh.tangled.repo.collaborator {subject, repo: <repoDid>}); the existing index serves both.

-- Collaborators a repository's own knot announced (sh.tangled.repo.collaboratorUpdate). They have
-- no record to delete them by, so they are keyed by (repo DID, subject); a remove or the repo's
-- teardown deletes the row.
CREATE TABLE knot_collaborators (
    repo_did TEXT    NOT NULL,
    subject  TEXT    NOT NULL,        -- the collaborator's DID
    knot     TEXT    NOT NULL,        -- the knot that announced it
    added_at INTEGER NOT NULL,        -- unix millis
    PRIMARY KEY (repo_did, subject)
) WITHOUT ROWID;
