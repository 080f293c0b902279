-- 0006_pm: preventive maintenance. Meters on assets and their readings; PM plans; one slot per
-- (plan, asset, due date) -- the unique key that makes generation idempotent -- with at most
-- one open slot per (plan, asset); and the per-(plan, asset) state generation reads. Work
-- orders remember the plan and slot they serve.
CREATE TABLE meters (
    org_id           BLOB    NOT NULL,
    id               BLOB    NOT NULL,
    asset_id         BLOB    NOT NULL,
    name             TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    unit             TEXT    NOT NULL CHECK (length(unit) BETWEEN 1 AND 20),
    kind             TEXT    NOT NULL CHECK (kind IN ('accumulating', 'gauge')),
    last_value       REAL,
    last_total       REAL,
    last_reading_at  INTEGER,
    last_reset_at    INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    version          INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- PM plans name an asset's meters by name.
    CONSTRAINT meters_name_unique UNIQUE (org_id, asset_id, name),
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE TABLE meter_readings (
    org_id       BLOB    NOT NULL,
    id           BLOB    NOT NULL,
    meter_id     BLOB    NOT NULL,
    value        REAL    NOT NULL,
    total        REAL    NOT NULL,
    reset        INTEGER NOT NULL CHECK (reset IN (0, 1)),
    taken_at     INTEGER NOT NULL,
    source       TEXT    NOT NULL CHECK (source IN ('manual', 'import', 'integration')),
    recorded_by  BLOB,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, id),
    -- One reading per meter and instant; also "readings of a meter by time".
    CONSTRAINT meter_readings_time_unique UNIQUE (org_id, meter_id, taken_at),
    FOREIGN KEY (org_id, meter_id) REFERENCES meters (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, recorded_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE TABLE pm_plans (
    org_id           BLOB    NOT NULL,
    id               BLOB    NOT NULL,
    site_id          BLOB    NOT NULL,
    title            TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description      TEXT,
    wo_type          TEXT    NOT NULL CHECK (wo_type IN ('preventive', 'inspection')),
    priority         TEXT    NOT NULL,
    estimated_hours  REAL,
    checklist        TEXT    NOT NULL,
    assignees        BLOB    NOT NULL,
    team_id          BLOB,
    asset_ids        BLOB    NOT NULL,
    category         TEXT,
    schedule         TEXT    NOT NULL,
    active           INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_by       BLOB,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    version          INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- Plans by title (the table's order); active plans for generation.
CREATE INDEX pm_plans_title ON pm_plans (org_id, title, id);

CREATE TABLE pm_slots (
    org_id         BLOB    NOT NULL,
    id             BLOB    NOT NULL,
    plan_id        BLOB    NOT NULL,
    asset_id       BLOB    NOT NULL,
    slot           TEXT    NOT NULL,
    due_at         INTEGER NOT NULL,
    grace_days     INTEGER NOT NULL CHECK (grace_days >= 0),
    status         TEXT    NOT NULL CHECK (status IN ('open', 'completed', 'cancelled', 'skipped')),
    work_order_id  BLOB,
    completed_at   INTEGER,
    meter_values   TEXT    NOT NULL,
    overdue_at     INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- Generation is idempotent: one slot per (plan, asset, due slot).
    CONSTRAINT pm_slots_slot_unique UNIQUE (org_id, plan_id, asset_id, slot),
    FOREIGN KEY (org_id, plan_id) REFERENCES pm_plans (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- Never a second open PM work order for the same plan and asset.
CREATE UNIQUE INDEX pm_slots_one_open ON pm_slots (org_id, plan_id, asset_id) WHERE status = 'open';
-- A plan's history (newest first), compliance by due date, overdue work, a work order's slot.
CREATE INDEX pm_slots_plan ON pm_slots (org_id, plan_id, id);
CREATE INDEX pm_slots_due ON pm_slots (org_id, due_at, id);
CREATE INDEX pm_slots_work_order ON pm_slots (org_id, work_order_id);

CREATE TABLE pm_states (
    org_id               BLOB    NOT NULL,
    id                   BLOB    NOT NULL,
    plan_id              BLOB    NOT NULL,
    asset_id             BLOB    NOT NULL,
    last_due             INTEGER,
    count                INTEGER NOT NULL CHECK (count >= 0),
    open_slot_id         BLOB,
    last_service_at      INTEGER,
    last_service_meters  TEXT    NOT NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    version              INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT pm_states_pair_unique UNIQUE (org_id, plan_id, asset_id),
    FOREIGN KEY (org_id, plan_id) REFERENCES pm_plans (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;

ALTER TABLE work_orders ADD COLUMN pm_plan_id BLOB;
ALTER TABLE work_orders ADD COLUMN pm_slot_id BLOB;
