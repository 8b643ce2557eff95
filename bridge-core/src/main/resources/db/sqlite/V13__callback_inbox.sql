-- Callback bodies that reached an instance which does not drive their run (several instances on
-- one database, behind one address): the driving instance applies them in seq order and deletes
-- them, so a run's log is only ever numbered by the instance that drives it.
CREATE TABLE callback_inbox (
    run_id      INTEGER NOT NULL,
    seq         INTEGER NOT NULL,
    body        TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (run_id, seq)
);
