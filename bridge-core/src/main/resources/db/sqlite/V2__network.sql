-- The Tangled network (issue 6): Jetstream discovery, repo secrets and operator cancels.

-- The Jetstream cursor: time_us of the last fully processed frame (one row, name 'jetstream').
CREATE TABLE network_cursors (
    name    TEXT    PRIMARY KEY,
    time_us INTEGER NOT NULL
);

-- The last applied commit rev of every record the Jetstream told us about (a delete keeps its
-- row as a tombstone), so a replayed or older commit is recognised and skipped.
CREATE TABLE network_records (
    did        TEXT NOT NULL,
    collection TEXT NOT NULL,
    rkey       TEXT NOT NULL,
    rev        TEXT NOT NULL,
    PRIMARY KEY (did, collection, rkey)
) WITHOUT ROWID;

-- Spindle members: the owner's sh.tangled.spindle.member records whose instance is our hostname.
CREATE TABLE members (
    rkey     TEXT    PRIMARY KEY,     -- of the owner's member record
    subject  TEXT    NOT NULL,        -- the member's DID
    source   TEXT    NOT NULL,        -- the record's at-uri
    added_at INTEGER NOT NULL         -- unix millis
);
CREATE INDEX members_subject ON members (subject);

-- sh.tangled.repo records (of the owner or a member) whose spindle is our hostname: which
-- registration each one holds, so an update or a delete (which carries no record) can undo it.
CREATE TABLE repo_records (
    did  TEXT NOT NULL,
    rkey TEXT NOT NULL,
    knot TEXT NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (did, rkey)
) WITHOUT ROWID;
CREATE INDEX repo_records_key ON repo_records (knot, did, name);

-- sh.tangled.repo.collaborator records authored by a repo's owner: who else may manage it.
CREATE TABLE collaborators (
    did      TEXT    NOT NULL,        -- the record's author, the repo owner
    rkey     TEXT    NOT NULL,
    subject  TEXT    NOT NULL,        -- the collaborator's DID
    repo     TEXT    NOT NULL,        -- the repo record's at-uri
    added_at INTEGER NOT NULL,        -- unix millis
    PRIMARY KEY (did, rkey)
) WITHOUT ROWID;
CREATE INDEX collaborators_repo ON collaborators (repo, subject);

-- Repo secrets, AES-GCM encrypted (value = nonce || ciphertext || tag), keyed like upstream by
-- the repository's (did, name) so a knot move keeps them.
CREATE TABLE secrets (
    repo_did   TEXT    NOT NULL,
    repo_name  TEXT    NOT NULL,
    key        TEXT    NOT NULL,
    repo_uri   TEXT    NOT NULL,      -- the at-uri it was added under, for listSecrets
    value      BLOB    NOT NULL,
    key_id     TEXT    NOT NULL,      -- fingerprint of the encryption key, to name a wrong key file
    created_at INTEGER NOT NULL,      -- unix millis
    created_by TEXT    NOT NULL,      -- DID
    PRIMARY KEY (repo_did, repo_name, key)
) WITHOUT ROWID;

-- Cancels asked for by the operator's `weft cancel` (another process); the daemon polls them.
CREATE TABLE cancel_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    knot         TEXT    NOT NULL,
    rkey         TEXT    NOT NULL,
    workflow     TEXT    NOT NULL,
    requested_at INTEGER NOT NULL,    -- unix millis
    outcome      TEXT,                -- null until the daemon handled it
    handled_at   INTEGER
);
CREATE INDEX cancel_requests_open ON cancel_requests (id) WHERE outcome IS NULL;
