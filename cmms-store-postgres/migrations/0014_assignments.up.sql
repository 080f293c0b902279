-- 0014_assignments: "my work" (a user's work orders, newest first) served from the assignee side.
-- Each assignment row carries its work order's created_at (JoinTable::copied; the store copies
-- it whenever it writes the list, on every insert and update of the work order), and the
-- by-user index is ordered by it, so the list walks the user's assignments newest first and
-- stops after a page instead of walking the organization's work orders.
ALTER TABLE work_order_assignees ADD COLUMN created_at timestamptz;
UPDATE work_order_assignees x SET created_at = w.created_at
    FROM work_orders w WHERE w.org_id = x.org_id AND w.id = x.work_order_id;
ALTER TABLE work_order_assignees ALTER COLUMN created_at SET NOT NULL;
-- Replaces (org_id, user_id, work_order_id): lookups by user use the new index's prefix, and
-- the EXISTS probes of lists use the primary key.
DROP INDEX work_order_assignees_user;
CREATE INDEX work_order_assignees_user
    ON work_order_assignees (org_id, user_id, created_at, work_order_id);
