-- Products, their certificates, anchors, broadcasts and line-ups.
CREATE TABLE product (
    id              INTEGER PRIMARY KEY,
    sku             TEXT NOT NULL,
    name            TEXT NOT NULL,
    origin          TEXT NOT NULL DEFAULT '',
    spec            TEXT NOT NULL DEFAULT '',
    price_fen       INTEGER NOT NULL CHECK (price_fen >= 0),
    stock           INTEGER NOT NULL CHECK (stock >= 0),
    shelf_life_days INTEGER CHECK (shelf_life_days IS NULL OR shelf_life_days >= 0),
    storage         TEXT NOT NULL,
    cold_chain      INTEGER NOT NULL DEFAULT 0,
    selling_points  TEXT NOT NULL DEFAULT '',
    is_sample       INTEGER NOT NULL DEFAULT 0,
    deleted_at      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
) STRICT;
-- A SKU is unique among products that are not deleted, so an undone delete can come back.
CREATE UNIQUE INDEX product_live_sku ON product(sku) WHERE deleted_at IS NULL;

CREATE TABLE certificate (
    id          INTEGER PRIMARY KEY,
    product_id  INTEGER NOT NULL REFERENCES product(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    number      TEXT NOT NULL,
    issuer      TEXT NOT NULL,
    valid_until TEXT
) STRICT;
CREATE INDEX certificate_product ON certificate(product_id);

CREATE TABLE anchor (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE qualification (
    id          INTEGER PRIMARY KEY,
    anchor_id   INTEGER NOT NULL REFERENCES anchor(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    field       TEXT NOT NULL,
    title       TEXT NOT NULL,
    number      TEXT NOT NULL,
    valid_until TEXT
) STRICT;

CREATE TABLE broadcast (
    id            INTEGER PRIMARY KEY,
    title         TEXT NOT NULL,
    planned_start TEXT NOT NULL,
    platform      TEXT NOT NULL,
    anchor_id     INTEGER REFERENCES anchor(id) ON DELETE SET NULL,
    deleted_at    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;

CREATE TABLE lineup_item (
    id              INTEGER PRIMARY KEY,
    broadcast_id    INTEGER NOT NULL REFERENCES broadcast(id) ON DELETE CASCADE,
    product_id      INTEGER NOT NULL REFERENCES product(id),
    position        INTEGER NOT NULL,
    live_price_fen  INTEGER NOT NULL CHECK (live_price_fen >= 0),
    coupon          TEXT NOT NULL DEFAULT '',
    stock           INTEGER NOT NULL CHECK (stock >= 0),
    planned_minutes INTEGER NOT NULL CHECK (planned_minutes >= 0),
    role            TEXT NOT NULL
) STRICT;
CREATE INDEX lineup_item_broadcast ON lineup_item(broadcast_id, position);
