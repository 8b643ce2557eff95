-- SQLite's V17: the instance that builds each build request (the holder of lease
-- 'instance:' || builder), taken with one guarded update before building; empty for requests
-- written before V17, which any instance may take. Kept after the request is finished.
ALTER TABLE build_requests ADD COLUMN builder TEXT NOT NULL DEFAULT '';
