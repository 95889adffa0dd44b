-- What the platform said happened in the live room (comments, orders, viewer counts ...),
-- pulled while on air. `seq` is the platform's cursor: the next pull starts after the
-- largest one kept, so a restart resumes where it stopped and nothing is kept twice.
CREATE TABLE room_event (
    session_id INTEGER NOT NULL REFERENCES live_session(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    at_ms      INTEGER NOT NULL,
    -- comment | like | order | viewers | pinned | status | stock | reply
    kind       TEXT NOT NULL,
    sku        TEXT,
    user       TEXT,
    text       TEXT,
    -- units of an order, likes of a like event, stock left of a stock event
    quantity   INTEGER,
    amount_fen INTEGER,
    online     INTEGER,
    -- the comment a reply answers
    ref_seq    INTEGER,
    -- the scenario event a scripted comment came from (rehearsals)
    scripted   TEXT,
    PRIMARY KEY (session_id, seq)
) STRICT;

-- Replies the desk sent to viewers' comments, as typed (and linted) on the desk.
CREATE TABLE live_reply (
    id          INTEGER PRIMARY KEY,
    session_id  INTEGER NOT NULL REFERENCES live_session(id) ON DELETE CASCADE,
    comment_seq INTEGER NOT NULL,
    text        TEXT NOT NULL,
    media_ms    INTEGER NOT NULL CHECK (media_ms >= 0),
    at          TEXT NOT NULL,
    lint_errors INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE INDEX live_reply_session ON live_reply(session_id, comment_seq);

-- The pipeline's health at the end of a session, for the report's health log.
ALTER TABLE live_session ADD COLUMN dropped_frames INTEGER;
ALTER TABLE live_session ADD COLUMN push_reconnects INTEGER;
