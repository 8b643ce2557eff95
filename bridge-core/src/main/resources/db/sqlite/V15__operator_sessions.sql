-- Console operator sessions, in the database so that a login on one instance holds on every
-- instance behind the same address, and a logout ends it everywhere. Only an HMAC of the
-- session id (the cookie) under the operator token is kept: reading this table gives nobody a
-- session, and a new token matches none of the old rows.
CREATE TABLE operator_sessions (
    id_hash    TEXT    NOT NULL PRIMARY KEY,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
