-- 0005_slug down.
DROP INDEX orgs_slug;
ALTER TABLE orgs DROP COLUMN slug;
