-- Findings of the claims linter that a person acknowledged, with a reason.
CREATE TABLE claim_ack (
    id           INTEGER PRIMARY KEY,
    broadcast_id INTEGER NOT NULL REFERENCES broadcast(id) ON DELETE CASCADE,
    source       TEXT NOT NULL,
    owner_id     INTEGER NOT NULL,
    rule_id      TEXT NOT NULL,
    matched      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    given_by     TEXT NOT NULL,
    given_at     TEXT NOT NULL,
    UNIQUE (broadcast_id, source, owner_id, rule_id, matched)
) STRICT;
