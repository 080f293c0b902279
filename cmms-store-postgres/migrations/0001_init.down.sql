-- 0001_init down: drops everything 0001_init.up.sql created, children before parents (indexes,
-- policies and grants go with their tables). CASCADE drops the foreign keys between requests
-- and work_orders, which reference each other.
--
-- The role cmms_app stays: roles belong to the whole server, and other databases on it may
-- use it. So do the migrating user's membership in it, cmms_app's USAGE on schema public and
-- its SELECT on _sqlx_migrations (schema_version() still reads it).
DROP FUNCTION cmms_org_ids();
DROP TABLE labor_entries;
DROP TABLE checklist_items;
DROP TABLE work_order_comments;
DROP TABLE work_order_timeline;
DROP TABLE work_order_assignees;
DROP TABLE requests CASCADE;
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
