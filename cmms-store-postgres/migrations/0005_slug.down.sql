-- 0005_slug down.
DROP FUNCTION cmms_org_by_slug(text);
ALTER TABLE orgs DROP COLUMN slug;
