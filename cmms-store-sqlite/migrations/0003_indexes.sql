-- 0003_indexes: indexes for list queries that scaled with the table (benches/BENCHMARKS.md).

-- list_work_orders sorted by due date: it orders by (due_at IS NULL, due_at, id) so that work
-- without a due date comes last, which the (org_id, due_at, id) index cannot serve: every such
-- list sorted the whole organization. This expression index serves the ascending sort and its
-- keyset cursor. (work_orders_due stays for the due_from / due_to range filters.)
CREATE INDEX work_orders_due_sort ON work_orders (org_id, (due_at IS NULL), due_at, id);

-- Text search (title, description, number LIKE %text%) stays a scan of the organization's work
-- orders in SQLite: substring search needs FTS5, a bigger change than an index.
