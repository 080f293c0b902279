-- 0004_lists: the site + status list, newest first, straight from one index.

-- list_work_orders filtered by site and status and sorted by creation (the default sort, and
-- what a dispatcher's board asks for) could only walk the organization's work orders newest
-- first (work_orders_created) and skip every row of another site or status: ~6 rows read per
-- row returned when most work is open, hundreds when the status is rare. This index answers
-- the filter, the order and the keyset cursor, so a page reads ~50 entries. It replaces
-- work_orders_site_status (org_id, site_id, status), whose prefix it keeps.
DROP INDEX work_orders_site_status;
CREATE INDEX work_orders_site_status_created
    ON work_orders (org_id, site_id, status, created_at, id);
