-- PostgreSQL only (numbered between SQLite's 5 and 6 so both keep their meaning): the fingerprint
-- of the key that seals repo secrets. Several instances share one database, and one started with
-- another WEFT_SECRETS_KEY_FILE would seal secrets its peers cannot open: it refuses to start.
CREATE TABLE secrets_key (
    one         BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (one),   -- at most one row
    key_id      TEXT    NOT NULL,
    recorded_at BIGINT  NOT NULL      -- unix millis
);
