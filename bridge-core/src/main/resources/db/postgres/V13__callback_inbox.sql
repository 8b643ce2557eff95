-- SQLite's V13: callback bodies that reached an instance which does not drive their run; the
-- driving instance applies them in seq order and deletes them.
CREATE TABLE callback_inbox (
    run_id      BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    body        TEXT   NOT NULL,
    received_at BIGINT NOT NULL,
    PRIMARY KEY (run_id, seq)
);
