-- 0003_indexes down: drops the index 0003_indexes.up.sql created.
DROP INDEX work_orders_due_sort;
