-- Console operator sessions, in the database so that a login on one instance holds on every
-- instance behind the same address, and a logout ends it everywhere. Only the SHA-256 of the
-- session id (the cookie) is kept: reading this table gives nobody a session.
CREATE TABLE operator_sessions (
    id_hash    TEXT    NOT NULL PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
