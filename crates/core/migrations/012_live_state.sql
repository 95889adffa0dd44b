-- What is on air for a broadcast, written at each step before the step is acknowledged,
-- so that a restart after a crash rebuilds it: the line-up item on air, whether the product
-- card is shown, a caption typed live, and the items taken off the bag (下架). Cleared when a
-- session ends normally; kept while a session is interrupted, for the resume.
CREATE TABLE live_state (
    broadcast_id    INTEGER PRIMARY KEY REFERENCES broadcast(id) ON DELETE CASCADE,
    on_air_item_id  INTEGER REFERENCES lineup_item(id) ON DELETE SET NULL,
    overlay_visible INTEGER NOT NULL DEFAULT 1,
    caption         TEXT,
    updated_at      TEXT NOT NULL
) STRICT;

CREATE TABLE live_taken_off (
    broadcast_id   INTEGER NOT NULL REFERENCES broadcast(id) ON DELETE CASCADE,
    lineup_item_id INTEGER NOT NULL REFERENCES lineup_item(id) ON DELETE CASCADE,
    at             TEXT NOT NULL,
    PRIMARY KEY (broadcast_id, lineup_item_id)
) STRICT;

-- A session interrupted before these tables existed: its take-offs and the product last put
-- on air come from its markers.
INSERT OR IGNORE INTO live_taken_off (broadcast_id, lineup_item_id, at)
    SELECT s.broadcast_id, m.lineup_item_id, m.at
    FROM live_marker m JOIN live_session s ON s.id = m.session_id
    WHERE m.kind = 'takeOff' AND m.lineup_item_id IS NOT NULL AND s.status IN ('live', 'interrupted');

INSERT OR IGNORE INTO live_state (broadcast_id, on_air_item_id, updated_at)
    SELECT s.broadcast_id,
           (SELECT m.lineup_item_id FROM live_marker m
             WHERE m.session_id = s.id AND m.kind = 'product' ORDER BY m.media_ms DESC, m.id DESC LIMIT 1),
           s.started_at
    FROM live_session s WHERE s.status IN ('live', 'interrupted');
