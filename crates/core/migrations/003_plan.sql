-- The run-of-show (segments), the field-control checklist and go-live overrides.
ALTER TABLE broadcast ADD COLUMN template TEXT;
ALTER TABLE broadcast ADD COLUMN target_minutes INTEGER NOT NULL DEFAULT 0 CHECK (target_minutes >= 0);
ALTER TABLE broadcast ADD COLUMN after_sales_contact TEXT NOT NULL DEFAULT '';

CREATE TABLE segment (
    id              INTEGER PRIMARY KEY,
    broadcast_id    INTEGER NOT NULL REFERENCES broadcast(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    kind            TEXT NOT NULL,
    title           TEXT NOT NULL,
    title_en        TEXT NOT NULL DEFAULT '',
    -- Product segments take their minutes from the line-up item; this column is unused for them.
    planned_minutes INTEGER NOT NULL DEFAULT 0 CHECK (planned_minutes >= 0),
    person          TEXT NOT NULL,
    talking_points  TEXT NOT NULL DEFAULT '',
    cues            TEXT NOT NULL DEFAULT '',
    lineup_item_id  INTEGER UNIQUE REFERENCES lineup_item(id) ON DELETE CASCADE
) STRICT;
CREATE INDEX segment_broadcast ON segment(broadcast_id, position);

CREATE TABLE checklist_item (
    id           INTEGER PRIMARY KEY,
    broadcast_id INTEGER NOT NULL REFERENCES broadcast(id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    phase        TEXT NOT NULL,
    role         TEXT NOT NULL,
    title        TEXT NOT NULL,
    title_en     TEXT NOT NULL DEFAULT '',
    critical     INTEGER NOT NULL DEFAULT 0,
    auto_check   TEXT,
    law_ref      TEXT,
    done_at      TEXT,
    done_by      TEXT
) STRICT;
CREATE INDEX checklist_item_broadcast ON checklist_item(broadcast_id, phase, position);

CREATE TABLE go_live_override (
    id           INTEGER PRIMARY KEY,
    broadcast_id INTEGER NOT NULL REFERENCES broadcast(id) ON DELETE CASCADE,
    reason       TEXT NOT NULL,
    given_by     TEXT NOT NULL,
    given_at     TEXT NOT NULL
) STRICT;
