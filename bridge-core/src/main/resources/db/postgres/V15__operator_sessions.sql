-- SQLite's V15: console operator sessions shared by every instance; only an HMAC of each
-- session id (the cookie) under the operator token is kept.
CREATE TABLE operator_sessions (
    id_hash    TEXT   NOT NULL PRIMARY KEY,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
