-- 0007_inventory down.
ALTER TABLE pm_plans DROP COLUMN parts;
DROP TABLE purchase_order_lines;
DROP TABLE purchase_orders;
DROP TABLE vendor_parts;
DROP TABLE vendors;
DROP TABLE work_order_costs;
DROP TABLE work_order_parts;
DROP TABLE stock_movements;
DROP TABLE stock;
DROP TABLE stock_locations;
DROP TABLE part_assets;
DROP TABLE parts;
