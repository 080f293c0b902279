-- 0001_init: the first cmms schema (organizations, sites, users, assets, work orders, requests,
-- audit chain, event outbox). Table and column names are mirrored by the Postgres store.
--
-- Conventions:
--   * ids are UUIDs stored as 16-byte BLOBs; timestamps are INTEGER microseconds since the Unix
--     epoch (UTC); JSON documents are TEXT; booleans are INTEGER 0/1; closed vocabularies are
--     TEXT with a CHECK listing their wire names.
--   * every tenant table has org_id and PRIMARY KEY (org_id, id); references are composite
--     (org_id, x_id) -> parent (org_id, id), so a row can never point into another tenant.
--   * tables are STRICT, so a value of the wrong type is refused instead of coerced.
--   * foreign keys are checked at COMMIT (DEFERRABLE INITIALLY DEFERRED): a changeset applies
--     its plain writes before the numbered ones, so a child may be written before its parent
--     within one commit; a dangling reference still fails the whole commit.

CREATE TABLE orgs (
    id          BLOB    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    settings    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1)
) STRICT;

-- Per-org counters for human numbers (key such as 'work_order:2026').
CREATE TABLE org_counters (
    org_id  BLOB    NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    key     TEXT    NOT NULL,
    value   INTEGER NOT NULL CHECK (value >= 1),
    PRIMARY KEY (org_id, key)
) STRICT;

-- Head of each org's audit hash chain: touched last in every commit that appends audit entries.
CREATE TABLE audit_heads (
    org_id  BLOB    NOT NULL PRIMARY KEY REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    seq     INTEGER NOT NULL CHECK (seq >= 0),
    hash    TEXT    NOT NULL
) STRICT;

-- The append-only audit chain. entity_kind and action are open vocabularies (they grow with
-- every aggregate core adds), so they carry no CHECK: the chain must never refuse an entry
-- because the schema lags behind core.
CREATE TABLE audit_log (
    org_id       BLOB    NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    at           INTEGER NOT NULL,
    actor_id     BLOB,
    action       TEXT    NOT NULL,
    entity_kind  TEXT    NOT NULL,
    entity_id    BLOB    NOT NULL,
    before_doc   TEXT,
    after_doc    TEXT,
    request_id   TEXT,
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    PRIMARY KEY (org_id, seq)
) STRICT;

-- Head of each org's event sequence.
CREATE TABLE event_heads (
    org_id  BLOB    NOT NULL PRIMARY KEY REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    seq     INTEGER NOT NULL CHECK (seq >= 0)
) STRICT;

-- The event outbox, numbered per org without gaps. kind is open (see audit_log).
CREATE TABLE events (
    org_id       BLOB    NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    seq          INTEGER NOT NULL CHECK (seq >= 1),
    kind         TEXT    NOT NULL,
    entity_kind  TEXT    NOT NULL,
    entity_id    BLOB    NOT NULL,
    actor_id     BLOB,
    audience     TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (org_id, seq)
) STRICT;

CREATE TABLE sites (
    org_id      BLOB    NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id          BLOB    NOT NULL,
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    code        TEXT    NOT NULL CHECK (length(code) BETWEEN 1 AND 16),
    kind        TEXT    NOT NULL CHECK (kind IN ('plant', 'warehouse', 'building', 'property', 'other')),
    time_zone   TEXT    NOT NULL,
    address     TEXT,
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT sites_code_unique UNIQUE (org_id, code)
) STRICT;

CREATE TABLE locations (
    org_id      BLOB    NOT NULL,
    id          BLOB    NOT NULL,
    site_id     BLOB    NOT NULL,
    parent_id   BLOB,
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    code        TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, parent_id) REFERENCES locations (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- list_locations (per site, by name).
CREATE INDEX locations_site_name ON locations (org_id, site_id, name);
-- location_path walks parents; this serves the reverse (children of a location) and FK checks.
CREATE INDEX locations_parent ON locations (org_id, parent_id);

CREATE TABLE users (
    org_id      BLOB    NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id          BLOB    NOT NULL,
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email       TEXT    NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- find_user_by_email and list_users (email order, keyset on email) use this index.
    CONSTRAINT users_email_unique UNIQUE (org_id, email)
) STRICT;

CREATE TABLE teams (
    org_id      BLOB    NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id          BLOB    NOT NULL,
    name        TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    site_id     BLOB,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE TABLE team_members (
    org_id    BLOB    NOT NULL,
    team_id   BLOB    NOT NULL,
    user_id   BLOB    NOT NULL,
    position  INTEGER NOT NULL CHECK (position >= 0),
    PRIMARY KEY (org_id, team_id, user_id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- teams_of_user.
CREATE INDEX team_members_user ON team_members (org_id, user_id);

CREATE TABLE custom_roles (
    org_id       BLOB    NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id           BLOB    NOT NULL,
    name         TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    description  TEXT,
    level        INTEGER NOT NULL CHECK (level BETWEEN 1 AND 89),
    permissions  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT custom_roles_name_unique UNIQUE (org_id, name)
) STRICT;

-- A grant names either a built-in role (role_builtin) or a custom role (role_id), never both.
-- sites is a JSON array of site ids, NULL for org scope.
CREATE TABLE role_grants (
    org_id        BLOB    NOT NULL,
    id            BLOB    NOT NULL,
    user_id       BLOB    NOT NULL,
    role_builtin  TEXT CHECK (role_builtin IN ('owner', 'admin', 'manager', 'technician',
                                               'storekeeper', 'contractor', 'requester', 'viewer')),
    role_id       BLOB,
    sites         TEXT,
    granted_by    BLOB,
    granted_at    INTEGER NOT NULL,
    PRIMARY KEY (org_id, id),
    CHECK ((role_builtin IS NULL) <> (role_id IS NULL)),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, role_id) REFERENCES custom_roles (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, granted_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- grants_of_user.
CREATE INDEX role_grants_user ON role_grants (org_id, user_id);

CREATE TABLE failure_codes (
    org_id       BLOB    NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id           BLOB    NOT NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('problem', 'cause', 'remedy')),
    code         TEXT    NOT NULL CHECK (length(code) BETWEEN 1 AND 16),
    description  TEXT    NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, id),
    -- list_failure_codes (by kind, code) also reads this index.
    CONSTRAINT failure_codes_code_unique UNIQUE (org_id, kind, code)
) STRICT;

CREATE TABLE assets (
    org_id          BLOB    NOT NULL,
    id              BLOB    NOT NULL,
    site_id         BLOB    NOT NULL,
    location_id     BLOB,
    parent_id       BLOB,
    name            TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    code            TEXT    NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
    category        TEXT,
    manufacturer    TEXT,
    model           TEXT,
    serial_number   TEXT,
    criticality     INTEGER NOT NULL CHECK (criticality BETWEEN 1 AND 5),
    state           TEXT    NOT NULL CHECK (state IN ('operating', 'idle', 'standby', 'degraded',
                                                      'down', 'retired')),
    specifications  TEXT    NOT NULL,
    custom_fields   TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- find_asset_by_code.
    CONSTRAINT assets_code_unique UNIQUE (org_id, code),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, parent_id) REFERENCES assets (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- list_assets: sort by name, id with keyset on (name, id).
CREATE INDEX assets_name ON assets (org_id, name, id);
-- list_assets parent / roots_only filters and the sub-asset CTE of list_work_orders.
CREATE INDEX assets_parent ON assets (org_id, parent_id);
-- list_assets site filter and asset visibility by site.
CREATE INDEX assets_site ON assets (org_id, site_id);
-- list_assets location filter.
CREATE INDEX assets_location ON assets (org_id, location_id);

CREATE TABLE requests (
    org_id            BLOB    NOT NULL,
    id                BLOB    NOT NULL,
    number            TEXT    NOT NULL,
    title             TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description       TEXT,
    site_id           BLOB    NOT NULL,
    location_id       BLOB,
    asset_id          BLOB,
    priority          TEXT    NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    status            TEXT    NOT NULL CHECK (status IN ('draft', 'submitted', 'approved',
                                                         'rejected', 'cancelled')),
    requested_by      BLOB    NOT NULL,
    work_order_id     BLOB,
    rejection_reason  TEXT,
    attachments       TEXT    NOT NULL,
    submitted_at      INTEGER,
    reviewed_by       BLOB,
    reviewed_at       INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT requests_number_unique UNIQUE (org_id, number),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, requested_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, reviewed_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- list_requests: newest first, keyset on (created_at, id).
CREATE INDEX requests_created ON requests (org_id, created_at, id);
-- list_requests status filter.
CREATE INDEX requests_status ON requests (org_id, status, created_at);
-- list_requests requested_by filter and Own visibility.
CREATE INDEX requests_requested_by ON requests (org_id, requested_by, created_at);
-- FK checks when a work order is deleted.
CREATE INDEX requests_work_order ON requests (org_id, work_order_id);

CREATE TABLE work_orders (
    org_id            BLOB    NOT NULL,
    id                BLOB    NOT NULL,
    number            TEXT    NOT NULL,
    title             TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description       TEXT    CHECK (length(description) <= 5000),
    wo_type           TEXT    NOT NULL CHECK (wo_type IN ('corrective', 'preventive', 'inspection',
                                                          'emergency', 'project')),
    priority          TEXT    NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    priority_rank     INTEGER NOT NULL,
    category          TEXT,
    status            TEXT    NOT NULL CHECK (status IN ('requested', 'open', 'assigned',
                                                         'in_progress', 'on_hold', 'completed',
                                                         'verified', 'closed', 'cancelled')),
    site_id           BLOB    NOT NULL,
    location_id       BLOB,
    asset_id          BLOB,
    team_id           BLOB,
    requested_by      BLOB,
    created_by        BLOB,
    request_id        BLOB,
    due_at            INTEGER,
    estimated_hours   REAL    CHECK (estimated_hours >= 0),
    actual_start      INTEGER,
    actual_end        INTEGER,
    verified_by       BLOB,
    verified_at       INTEGER,
    closed_at         INTEGER,
    completion_notes  TEXT,
    failure_problem   TEXT,
    failure_cause     TEXT,
    failure_remedy    TEXT,
    attachments       TEXT    NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT work_orders_number_unique UNIQUE (org_id, number),
    -- priority_rank is Priority::rank(), kept for sorting and indexing.
    CHECK (priority_rank = CASE priority WHEN 'low' THEN 1 WHEN 'medium' THEN 2
                                         WHEN 'high' THEN 3 WHEN 'urgent' THEN 4 END),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, requested_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, request_id) REFERENCES requests (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, verified_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- list_work_orders default sort (created desc) and keyset on (created_at, id).
CREATE INDEX work_orders_created ON work_orders (org_id, created_at, id);
-- list_work_orders status filter, newest first; awaiting_confirmation (status = 'completed').
CREATE INDEX work_orders_status ON work_orders (org_id, status, created_at);
-- list_work_orders site filter and site-scoped visibility, with the status filter.
CREATE INDEX work_orders_site_status ON work_orders (org_id, site_id, status);
-- list_work_orders sort by due date and due_from/due_to ranges.
CREATE INDEX work_orders_due ON work_orders (org_id, due_at, id);
-- list_work_orders sort by priority and the priority filter.
CREATE INDEX work_orders_priority ON work_orders (org_id, priority_rank, id);
-- list_work_orders sort by last change.
CREATE INDEX work_orders_updated ON work_orders (org_id, updated_at, id);
-- list_work_orders asset filter (with or without sub-assets).
CREATE INDEX work_orders_asset ON work_orders (org_id, asset_id);
-- list_work_orders requested_by filter and Own visibility.
CREATE INDEX work_orders_requested_by ON work_orders (org_id, requested_by);
-- list_work_orders team filter and Assigned visibility through the actor's teams.
CREATE INDEX work_orders_team ON work_orders (org_id, team_id);
-- list_work_orders location filter.
CREATE INDEX work_orders_location ON work_orders (org_id, location_id);
-- FK checks when a request is referenced.
CREATE INDEX work_orders_request ON work_orders (org_id, request_id);

CREATE TABLE work_order_assignees (
    org_id         BLOB    NOT NULL,
    work_order_id  BLOB    NOT NULL,
    user_id        BLOB    NOT NULL,
    position       INTEGER NOT NULL CHECK (position >= 0),
    PRIMARY KEY (org_id, work_order_id, user_id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- list_work_orders assignee filter and Assigned visibility (EXISTS by user).
CREATE INDEX work_order_assignees_user ON work_order_assignees (org_id, user_id, work_order_id);

CREATE TABLE work_order_timeline (
    org_id         BLOB    NOT NULL,
    id             BLOB    NOT NULL,
    work_order_id  BLOB    NOT NULL,
    from_status    TEXT    CHECK (from_status IN ('requested', 'open', 'assigned', 'in_progress',
                                                  'on_hold', 'completed', 'verified', 'closed',
                                                  'cancelled')),
    to_status      TEXT    NOT NULL CHECK (to_status IN ('requested', 'open', 'assigned',
                                                         'in_progress', 'on_hold', 'completed',
                                                         'verified', 'closed', 'cancelled')),
    actor_id       BLOB,
    reason         TEXT,
    at             INTEGER NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, actor_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- timeline (per work order, by time).
CREATE INDEX work_order_timeline_wo ON work_order_timeline (org_id, work_order_id, at);

CREATE TABLE work_order_comments (
    org_id         BLOB    NOT NULL,
    id             BLOB    NOT NULL,
    work_order_id  BLOB    NOT NULL,
    author_id      BLOB,
    body           TEXT    NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    internal       INTEGER NOT NULL CHECK (internal IN (0, 1)),
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, author_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- comments (per work order, oldest first).
CREATE INDEX work_order_comments_wo ON work_order_comments (org_id, work_order_id, created_at);

CREATE TABLE checklist_items (
    org_id         BLOB    NOT NULL,
    id             BLOB    NOT NULL,
    work_order_id  BLOB    NOT NULL,
    position       INTEGER NOT NULL CHECK (position >= 0),
    label          TEXT    NOT NULL CHECK (length(label) BETWEEN 1 AND 500),
    mandatory      INTEGER NOT NULL CHECK (mandatory IN (0, 1)),
    result         TEXT    CHECK (result IN ('done', 'skipped', 'issue')),
    notes          TEXT,
    completed_by   BLOB,
    completed_at   INTEGER,
    version        INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, completed_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- checklist (per work order, by position).
CREATE INDEX checklist_items_wo ON checklist_items (org_id, work_order_id, position);

CREATE TABLE labor_entries (
    org_id         BLOB    NOT NULL,
    id             BLOB    NOT NULL,
    work_order_id  BLOB    NOT NULL,
    user_id        BLOB    NOT NULL,
    started_at     INTEGER NOT NULL,
    ended_at       INTEGER,
    minutes        INTEGER NOT NULL CHECK (minutes > 0),
    category       TEXT    NOT NULL CHECK (category IN ('regular', 'overtime', 'travel', 'standby')),
    notes          TEXT,
    created_by     BLOB,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (org_id, id),
    CHECK (ended_at IS NULL OR ended_at > started_at),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- labor (per work order, by start time).
CREATE INDEX labor_entries_wo ON labor_entries (org_id, work_order_id, started_at);
