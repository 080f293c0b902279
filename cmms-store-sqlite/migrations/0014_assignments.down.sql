-- 0014_assignments down.
DROP INDEX work_order_assignees_user;
ALTER TABLE work_order_assignees DROP COLUMN created_at;
CREATE INDEX work_order_assignees_user ON work_order_assignees (org_id, user_id, work_order_id);
