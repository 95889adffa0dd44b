-- Changes the platform must hear about, written in the same transaction as the change.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    entity        TEXT NOT NULL,
    operation     TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    retry_at_ms   INTEGER,
    last_error    TEXT,
    done_at_ms    INTEGER,
    given_up      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX outbox_pending ON outbox(id) WHERE done_at_ms IS NULL AND given_up = 0;
