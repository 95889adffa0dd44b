-- Archiving a session is a journaled sequence: this row is its intent, written before any
-- file moves (with the report and the folder, so the next start can carry it to the end
-- without anything else), and deleted in the same transaction that points the session at
-- its archived recording. A row found at start is an archiving cut short by a crash.
CREATE TABLE archive_job (
    session_id  INTEGER PRIMARY KEY REFERENCES live_session(id) ON DELETE CASCADE,
    folder      TEXT NOT NULL,
    report_json TEXT NOT NULL,
    keep_until  TEXT NOT NULL,
    created_at  TEXT NOT NULL
) STRICT;
