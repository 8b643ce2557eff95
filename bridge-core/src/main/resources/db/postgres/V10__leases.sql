-- SQLite's V9: leases with expiry (unix millis) for work one instance at a time does, and the
-- instance that drives each open run.
CREATE TABLE leases (
    name       TEXT   NOT NULL PRIMARY KEY,
    holder     TEXT   NOT NULL,
    expires_at BIGINT NOT NULL
);
ALTER TABLE runs ADD COLUMN owner TEXT;
