-- SQLite's V18: ended runs whose log is not complete yet. With several instances every instance
-- looks for those whose owner died (every lease round) and completes their logs; the index keeps
-- that look to the few such runs instead of every run ever stored. Mirrors PostgreSQL's V18.
CREATE INDEX runs_log_open ON runs (id) WHERE log_complete = 0 AND state IN ('success', 'failed', 'timeout', 'cancelled');
