-- 0003_indexes: indexes for list queries that scaled with the table, mirroring SQLite's
-- 0003_indexes.sql (benches/BENCHMARKS.md has the measurements).

-- list_work_orders sort by due date: ORDER BY due_at IS NULL, due_at, id (NULLs last) cannot
-- use work_orders_due (org_id, due_at, id), so every such list sorted the whole organization.
-- This expression index serves the ascending sort and its keyset cursor.
CREATE INDEX work_orders_due_sort ON work_orders (org_id, (due_at IS NULL), due_at, id);

-- Text search (translate(col, 'A..Z', 'a..z') LIKE '%text%' on title, description and number)
-- gets no index here. pg_trgm GIN indexes on those expressions were tried: the table owner
-- bypassing row-level security used them (a search matching nothing took milliseconds instead
-- of a scan), but the store's role does not: LIKE is not LEAKPROOF, so under the tenant policy
-- PostgreSQL must not evaluate it inside an index scan, and it scans. They would only have cost
-- every write.
