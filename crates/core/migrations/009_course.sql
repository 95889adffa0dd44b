-- Course rehearsals: which broadcast is a student's attempt at which scenario, and its
-- grade once graded (the facts measured and the graded report, as JSON written by
-- anchordesk-course; the store does not read inside them).
CREATE TABLE course_attempt (
    id            INTEGER PRIMARY KEY,
    broadcast_id  INTEGER NOT NULL UNIQUE REFERENCES broadcast(id) ON DELETE CASCADE,
    scenario_id   TEXT NOT NULL,
    student_id    TEXT NOT NULL,
    student_name  TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    facts         TEXT,
    graded        TEXT,
    total         REAL,
    graded_at     TEXT
) STRICT;
CREATE INDEX course_attempt_student ON course_attempt(student_id, id);

-- Replies the linter held back (never sent) are kept as evidence too, with their findings.
ALTER TABLE live_reply ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
ALTER TABLE live_reply ADD COLUMN findings TEXT NOT NULL DEFAULT '[]';

-- Wall-clock milliseconds at the recording's time 0, so the platform's timestamps can be
-- placed on the recording's clock (where markers and replies are).
ALTER TABLE live_session ADD COLUMN media_origin_ms INTEGER;

-- A rehearsal while the desk is set to a real platform tells that platform nothing (no
-- start, pins or end): only the practice platform may see rehearsals.
ALTER TABLE live_session ADD COLUMN platform_silent INTEGER NOT NULL DEFAULT 0;
