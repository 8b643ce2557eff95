-- Each published status keeps its exact /events frame, so a backfill reads (id, frame) pairs and
-- never re-joins runs or re-encodes; rows from before this migration have NULL and are encoded
-- when read.
ALTER TABLE status_events ADD COLUMN frame BLOB;
