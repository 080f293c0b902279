-- 0006_pm down.
ALTER TABLE work_orders DROP COLUMN pm_slot_id;
ALTER TABLE work_orders DROP COLUMN pm_plan_id;
DROP TABLE pm_states;
DROP TABLE pm_slots;
DROP TABLE pm_plans;
DROP TABLE meter_readings;
DROP TABLE meters;
