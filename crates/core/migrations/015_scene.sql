-- Scenes (a canvas and its layers, as the capture crate's JSON): the desk's library, edited
-- in Settings → Scenes. The scene on air, like the sound on air, is part of what a restart
-- rebuilds.
CREATE TABLE scene (
    name       TEXT PRIMARY KEY,
    body       TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;

ALTER TABLE live_state ADD COLUMN scene TEXT;
-- The microphone muted, the music stopped, on air.
ALTER TABLE live_state ADD COLUMN mic_muted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE live_state ADD COLUMN music_off INTEGER NOT NULL DEFAULT 0;
