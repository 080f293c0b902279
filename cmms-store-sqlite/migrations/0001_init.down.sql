-- 0001_init down: drops everything 0001_init.sql created, children before parents (indexes go
-- with their tables).
-- FKs are deferred to the end of this transaction: requests and work_orders reference each
-- other, so no drop order satisfies immediate checks; by commit time both tables are gone.
PRAGMA defer_foreign_keys = ON;
DROP TABLE labor_entries;
DROP TABLE checklist_items;
DROP TABLE work_order_comments;
DROP TABLE work_order_timeline;
DROP TABLE work_order_assignees;
DROP TABLE requests;
DROP TABLE work_orders;
DROP TABLE assets;
DROP TABLE failure_codes;
DROP TABLE role_grants;
DROP TABLE custom_roles;
DROP TABLE team_members;
DROP TABLE teams;
DROP TABLE users;
DROP TABLE locations;
DROP TABLE sites;
DROP TABLE events;
DROP TABLE event_heads;
DROP TABLE audit_log;
DROP TABLE audit_heads;
DROP TABLE org_counters;
DROP TABLE orgs;
