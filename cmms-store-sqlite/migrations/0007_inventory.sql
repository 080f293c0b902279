-- 0007_inventory: parts and stock locations, stock per (part, location) with its ledger of
-- movements, parts on work orders, other work-order costs, vendors and purchase orders.
-- Quantities are integer thousandths, money is exact decimal (text, as the store writes it).

CREATE TABLE parts (
    org_id                    BLOB     NOT NULL,
    id                        BLOB     NOT NULL,
    part_number               TEXT     NOT NULL CHECK (length(part_number) BETWEEN 1 AND 60),
    name                      TEXT     NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description               TEXT,
    unit                      TEXT     NOT NULL CHECK (length(unit) BETWEEN 1 AND 20),
    category                  TEXT,
    manufacturer              TEXT,
    manufacturer_part_number  TEXT,
    barcode                   TEXT,
    unit_cost                 TEXT     CHECK (CAST(unit_cost AS REAL) >= 0),
    min_qty                   INTEGER  CHECK (min_qty >= 0),
    max_qty                   INTEGER  CHECK (max_qty >= 0),
    reorder_point             INTEGER  CHECK (reorder_point >= 0),
    reorder_qty               INTEGER  CHECK (reorder_qty >= 0),
    lead_time_days            INTEGER  CHECK (lead_time_days >= 0),
    active                    INTEGER  NOT NULL CHECK (active IN (0, 1)),
    custom_fields             TEXT     NOT NULL,
    created_at                INTEGER  NOT NULL,
    updated_at                INTEGER  NOT NULL,
    version                   INTEGER  NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- The part number is unique in the organization.
    CONSTRAINT parts_number_unique UNIQUE (org_id, part_number)
) STRICT;
-- Parts by name; by barcode (scanning).
CREATE INDEX parts_name ON parts (org_id, name, id);
CREATE INDEX parts_barcode ON parts (org_id, barcode) WHERE barcode IS NOT NULL;

CREATE TABLE part_assets (
    org_id    BLOB     NOT NULL,
    part_id   BLOB     NOT NULL,
    asset_id  BLOB     NOT NULL,
    position  INTEGER  NOT NULL CHECK (position >= 0),
    PRIMARY KEY (org_id, part_id, asset_id),
    FOREIGN KEY (org_id, part_id) REFERENCES parts (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- "Spares for this pump": the parts that fit an asset.
CREATE INDEX part_assets_asset ON part_assets (org_id, asset_id, part_id);

CREATE TABLE stock_locations (
    org_id      BLOB     NOT NULL,
    id          BLOB     NOT NULL,
    site_id     BLOB     NOT NULL,
    parent_id   BLOB,
    kind        TEXT     NOT NULL CHECK (kind IN ('storeroom', 'bin')),
    code        TEXT     NOT NULL CHECK (length(code) BETWEEN 1 AND 40),
    name        TEXT     NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    active      INTEGER  NOT NULL CHECK (active IN (0, 1)),
    created_at  INTEGER  NOT NULL,
    updated_at  INTEGER  NOT NULL,
    version     INTEGER  NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT stock_locations_code_unique UNIQUE (org_id, site_id, code),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, parent_id) REFERENCES stock_locations (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
CREATE INDEX stock_locations_site ON stock_locations (org_id, site_id, id);

CREATE TABLE stock (
    org_id         BLOB     NOT NULL,
    id             BLOB     NOT NULL,
    part_id        BLOB     NOT NULL,
    location_id    BLOB     NOT NULL,
    on_hand        INTEGER  NOT NULL,
    reserved       INTEGER  NOT NULL,
    avg_cost       TEXT     NOT NULL CHECK (CAST(avg_cost AS REAL) >= 0),
    min_qty        INTEGER,
    max_qty        INTEGER,
    reorder_point  INTEGER,
    reorder_qty    INTEGER,
    own_levels     INTEGER  NOT NULL CHECK (own_levels IN (0, 1)),
    updated_at     INTEGER  NOT NULL,
    version        INTEGER  NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- Stock never goes below zero and never reserves more than is on hand (DESIGN §3.6): core
    -- checks it first, the stores' deltas are conditional, and this is the last wall.
    CONSTRAINT stock_quantities CHECK (on_hand >= 0 AND reserved >= 0 AND reserved <= on_hand),
    -- One row per (part, location), also "stock of a part".
    CONSTRAINT stock_part_location_unique UNIQUE (org_id, part_id, location_id),
    FOREIGN KEY (org_id, part_id) REFERENCES parts (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, location_id) REFERENCES stock_locations (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- Stock at a location.
CREATE INDEX stock_location ON stock (org_id, location_id, id);
-- Low stock (at a location): only rows at or below their reorder point (else their minimum)
-- are in this index; core asks with the same condition (store::record::LOW_STOCK).
CREATE INDEX stock_low ON stock (org_id, location_id, id) WHERE on_hand - reserved <= COALESCE(reorder_point, min_qty);

CREATE TABLE stock_movements (
    org_id             BLOB     NOT NULL,
    id                 BLOB     NOT NULL,
    part_id            BLOB     NOT NULL,
    location_id        BLOB     NOT NULL,
    kind               TEXT     NOT NULL CHECK (kind IN ('receive', 'issue', 'return', 'adjust', 'transfer_out', 'transfer_in', 'reserve', 'release')),
    quantity           INTEGER  NOT NULL CHECK (quantity >= 0),
    on_hand_delta      INTEGER  NOT NULL,
    reserved_delta     INTEGER  NOT NULL,
    unit_cost          TEXT,
    work_order_id      BLOB,
    purchase_order_id  BLOB,
    transfer_id        BLOB,
    reason             TEXT,
    actor_id           BLOB,
    at                 INTEGER  NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, part_id) REFERENCES parts (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, location_id) REFERENCES stock_locations (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, actor_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- Movements (time-ordered ids) of a part, of a work order, of a purchase order, at a location.
CREATE INDEX stock_movements_part ON stock_movements (org_id, part_id, id);
-- Consumption of a page of the low-stock list: the movements of its parts since a time.
CREATE INDEX stock_movements_part_at ON stock_movements (org_id, part_id, at);
CREATE INDEX stock_movements_work_order ON stock_movements (org_id, work_order_id) WHERE work_order_id IS NOT NULL;
CREATE INDEX stock_movements_purchase_order ON stock_movements (org_id, purchase_order_id) WHERE purchase_order_id IS NOT NULL;
CREATE INDEX stock_movements_location ON stock_movements (org_id, location_id, id);

CREATE TABLE work_order_parts (
    org_id         BLOB     NOT NULL,
    id             BLOB     NOT NULL,
    work_order_id  BLOB     NOT NULL,
    part_id        BLOB     NOT NULL,
    location_id    BLOB     NOT NULL,
    planned        INTEGER  NOT NULL CHECK (planned >= 0),
    reserved       INTEGER  NOT NULL CHECK (reserved >= 0),
    issued         INTEGER  NOT NULL CHECK (issued >= 0),
    returned       INTEGER  NOT NULL CHECK (returned >= 0 AND returned <= issued),
    created_at     INTEGER  NOT NULL,
    updated_at     INTEGER  NOT NULL,
    version        INTEGER  NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT work_order_parts_line_unique UNIQUE (org_id, work_order_id, part_id, location_id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, part_id) REFERENCES parts (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, location_id) REFERENCES stock_locations (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
CREATE INDEX work_order_parts_wo ON work_order_parts (org_id, work_order_id, created_at, id);

CREATE TABLE work_order_costs (
    org_id         BLOB     NOT NULL,
    id             BLOB     NOT NULL,
    work_order_id  BLOB     NOT NULL,
    description    TEXT     NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
    amount         TEXT     NOT NULL,
    created_by     BLOB,
    created_at     INTEGER  NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
CREATE INDEX work_order_costs_wo ON work_order_costs (org_id, work_order_id, created_at, id);

CREATE TABLE vendors (
    org_id          BLOB     NOT NULL,
    id              BLOB     NOT NULL,
    name            TEXT     NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    contact         TEXT,
    email           TEXT,
    phone           TEXT,
    address         TEXT,
    currency        TEXT,
    lead_time_days  INTEGER  CHECK (lead_time_days >= 0),
    active          INTEGER  NOT NULL CHECK (active IN (0, 1)),
    created_at      INTEGER  NOT NULL,
    updated_at      INTEGER  NOT NULL,
    version         INTEGER  NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id)
) STRICT;
CREATE INDEX vendors_name ON vendors (org_id, name, id);

CREATE TABLE vendor_parts (
    org_id              BLOB     NOT NULL,
    id                  BLOB     NOT NULL,
    vendor_id           BLOB     NOT NULL,
    part_id             BLOB     NOT NULL,
    vendor_part_number  TEXT,
    price               TEXT     CHECK (CAST(price AS REAL) >= 0),
    preferred           INTEGER  NOT NULL CHECK (preferred IN (0, 1)),
    updated_at          INTEGER  NOT NULL,
    version             INTEGER  NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT vendor_parts_pair_unique UNIQUE (org_id, vendor_id, part_id),
    FOREIGN KEY (org_id, vendor_id) REFERENCES vendors (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, part_id) REFERENCES parts (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
CREATE INDEX vendor_parts_part ON vendor_parts (org_id, part_id, vendor_id);

CREATE TABLE purchase_orders (
    org_id       BLOB     NOT NULL,
    id           BLOB     NOT NULL,
    number       TEXT     NOT NULL,
    vendor_id    BLOB     NOT NULL,
    site_id      BLOB     NOT NULL,
    status       TEXT     NOT NULL CHECK (status IN ('draft', 'submitted', 'approved', 'rejected', 'ordered', 'partially_received', 'received', 'closed', 'cancelled')),
    currency     TEXT     NOT NULL,
    notes        TEXT,
    total        TEXT     NOT NULL,
    approved_by  BLOB,
    approved_at  INTEGER,
    reason       TEXT,
    created_by   BLOB,
    created_at   INTEGER  NOT NULL,
    updated_at   INTEGER  NOT NULL,
    version      INTEGER  NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT purchase_orders_number_unique UNIQUE (org_id, number),
    FOREIGN KEY (org_id, vendor_id) REFERENCES vendors (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
CREATE INDEX purchase_orders_vendor ON purchase_orders (org_id, vendor_id, id);
CREATE INDEX purchase_orders_status ON purchase_orders (org_id, status, id);

CREATE TABLE purchase_order_lines (
    org_id             BLOB     NOT NULL,
    id                 BLOB     NOT NULL,
    purchase_order_id  BLOB     NOT NULL,
    position           INTEGER  NOT NULL CHECK (position >= 1),
    part_id            BLOB     NOT NULL,
    location_id        BLOB     NOT NULL,
    quantity           INTEGER  NOT NULL CHECK (quantity > 0),
    received           INTEGER  NOT NULL CHECK (received >= 0),
    unit_price         TEXT     NOT NULL CHECK (CAST(unit_price AS REAL) >= 0),
    updated_at         INTEGER  NOT NULL,
    version            INTEGER  NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT purchase_order_lines_position_unique UNIQUE (org_id, purchase_order_id, position),
    FOREIGN KEY (org_id, purchase_order_id) REFERENCES purchase_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, part_id) REFERENCES parts (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, location_id) REFERENCES stock_locations (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;

-- PM plans name the parts their work orders need (planned on each generated work order).
ALTER TABLE pm_plans ADD COLUMN parts TEXT NOT NULL DEFAULT '[]';
