-- 0008_search down.
DROP TRIGGER requests_search_ad;
DROP TRIGGER requests_search_au;
DROP TRIGGER requests_search_ai;
DROP TABLE request_fts;
DROP TABLE request_search_keys;
ALTER TABLE requests DROP COLUMN search_doc;
DROP TRIGGER work_orders_search_ad;
DROP TRIGGER work_orders_search_au;
DROP TRIGGER work_orders_search_ai;
DROP TABLE work_order_fts;
DROP TABLE work_order_search_keys;
ALTER TABLE work_orders DROP COLUMN search_doc;
