-- An organisation's live rooms (直播间, an MCN's or a county's) and classes (a college's),
-- and which members work in each. A desk picks one of its member's rooms; the broadcasts it
-- publishes carry it, and the web page groups by it.
CREATE TABLE room (
    id         BIGSERIAL PRIMARY KEY,
    org_id     BIGINT NOT NULL REFERENCES org(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('room', 'class')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);

CREATE TABLE room_member (
    room_id   BIGINT NOT NULL REFERENCES room(id) ON DELETE CASCADE,
    member_id BIGINT NOT NULL REFERENCES member(id) ON DELETE CASCADE,
    PRIMARY KEY (room_id, member_id)
);
CREATE INDEX room_member_by_member ON room_member (member_id);
