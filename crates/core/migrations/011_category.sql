-- A product's category (类目) as the law sorts products (普通食品, 保健食品, 化妆品, 农资 …):
-- the claims linter judges the same words differently for each. '' when not set.
-- For a 保健食品, the functions on its registration or filing, one per line.
ALTER TABLE product ADD COLUMN category TEXT NOT NULL DEFAULT '';
ALTER TABLE product ADD COLUMN registered_functions TEXT NOT NULL DEFAULT '';
