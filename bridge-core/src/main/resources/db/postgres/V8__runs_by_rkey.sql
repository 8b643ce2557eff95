-- SQLite's V8: the log subscription and cancelPipeline name a pipeline by its TID alone (no knot);
-- without this, each lookup scanned every run.
CREATE INDEX runs_rkey ON runs (rkey);
