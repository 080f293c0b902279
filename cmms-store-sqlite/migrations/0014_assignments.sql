-- 0014_assignments: "my work" (a user's work orders, newest first) served from the assignee side.
-- Each assignment row carries its work order's created_at (JoinTable::copied; the store copies
-- it whenever it writes the list, on every insert and update of the work order), and the
-- by-user index is ordered by it, so the list walks the user's assignments newest first and
-- stops after a page instead of walking the organization's work orders. (SQLite adds a NOT
-- NULL column only with a default; every row gets its real value at once.)
ALTER TABLE work_order_assignees ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
UPDATE work_order_assignees SET created_at = (SELECT w.created_at FROM work_orders w
    WHERE w.org_id = work_order_assignees.org_id AND w.id = work_order_assignees.work_order_id);
DROP INDEX work_order_assignees_user;
CREATE INDEX work_order_assignees_user
    ON work_order_assignees (org_id, user_id, created_at, work_order_id);
