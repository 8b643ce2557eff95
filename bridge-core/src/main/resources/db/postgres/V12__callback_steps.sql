-- Steps a job reported itself through its run's callback URL (docs/callbacks.md). They share the
-- run's step numbering, but a provider picking up its own open steps by name after a restart must
-- never find one of these, so the flag is kept with the step.
ALTER TABLE steps ADD COLUMN callback INTEGER NOT NULL DEFAULT 0;
