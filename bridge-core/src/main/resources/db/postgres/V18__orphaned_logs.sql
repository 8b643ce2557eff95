-- Ended runs whose log is not complete yet: every instance looks for those whose owner died (the
-- driver and the instance that stored the end both gone) in each lease round and completes their
-- logs. Almost every run's log is complete, so the index holds a handful of rows and the look
-- reads only those; the query repeats this predicate word for word so the planner can use it.
CREATE INDEX runs_log_open ON runs (id) WHERE log_complete = 0 AND state IN ('success', 'failed', 'timeout', 'cancelled');
