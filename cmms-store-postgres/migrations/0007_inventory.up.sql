-- 0007_inventory: parts and stock locations, stock per (part, location) with its ledger of
-- movements, parts on work orders, other work-order costs, vendors and purchase orders (mirrors SQLite's 0007_inventory.sql).
-- Quantities are integer thousandths, money is exact decimal.

CREATE TABLE parts (
    org_id                    uuid         NOT NULL,
    id                        uuid         NOT NULL,
    part_number               text COLLATE "C"  NOT NULL CHECK (length(part_number) BETWEEN 1 AND 60),
    name                      text COLLATE "C"  NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description               text,
    unit                      text         NOT NULL CHECK (length(unit) BETWEEN 1 AND 20),
    category                  text,
    manufacturer              text,
    manufacturer_part_number  text,
    barcode                   text,
    unit_cost                 numeric      CHECK (unit_cost >= 0),
    min_qty                   bigint       CHECK (min_qty >= 0),
    max_qty                   bigint       CHECK (max_qty >= 0),
    reorder_point             bigint       CHECK (reorder_point >= 0),
    reorder_qty               bigint       CHECK (reorder_qty >= 0),
    lead_time_days            bigint       CHECK (lead_time_days >= 0),
    active                    boolean      NOT NULL,
    custom_fields             jsonb        NOT NULL,
    created_at                timestamptz  NOT NULL,
    updated_at                timestamptz  NOT NULL,
    version                   bigint       NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- The part number is unique in the organization.
    CONSTRAINT parts_number_unique UNIQUE (org_id, part_number)
);
-- Parts by name; by barcode (scanning).
CREATE INDEX parts_name ON parts (org_id, name, id);
CREATE INDEX parts_barcode ON parts (org_id, barcode) WHERE barcode IS NOT NULL;

CREATE TABLE part_assets (
    org_id    uuid    NOT NULL,
    part_id   uuid    NOT NULL,
    asset_id  uuid    NOT NULL,
    position  bigint  NOT NULL CHECK (position >= 0),
    PRIMARY KEY (org_id, part_id, asset_id),
    FOREIGN KEY (org_id, part_id) REFERENCES parts (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- "Spares for this pump": the parts that fit an asset.
CREATE INDEX part_assets_asset ON part_assets (org_id, asset_id, part_id);

CREATE TABLE stock_locations (
    org_id      uuid         NOT NULL,
    id          uuid         NOT NULL,
    site_id     uuid         NOT NULL,
    parent_id   uuid,
    kind        text         NOT NULL CHECK (kind IN ('storeroom', 'bin')),
    code        text COLLATE "C"  NOT NULL CHECK (length(code) BETWEEN 1 AND 40),
    name        text         NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    active      boolean      NOT NULL,
    created_at  timestamptz  NOT NULL,
    updated_at  timestamptz  NOT NULL,
    version     bigint       NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT stock_locations_code_unique UNIQUE (org_id, site_id, code),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, parent_id) REFERENCES stock_locations (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX stock_locations_site ON stock_locations (org_id, site_id, id);

CREATE TABLE stock (
    org_id         uuid         NOT NULL,
    id             uuid         NOT NULL,
    part_id        uuid         NOT NULL,
    location_id    uuid         NOT NULL,
    on_hand        bigint       NOT NULL,
    reserved       bigint       NOT NULL,
    avg_cost       numeric      NOT NULL CHECK (avg_cost >= 0),
    min_qty        bigint,
    max_qty        bigint,
    reorder_point  bigint,
    reorder_qty    bigint,
    own_levels     boolean      NOT NULL,
    updated_at     timestamptz  NOT NULL,
    version        bigint       NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- Stock never goes below zero and never reserves more than is on hand (DESIGN §3.6): core
    -- checks it first, the stores' deltas are conditional, and this is the last wall.
    CONSTRAINT stock_quantities CHECK (on_hand >= 0 AND reserved >= 0 AND reserved <= on_hand),
    -- One row per (part, location), also "stock of a part".
    CONSTRAINT stock_part_location_unique UNIQUE (org_id, part_id, location_id),
    FOREIGN KEY (org_id, part_id) REFERENCES parts (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, location_id) REFERENCES stock_locations (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- Stock at a location.
CREATE INDEX stock_location ON stock (org_id, location_id, id);
-- Low stock (at a location): only rows at or below their reorder point (else their minimum)
-- are in this index; core asks with the same condition (store::record::LOW_STOCK).
CREATE INDEX stock_low ON stock (org_id, location_id, id) WHERE on_hand - reserved <= COALESCE(reorder_point, min_qty);

CREATE TABLE stock_movements (
    org_id             uuid         NOT NULL,
    id                 uuid         NOT NULL,
    part_id            uuid         NOT NULL,
    location_id        uuid         NOT NULL,
    kind               text         NOT NULL CHECK (kind IN ('receive', 'issue', 'return', 'adjust', 'transfer_out', 'transfer_in', 'reserve', 'release')),
    quantity           bigint       NOT NULL CHECK (quantity >= 0),
    on_hand_delta      bigint       NOT NULL,
    reserved_delta     bigint       NOT NULL,
    unit_cost          numeric,
    work_order_id      uuid,
    purchase_order_id  uuid,
    transfer_id        uuid,
    reason             text,
    actor_id           uuid,
    at                 timestamptz  NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, part_id) REFERENCES parts (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, location_id) REFERENCES stock_locations (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, actor_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- Movements (time-ordered ids) of a part, of a work order, of a purchase order, at a location.
CREATE INDEX stock_movements_part ON stock_movements (org_id, part_id, id);
-- Consumption of a page of the low-stock list: the movements of its parts since a time.
CREATE INDEX stock_movements_part_at ON stock_movements (org_id, part_id, at);
CREATE INDEX stock_movements_work_order ON stock_movements (org_id, work_order_id) WHERE work_order_id IS NOT NULL;
CREATE INDEX stock_movements_purchase_order ON stock_movements (org_id, purchase_order_id) WHERE purchase_order_id IS NOT NULL;
CREATE INDEX stock_movements_location ON stock_movements (org_id, location_id, id);

CREATE TABLE work_order_parts (
    org_id         uuid         NOT NULL,
    id             uuid         NOT NULL,
    work_order_id  uuid         NOT NULL,
    part_id        uuid         NOT NULL,
    location_id    uuid         NOT NULL,
    planned        bigint       NOT NULL CHECK (planned >= 0),
    reserved       bigint       NOT NULL CHECK (reserved >= 0),
    issued         bigint       NOT NULL CHECK (issued >= 0),
    returned       bigint       NOT NULL CHECK (returned >= 0 AND returned <= issued),
    created_at     timestamptz  NOT NULL,
    updated_at     timestamptz  NOT NULL,
    version        bigint       NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT work_order_parts_line_unique UNIQUE (org_id, work_order_id, part_id, location_id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, part_id) REFERENCES parts (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, location_id) REFERENCES stock_locations (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX work_order_parts_wo ON work_order_parts (org_id, work_order_id, created_at, id);

CREATE TABLE work_order_costs (
    org_id         uuid         NOT NULL,
    id             uuid         NOT NULL,
    work_order_id  uuid         NOT NULL,
    description    text         NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
    amount         numeric      NOT NULL,
    created_by     uuid,
    created_at     timestamptz  NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX work_order_costs_wo ON work_order_costs (org_id, work_order_id, created_at, id);

CREATE TABLE vendors (
    org_id          uuid         NOT NULL,
    id              uuid         NOT NULL,
    name            text COLLATE "C"  NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    contact         text,
    email           text,
    phone           text,
    address         text,
    currency        text,
    lead_time_days  bigint       CHECK (lead_time_days >= 0),
    active          boolean      NOT NULL,
    created_at      timestamptz  NOT NULL,
    updated_at      timestamptz  NOT NULL,
    version         bigint       NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id)
);
CREATE INDEX vendors_name ON vendors (org_id, name, id);

CREATE TABLE vendor_parts (
    org_id              uuid         NOT NULL,
    id                  uuid         NOT NULL,
    vendor_id           uuid         NOT NULL,
    part_id             uuid         NOT NULL,
    vendor_part_number  text,
    price               numeric      CHECK (price >= 0),
    preferred           boolean      NOT NULL,
    updated_at          timestamptz  NOT NULL,
    version             bigint       NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT vendor_parts_pair_unique UNIQUE (org_id, vendor_id, part_id),
    FOREIGN KEY (org_id, vendor_id) REFERENCES vendors (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, part_id) REFERENCES parts (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX vendor_parts_part ON vendor_parts (org_id, part_id, vendor_id);

CREATE TABLE purchase_orders (
    org_id       uuid         NOT NULL,
    id           uuid         NOT NULL,
    number       text COLLATE "C"  NOT NULL,
    vendor_id    uuid         NOT NULL,
    site_id      uuid         NOT NULL,
    status       text         NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'ordered', 'partially_received', 'received', 'closed', 'cancelled')),
    currency     text         NOT NULL,
    notes        text,
    total        numeric      NOT NULL,
    approved_by  uuid,
    approved_at  timestamptz,
    reason       text,
    created_by   uuid,
    created_at   timestamptz  NOT NULL,
    updated_at   timestamptz  NOT NULL,
    version      bigint       NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT purchase_orders_number_unique UNIQUE (org_id, number),
    FOREIGN KEY (org_id, vendor_id) REFERENCES vendors (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX purchase_orders_vendor ON purchase_orders (org_id, vendor_id, id);
CREATE INDEX purchase_orders_status ON purchase_orders (org_id, status, id);

CREATE TABLE purchase_order_lines (
    org_id             uuid         NOT NULL,
    id                 uuid         NOT NULL,
    purchase_order_id  uuid         NOT NULL,
    position           bigint       NOT NULL CHECK (position >= 1),
    part_id            uuid         NOT NULL,
    location_id        uuid         NOT NULL,
    quantity           bigint       NOT NULL CHECK (quantity > 0),
    received           bigint       NOT NULL CHECK (received >= 0),
    unit_price         numeric      NOT NULL CHECK (unit_price >= 0),
    updated_at         timestamptz  NOT NULL,
    version            bigint       NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT purchase_order_lines_position_unique UNIQUE (org_id, purchase_order_id, position),
    FOREIGN KEY (org_id, purchase_order_id) REFERENCES purchase_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, part_id) REFERENCES parts (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, location_id) REFERENCES stock_locations (org_id, id) DEFERRABLE INITIALLY DEFERRED
);

-- PM plans name the parts their work orders need (planned on each generated work order).
ALTER TABLE pm_plans ADD COLUMN parts jsonb NOT NULL DEFAULT '[]';

GRANT SELECT, INSERT, UPDATE, DELETE ON parts, part_assets, stock_locations, stock, stock_movements, work_order_parts, work_order_costs, vendors, vendor_parts, purchase_orders, purchase_order_lines
    TO cmms_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['parts', 'part_assets', 'stock_locations', 'stock', 'stock_movements', 'work_order_parts', 'work_order_costs', 'vendors', 'vendor_parts', 'purchase_orders', 'purchase_order_lines'] LOOP
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