-- Scenes (a canvas and its layers, as the capture crate's JSON): the desk's library, edited
-- in Settings → Scenes. The scene on air is part of what a restart rebuilds.
CREATE TABLE scene (
    name       TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

ALTER TABLE live_state ADD COLUMN scene TEXT;
