-- A class's course: the scenario its students rehearse (a shipped one by id, or the
-- teacher's own TOML) and the rubric it is graded with (the default when none), and the
-- attempts handed in: the facts the desk measured, what the class's practice shop (served
-- by this server) observed of the same rehearsal, where they disagree, and the facts the
-- grade is computed from.
CREATE TABLE class_course (
    room_id      BIGINT PRIMARY KEY REFERENCES room(id) ON DELETE CASCADE,
    scenario_id  TEXT NOT NULL,
    scenario     TEXT,
    rubric       TEXT,
    set_by       BIGINT REFERENCES member(id) ON DELETE SET NULL,
    set_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE course_attempt (
    id            BIGSERIAL PRIMARY KEY,
    room_id       BIGINT NOT NULL REFERENCES room(id) ON DELETE CASCADE,
    member_id     BIGINT NOT NULL REFERENCES member(id) ON DELETE CASCADE,
    broadcast_id  TEXT NOT NULL,
    submitted     JSONB NOT NULL,
    observed      JSONB NOT NULL,
    disagreements JSONB NOT NULL,
    facts         JSONB NOT NULL,
    submitted_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (room_id, member_id, broadcast_id)
);
CREATE INDEX course_attempt_by_room ON course_attempt (room_id, member_id, submitted_at);
