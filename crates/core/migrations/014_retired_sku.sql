-- A product's SKU changed on this desk: the old SKU is retired at that moment, so that a
-- team the desk shares its catalog with withdraws the old SKU too (the platform gets a
-- withdrawal through the outbox in the same transaction).
CREATE TABLE retired_sku (
    sku        TEXT NOT NULL,
    product_id INTEGER NOT NULL REFERENCES product(id) ON DELETE CASCADE,
    retired_at TEXT NOT NULL
) STRICT;
CREATE INDEX retired_sku_at ON retired_sku(retired_at);
