-- 0006_pm: preventive maintenance (mirrors SQLite's 0006_pm.sql). Meters on assets and their
-- readings; PM plans; one slot per (plan, asset, due date) -- the unique key that makes
-- generation idempotent -- with at most one open slot per (plan, asset); and the
-- per-(plan, asset) state generation reads. Work orders remember the plan and slot they serve.
CREATE TABLE meters (
    org_id           uuid             NOT NULL,
    id               uuid             NOT NULL,
    asset_id         uuid             NOT NULL,
    name             text             COLLATE "C" NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    unit             text             NOT NULL CHECK (length(unit) BETWEEN 1 AND 20),
    kind             text             NOT NULL CHECK (kind IN ('accumulating', 'gauge')),
    last_value       double precision,
    last_total       double precision,
    last_reading_at  timestamptz,
    last_reset_at    timestamptz,
    created_at       timestamptz      NOT NULL,
    updated_at       timestamptz      NOT NULL,
    version          bigint           NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- PM plans name an asset's meters by name.
    CONSTRAINT meters_name_unique UNIQUE (org_id, asset_id, name),
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE meter_readings (
    org_id       uuid             NOT NULL,
    id           uuid             NOT NULL,
    meter_id     uuid             NOT NULL,
    value        double precision NOT NULL,
    total        double precision NOT NULL,
    reset        boolean          NOT NULL,
    taken_at     timestamptz      NOT NULL,
    source       text             NOT NULL CHECK (source IN ('manual', 'import', 'integration')),
    recorded_by  uuid,
    created_at   timestamptz      NOT NULL,
    PRIMARY KEY (org_id, id),
    -- One reading per meter and instant; also "readings of a meter by time".
    CONSTRAINT meter_readings_time_unique UNIQUE (org_id, meter_id, taken_at),
    FOREIGN KEY (org_id, meter_id) REFERENCES meters (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, recorded_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE pm_plans (
    org_id           uuid             NOT NULL,
    id               uuid             NOT NULL,
    site_id          uuid             NOT NULL,
    title            text             COLLATE "C" NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description      text,
    wo_type          text             NOT NULL CHECK (wo_type IN ('preventive', 'inspection')),
    priority         text             NOT NULL,
    estimated_hours  double precision,
    checklist        jsonb            NOT NULL,
    assignees        uuid[]           NOT NULL,
    team_id          uuid,
    asset_ids        uuid[]           NOT NULL,
    category         text,
    schedule         jsonb            NOT NULL,
    active           boolean          NOT NULL,
    created_by       uuid,
    created_at       timestamptz      NOT NULL,
    updated_at       timestamptz      NOT NULL,
    version          bigint           NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- Plans by title (the table's order).
CREATE INDEX pm_plans_title ON pm_plans (org_id, title, id);

CREATE TABLE pm_slots (
    org_id         uuid        NOT NULL,
    id             uuid        NOT NULL,
    plan_id        uuid        NOT NULL,
    asset_id       uuid        NOT NULL,
    slot           text        COLLATE "C" NOT NULL,
    due_at         timestamptz NOT NULL,
    grace_days     bigint      NOT NULL CHECK (grace_days >= 0),
    status         text        NOT NULL CHECK (status IN ('open', 'completed', 'cancelled', 'skipped')),
    work_order_id  uuid,
    completed_at   timestamptz,
    meter_values   jsonb       NOT NULL,
    overdue_at     timestamptz,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    version        bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- Generation is idempotent: one slot per (plan, asset, due slot).
    CONSTRAINT pm_slots_slot_unique UNIQUE (org_id, plan_id, asset_id, slot),
    FOREIGN KEY (org_id, plan_id) REFERENCES pm_plans (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- Never a second open PM work order for the same plan and asset.
CREATE UNIQUE INDEX pm_slots_one_open ON pm_slots (org_id, plan_id, asset_id) WHERE status = 'open';
-- A plan's history (newest first), compliance by due date, overdue work, a work order's slot.
CREATE INDEX pm_slots_plan ON pm_slots (org_id, plan_id, id);
CREATE INDEX pm_slots_due ON pm_slots (org_id, due_at, id);
CREATE INDEX pm_slots_work_order ON pm_slots (org_id, work_order_id);

CREATE TABLE pm_states (
    org_id               uuid        NOT NULL,
    id                   uuid        NOT NULL,
    plan_id              uuid        NOT NULL,
    asset_id             uuid        NOT NULL,
    last_due             timestamptz,
    count                bigint      NOT NULL CHECK (count >= 0),
    open_slot_id         uuid,
    last_service_at      timestamptz,
    last_service_meters  jsonb       NOT NULL,
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    version              bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT pm_states_pair_unique UNIQUE (org_id, plan_id, asset_id),
    FOREIGN KEY (org_id, plan_id) REFERENCES pm_plans (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id) DEFERRABLE INITIALLY DEFERRED
);

ALTER TABLE work_orders ADD COLUMN pm_plan_id uuid;
ALTER TABLE work_orders ADD COLUMN pm_slot_id uuid;

GRANT SELECT, INSERT, UPDATE, DELETE ON meters, meter_readings, pm_plans, pm_slots, pm_states
    TO cmms_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['meters', 'meter_readings', 'pm_plans', 'pm_slots', 'pm_states'] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant ON %I '
            'USING (org_id = NULLIF(current_setting(''cmms.org_id'', true), '''')::uuid) '
            'WITH CHECK (org_id = NULLIF(current_setting(''cmms.org_id'', true), '''')::uuid)',
            t);
    END LOOP;
END
$$;
