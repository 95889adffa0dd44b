-- A broadcast going live: its session (one per go-live), the recording, and the markers
-- stamped while on air (product on air, segment changes, manual markers).
CREATE TABLE live_session (
    id             INTEGER PRIMARY KEY,
    broadcast_id   INTEGER NOT NULL REFERENCES broadcast(id) ON DELETE CASCADE,
    started_at     TEXT NOT NULL,
    ended_at       TEXT,
    -- live | ended | interrupted (found still live when the app started again)
    status         TEXT NOT NULL,
    recording_path TEXT NOT NULL DEFAULT '',
    rehearsal      INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX live_session_broadcast ON live_session(broadcast_id);

CREATE TABLE live_marker (
    id             INTEGER PRIMARY KEY,
    session_id     INTEGER NOT NULL REFERENCES live_session(id) ON DELETE CASCADE,
    kind           TEXT NOT NULL,
    label          TEXT NOT NULL,
    lineup_item_id INTEGER REFERENCES lineup_item(id) ON DELETE SET NULL,
    sku            TEXT,
    media_ms       INTEGER NOT NULL CHECK (media_ms >= 0),
    at             TEXT NOT NULL
) STRICT;
CREATE INDEX live_marker_session ON live_marker(session_id, media_ms);
