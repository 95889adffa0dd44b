-- The recording's length, written when a session ends, so a later report knows where the
-- last product's time on air ends.
ALTER TABLE live_session ADD COLUMN duration_ms INTEGER CHECK (duration_ms IS NULL OR duration_ms >= 0);
