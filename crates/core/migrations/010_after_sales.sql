-- A product's written after-sales and shipping terms (售后、发货), e.g. 坏果包赔：签收48小时内
-- 拍照联系客服. The claims linter backs a promise said live with them.
ALTER TABLE product ADD COLUMN after_sales TEXT NOT NULL DEFAULT '';
