-- 0008_search: full-text search of work orders and requests (docs/stores.md, "Text search").
--
-- Each row stores search_doc, its folded words as cmms_core::search::document builds them
-- (" wo 00042 pump room "); a tsvector of those words, GIN-indexed, answers word-prefix
-- queries ('pump':* & 'room':*). The same documents feed SQLite's FTS5 index, so both stores
-- give the answers of cmms_core::search::matches.
--
-- Why a side table behind a view, not a tsvector column of work_orders:
--   * The planner uses a qual as an index condition under row-level security only if its
--     function is LEAKPROOF, and ts_match_vq (`@@`) is not. A GIN index on a column of an
--     RLS-forced table is therefore never used for cmms_app (nor for the owner: FORCE). Marking
--     a wrapper LEAKPROOF needs a superuser, which managed services do not grant.
--   * So the index lives in work_order_search (request_search for requests), which has no RLS
--     and on which cmms_app has no privilege at all (42501). Triggers running as the owner
--     (SECURITY DEFINER) keep it in step with search_doc; ON DELETE CASCADE removes a
--     record's row.
--   * cmms_app reads it only through work_order_search_v (request_search_v), which shows the
--     rows of the transaction's tenant (cmms.org_id, the setting the policies use) and nothing
--     without one. Records themselves still come only from the RLS-forced tables: the view
--     yields ids, joined under RLS. A forgotten org filter still sees one tenant's ids.
--   * The view is not a security barrier, so PostgreSQL may evaluate the non-leakproof `@@` on
--     other tenants' index rows before its filter. That is an oracle only for someone running
--     arbitrary SQL as cmms_app, who could equally set cmms.org_id; against what RLS guards
--     here -- our own forgotten filter -- the wall is the same (DESIGN §3.3, docs/stores.md).

-- work_orders ----------------------------------------------------------------------------------
ALTER TABLE work_orders ADD COLUMN search_doc text NOT NULL DEFAULT '';
-- Rows whose document the backfill has yet to write; PgStore::migrate fills them and then
-- drops this index, so its presence means "backfill pending" (an interrupted one resumes).
CREATE INDEX work_orders_unsearched ON work_orders (org_id, id) WHERE search_doc = '';
CREATE TABLE work_order_search (
    org_id  uuid     NOT NULL,
    work_order_id uuid     NOT NULL,
    terms   tsvector NOT NULL,
    PRIMARY KEY (org_id, work_order_id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) ON DELETE CASCADE
);
CREATE INDEX work_order_search_terms ON work_order_search USING gin (terms);
-- cmms_app gets no privilege on the side table: it reads it only through the view below.
REVOKE ALL ON work_order_search FROM PUBLIC;

-- The lexemes are exactly core's words (array_to_tsvector: no parser, no dictionary).
CREATE FUNCTION cmms_work_order_search_sync() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO work_order_search (org_id, work_order_id, terms)
    VALUES (NEW.org_id, NEW.id, array_to_tsvector(string_to_array(btrim(NEW.search_doc), ' ')))
    ON CONFLICT (org_id, work_order_id) DO UPDATE SET terms = EXCLUDED.terms;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION cmms_work_order_search_sync() FROM PUBLIC;
CREATE TRIGGER work_orders_search_ins AFTER INSERT ON work_orders
    FOR EACH ROW EXECUTE FUNCTION cmms_work_order_search_sync();
CREATE TRIGGER work_orders_search_upd AFTER UPDATE OF search_doc ON work_orders
    FOR EACH ROW WHEN (OLD.search_doc IS DISTINCT FROM NEW.search_doc)
    EXECUTE FUNCTION cmms_work_order_search_sync();

-- The tenant wall of the index: a plain view (not security_barrier, so `@@` may be an index
-- qual) owned by the owner, filtered on the policies' transaction setting.
CREATE VIEW work_order_search_v AS
    SELECT org_id, work_order_id, terms FROM work_order_search
    WHERE org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid;
GRANT SELECT ON work_order_search_v TO cmms_app;

-- requests ----------------------------------------------------------------------------------
ALTER TABLE requests ADD COLUMN search_doc text NOT NULL DEFAULT '';
-- Rows whose document the backfill has yet to write; PgStore::migrate fills them and then
-- drops this index, so its presence means "backfill pending" (an interrupted one resumes).
CREATE INDEX requests_unsearched ON requests (org_id, id) WHERE search_doc = '';
CREATE TABLE request_search (
    org_id  uuid     NOT NULL,
    request_id uuid     NOT NULL,
    terms   tsvector NOT NULL,
    PRIMARY KEY (org_id, request_id),
    FOREIGN KEY (org_id, request_id) REFERENCES requests (org_id, id) ON DELETE CASCADE
);
CREATE INDEX request_search_terms ON request_search USING gin (terms);
-- cmms_app gets no privilege on the side table: it reads it only through the view below.
REVOKE ALL ON request_search FROM PUBLIC;

-- The lexemes are exactly core's words (array_to_tsvector: no parser, no dictionary).
CREATE FUNCTION cmms_request_search_sync() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$
BEGIN
    INSERT INTO request_search (org_id, request_id, terms)
    VALUES (NEW.org_id, NEW.id, array_to_tsvector(string_to_array(btrim(NEW.search_doc), ' ')))
    ON CONFLICT (org_id, request_id) DO UPDATE SET terms = EXCLUDED.terms;
    RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION cmms_request_search_sync() FROM PUBLIC;
CREATE TRIGGER requests_search_ins AFTER INSERT ON requests
    FOR EACH ROW EXECUTE FUNCTION cmms_request_search_sync();
CREATE TRIGGER requests_search_upd AFTER UPDATE OF search_doc ON requests
    FOR EACH ROW WHEN (OLD.search_doc IS DISTINCT FROM NEW.search_doc)
    EXECUTE FUNCTION cmms_request_search_sync();

-- The tenant wall of the index: a plain view (not security_barrier, so `@@` may be an index
-- qual) owned by the owner, filtered on the policies' transaction setting.
CREATE VIEW request_search_v AS
    SELECT org_id, request_id, terms FROM request_search
    WHERE org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid;
GRANT SELECT ON request_search_v TO cmms_app;
