-- Documents an organisation shares whole, by kind and key: the team's claims rule pack
-- ("rule-pack", "team") and the broadcasts its desks plan ("broadcast", one per desk's
-- broadcast: line-up and run-of-show), versioned like products; their changes go into the
-- same feed.
CREATE TABLE shared_doc (
    org_id     BIGINT NOT NULL REFERENCES org(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    key        TEXT NOT NULL,
    body       JSONB,
    version    BIGINT NOT NULL,
    updated_by BIGINT REFERENCES member(id) ON DELETE SET NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, kind, key)
);
