-- Several instances on one database share work through leases: a named piece of work (a knot
-- stream, the Jetstream, the status publisher, the build lanes, an instance's liveness) is held by
-- one holder until expires_at (unix millis), which the holder keeps pushing forward. With SQLite
-- there is one instance, which holds every lease; the table exists so both schemas match.
CREATE TABLE leases (
    name       TEXT    NOT NULL PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);
-- Which instance drives an open run (the holder of lease 'instance:' || owner); NULL for runs
-- written before V9 or by a single instance, which every instance may adopt.
ALTER TABLE runs ADD COLUMN owner TEXT;
