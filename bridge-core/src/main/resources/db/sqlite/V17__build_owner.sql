-- Which instance builds a waiting request (the holder of lease 'instance:' || builder): several
-- instances on one database must never build one request at once. An instance takes a request
-- with one guarded update before building it, and only when the builder is empty, itself, or an
-- instance whose liveness lease is not live. Empty for requests written before V17 and by a
-- single instance (SQLite: one instance has the file, so it never takes anything); kept after the
-- request leaves the waiting state, for the record.
ALTER TABLE build_requests ADD COLUMN builder TEXT NOT NULL DEFAULT '';
