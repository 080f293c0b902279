-- 0005_slug: a short unique name per organization, for logging in by slug instead of id.
-- Existing organizations get 'org-' and their id in hex (unique, valid, and not shaped like an
-- id); an owner renames it with PATCH /api/v1/orgs/current. The DEFAULT exists only because
-- SQLite cannot add a NOT NULL column without one: the store always writes the slug.
ALTER TABLE orgs ADD COLUMN slug TEXT NOT NULL DEFAULT '' CHECK (length(slug) BETWEEN 2 AND 63);
UPDATE orgs SET slug = 'org-' || lower(hex(id));
-- find_org_by_slug.
CREATE UNIQUE INDEX orgs_slug ON orgs (slug);
