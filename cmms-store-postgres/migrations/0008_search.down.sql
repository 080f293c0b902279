-- 0008_search down.
DROP VIEW request_search_v;
DROP TRIGGER requests_search_upd ON requests;
DROP TRIGGER requests_search_ins ON requests;
DROP FUNCTION cmms_request_search_sync();
DROP TABLE request_search;
DROP INDEX IF EXISTS requests_unsearched;
ALTER TABLE requests DROP COLUMN search_doc;
DROP VIEW work_order_search_v;
DROP TRIGGER work_orders_search_upd ON work_orders;
DROP TRIGGER work_orders_search_ins ON work_orders;
DROP FUNCTION cmms_work_order_search_sync();
DROP TABLE work_order_search;
DROP INDEX IF EXISTS work_orders_unsearched;
ALTER TABLE work_orders DROP COLUMN search_doc;
