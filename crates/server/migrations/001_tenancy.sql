-- Organisations (an MCN, a county, a college), their members with one role each, the
-- members' sessions (opaque tokens, stored hashed), the shared catalog with a version per
-- row, the change feed desks pull by sequence, idempotent writes, and the audit log.
CREATE TABLE org (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE member (
    id                   BIGSERIAL PRIMARY KEY,
    org_id               BIGINT NOT NULL REFERENCES org(id) ON DELETE CASCADE,
    email                TEXT NOT NULL UNIQUE,
    role                 TEXT NOT NULL CHECK (role IN ('owner', 'operator', 'anchor', 'controller', 'assistant', 'teacher', 'student')),
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT TRUE,
    failed_sign_ins      INTEGER NOT NULL DEFAULT 0,
    locked_until         TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE member_session (
    token_hash TEXT PRIMARY KEY,
    member_id  BIGINT NOT NULL REFERENCES member(id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ
);

CREATE TABLE product (
    org_id     BIGINT NOT NULL REFERENCES org(id) ON DELETE CASCADE,
    sku        TEXT NOT NULL,
    body       JSONB,
    version    BIGINT NOT NULL,
    updated_by BIGINT REFERENCES member(id) ON DELETE SET NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, sku)
);

-- One row per accepted change, in the order the server accepted them: `seq` is the cursor a
-- desk pulls from. A deleted product has a NULL body.
CREATE TABLE change (
    seq        BIGSERIAL PRIMARY KEY,
    org_id     BIGINT NOT NULL REFERENCES org(id) ON DELETE CASCADE,
    entity     TEXT NOT NULL,
    key        TEXT NOT NULL,
    version    BIGINT NOT NULL,
    body       JSONB,
    previous   JSONB,
    member_id  BIGINT REFERENCES member(id) ON DELETE SET NULL,
    at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX change_by_org ON change (org_id, seq);

CREATE TABLE idempotent_write (
    org_id     BIGINT NOT NULL REFERENCES org(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    response   JSONB NOT NULL,
    at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, key)
);

CREATE TABLE audit (
    id        BIGSERIAL PRIMARY KEY,
    org_id    BIGINT NOT NULL REFERENCES org(id) ON DELETE CASCADE,
    member_id BIGINT REFERENCES member(id) ON DELETE SET NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_by_org ON audit (org_id, id);
