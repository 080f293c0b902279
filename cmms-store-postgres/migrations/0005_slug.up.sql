-- 0005_slug: a short unique name per organization, for logging in by slug instead of id
-- (mirrors SQLite's 0005_slug.sql). Existing organizations get 'org-' and their id in hex.
ALTER TABLE orgs ADD COLUMN slug text COLLATE "C";
UPDATE orgs SET slug = 'org-' || replace(id::text, '-', '');
ALTER TABLE orgs ALTER COLUMN slug SET NOT NULL;
ALTER TABLE orgs ADD CONSTRAINT orgs_slug_length CHECK (length(slug) BETWEEN 2 AND 63);
-- find_org_by_slug.
ALTER TABLE orgs ADD CONSTRAINT orgs_slug_unique UNIQUE (slug);

-- Logging in by slug reads across tenants before any tenant is known, like cmms_org_ids():
-- through a SECURITY DEFINER function that returns the id only.
CREATE FUNCTION cmms_org_by_slug(wanted text) RETURNS uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT id FROM orgs WHERE slug = wanted $$;
REVOKE ALL ON FUNCTION cmms_org_by_slug(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cmms_org_by_slug(text) TO cmms_app;
