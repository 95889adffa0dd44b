-- The phone's sound muted on air (a phone pushing to the desk as a second camera brings its
-- own microphone), kept like the desk's microphone so a restarted broadcast stays muted.
ALTER TABLE live_state ADD COLUMN phone_muted INTEGER NOT NULL DEFAULT 0;
