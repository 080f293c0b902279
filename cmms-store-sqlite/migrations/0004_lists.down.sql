-- 0004_lists down: back to the index 0001_init.sql created.
DROP INDEX work_orders_site_status_created;
CREATE INDEX work_orders_site_status ON work_orders (org_id, site_id, status);
