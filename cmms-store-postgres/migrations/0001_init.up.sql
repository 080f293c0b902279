-- 0001_init: the first cmms schema (organizations, sites, users, assets, work orders, requests,
-- audit chain, event outbox). Table names, column names, constraints and indexes mirror
-- cmms-store-sqlite/migrations/0001_init.sql; only the types are PostgreSQL's.
--
-- Conventions:
--   * ids are uuid; timestamps are timestamptz (microsecond precision, like SQLite's integer
--     microseconds); JSON documents are jsonb; booleans are boolean; integers are bigint;
--     closed vocabularies are text with a CHECK listing their wire names.
--   * text columns that lists sort or page by are COLLATE "C": byte order, the same order as
--     SQLite's BINARY collation, whatever the database's locale.
--   * every tenant table has org_id and PRIMARY KEY (org_id, id); references are composite
--     (org_id, x_id) -> parent (org_id, id), so a row can never point into another tenant.
--   * foreign keys are checked at COMMIT (DEFERRABLE INITIALLY DEFERRED): a changeset applies
--     its plain writes before the numbered ones, so a child may be written before its parent
--     within one commit; a dangling reference still fails the whole commit.
--   * row-level security (end of this file) is ENABLEd and FORCEd on every tenant table and
--     keyed on the transaction-local setting cmms.org_id, which the store sets first in every
--     transaction. The store runs its queries as role cmms_app, which owns nothing and is not
--     a superuser, so the policies really apply.

CREATE TABLE orgs (
    id          uuid        NOT NULL PRIMARY KEY,
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    settings    jsonb       NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint      NOT NULL CHECK (version >= 1)
);

-- Per-org counters for human numbers (key such as 'work_order:2026').
CREATE TABLE org_counters (
    org_id  uuid   NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    key     text   NOT NULL,
    value   bigint NOT NULL CHECK (value >= 1),
    PRIMARY KEY (org_id, key)
);

-- Head of each org's audit hash chain: touched last in every commit that appends audit entries.
CREATE TABLE audit_heads (
    org_id  uuid   NOT NULL PRIMARY KEY REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    seq     bigint NOT NULL CHECK (seq >= 0),
    hash    text   NOT NULL
);

-- The append-only audit chain. entity_kind and action are open vocabularies (they grow with
-- every aggregate core adds), so they carry no CHECK: the chain must never refuse an entry
-- because the schema lags behind core. before_doc and after_doc are json, not jsonb: the chain
-- is verified by re-hashing them, so they must come back exactly as hashed (jsonb would turn
-- -0.0 into 0.0, like SQLite's TEXT keeps them verbatim).
CREATE TABLE audit_log (
    org_id       uuid        NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    seq          bigint      NOT NULL CHECK (seq >= 1),
    at           timestamptz NOT NULL,
    actor_id     uuid,
    action       text        NOT NULL,
    entity_kind  text        NOT NULL,
    entity_id    uuid        NOT NULL,
    before_doc   json,
    after_doc    json,
    request_id   text,
    prev_hash    text        NOT NULL,
    hash         text        NOT NULL,
    PRIMARY KEY (org_id, seq)
);

-- Head of each org's event sequence.
CREATE TABLE event_heads (
    org_id  uuid   NOT NULL PRIMARY KEY REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    seq     bigint NOT NULL CHECK (seq >= 0)
);

-- The event outbox, numbered per org without gaps. kind is open (see audit_log).
CREATE TABLE events (
    org_id       uuid        NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    seq          bigint      NOT NULL CHECK (seq >= 1),
    kind         text        NOT NULL,
    entity_kind  text        NOT NULL,
    entity_id    uuid        NOT NULL,
    actor_id     uuid,
    audience     jsonb       NOT NULL,
    payload      jsonb       NOT NULL,
    at           timestamptz NOT NULL,
    PRIMARY KEY (org_id, seq)
);

CREATE TABLE sites (
    org_id      uuid        NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id          uuid        NOT NULL,
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    code        text        COLLATE "C" NOT NULL CHECK (length(code) BETWEEN 1 AND 16),
    kind        text        NOT NULL CHECK (kind IN ('plant', 'warehouse', 'building', 'property', 'other')),
    time_zone   text        NOT NULL,
    address     text,
    active      boolean     NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- list_sites (by code) also reads this index.
    CONSTRAINT sites_code_unique UNIQUE (org_id, code)
);

CREATE TABLE locations (
    org_id      uuid        NOT NULL,
    id          uuid        NOT NULL,
    site_id     uuid        NOT NULL,
    parent_id   uuid,
    name        text        COLLATE "C" NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    code        text,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, parent_id) REFERENCES locations (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- list_locations (per site, by name).
CREATE INDEX locations_site_name ON locations (org_id, site_id, name);
-- location_path walks parents; this serves the reverse (children of a location) and FK checks.
CREATE INDEX locations_parent ON locations (org_id, parent_id);

CREATE TABLE users (
    org_id      uuid        NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id          uuid        NOT NULL,
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    email       text        COLLATE "C" NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    active      boolean     NOT NULL,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- find_user_by_email and list_users (email order, keyset on email) use this index.
    CONSTRAINT users_email_unique UNIQUE (org_id, email)
);

CREATE TABLE teams (
    org_id      uuid        NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id          uuid        NOT NULL,
    name        text        COLLATE "C" NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    site_id     uuid,
    created_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    version     bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE team_members (
    org_id    uuid   NOT NULL,
    team_id   uuid   NOT NULL,
    user_id   uuid   NOT NULL,
    position  bigint NOT NULL CHECK (position >= 0),
    PRIMARY KEY (org_id, team_id, user_id),
    FOREIGN KEY (org_id, team_id) REFERENCES teams (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- teams_of_user.
CREATE INDEX team_members_user ON team_members (org_id, user_id);

CREATE TABLE custom_roles (
    org_id       uuid        NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id           uuid        NOT NULL,
    name         text        COLLATE "C" NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
    description  text,
    level        bigint      NOT NULL CHECK (level BETWEEN 1 AND 89),
    permissions  jsonb       NOT NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    version      bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- list_roles (by name) also reads this index.
    CONSTRAINT custom_roles_name_unique UNIQUE (org_id, name)
);

-- A grant names either a built-in role (role_builtin) or a custom role (role_id), never both.
-- sites is a JSON array of site ids, NULL for org scope.
CREATE TABLE role_grants (
    org_id        uuid        NOT NULL,
    id            uuid        NOT NULL,
    user_id       uuid        NOT NULL,
    role_builtin  text CHECK (role_builtin IN ('owner', 'admin', 'manager', 'technician',
                                               'storekeeper', 'contractor', 'requester', 'viewer')),
    role_id       uuid,
    sites         jsonb,
    granted_by    uuid,
    granted_at    timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    CHECK ((role_builtin IS NULL) <> (role_id IS NULL)),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, role_id) REFERENCES custom_roles (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, granted_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- grants_of_user.
CREATE INDEX role_grants_user ON role_grants (org_id, user_id);

CREATE TABLE failure_codes (
    org_id       uuid        NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id           uuid        NOT NULL,
    kind         text        NOT NULL CHECK (kind IN ('problem', 'cause', 'remedy')),
    code         text        COLLATE "C" NOT NULL CHECK (length(code) BETWEEN 1 AND 16),
    description  text        NOT NULL CHECK (length(description) BETWEEN 1 AND 500),
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    -- list_failure_codes (by kind, code) also reads this index.
    CONSTRAINT failure_codes_code_unique UNIQUE (org_id, kind, code)
);

CREATE TABLE assets (
    org_id          uuid        NOT NULL,
    id              uuid        NOT NULL,
    site_id         uuid        NOT NULL,
    location_id     uuid,
    parent_id       uuid,
    name            text        COLLATE "C" NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    code            text        COLLATE "C" NOT NULL CHECK (length(code) BETWEEN 1 AND 64),
    category        text,
    manufacturer    text,
    model           text,
    serial_number   text,
    criticality     bigint      NOT NULL CHECK (criticality BETWEEN 1 AND 5),
    state           text        NOT NULL CHECK (state IN ('operating', 'idle', 'standby', 'degraded',
                                                          'down', 'retired')),
    specifications  jsonb       NOT NULL,
    custom_fields   jsonb       NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    version         bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- find_asset_by_code.
    CONSTRAINT assets_code_unique UNIQUE (org_id, code),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, parent_id) REFERENCES assets (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- list_assets: sort by name, id with keyset on (name, id).
CREATE INDEX assets_name ON assets (org_id, name, id);
-- list_assets parent / roots_only filters and the sub-asset CTE of list_work_orders.
CREATE INDEX assets_parent ON assets (org_id, parent_id);
-- list_assets site filter and asset visibility by site.
CREATE INDEX assets_site ON assets (org_id, site_id);
-- list_assets location filter.
CREATE INDEX assets_location ON assets (org_id, location_id);

CREATE TABLE requests (
    org_id            uuid        NOT NULL,
    id                uuid        NOT NULL,
    number            text        NOT NULL,
    title             text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description       text,
    site_id           uuid        NOT NULL,
    location_id       uuid,
    asset_id          uuid,
    priority          text        NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    status            text        NOT NULL CHECK (status IN ('draft', 'submitted', 'approved',
                                                             'rejected', 'cancelled')),
    requested_by      uuid        NOT NULL,
    work_order_id     uuid,
    rejection_reason  text,
    attachments       jsonb       NOT NULL,
    submitted_at      timestamptz,
    reviewed_by       uuid,
    reviewed_at       timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT requests_number_unique UNIQUE (org_id, number),
    FOREIGN KEY (org_id, site_id) REFERENCES sites (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, location_id) REFERENCES locations (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, asset_id) REFERENCES assets (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, requested_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, reviewed_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
    -- (org_id, work_order_id) -> work_orders is added below, once work_orders exists.
);
-- list_requests: newest first, keyset on (created_at, id).
CREATE INDEX requests_created ON requests (org_id, created_at, id);
-- list_requests status filter.
CREATE INDEX requests_status ON requests (org_id, status, created_at);
-- list_requests requested_by filter and Own visibility.
CREATE INDEX requests_requested_by ON requests (org_id, requested_by, created_at);
-- FK checks when a work order is deleted.
CREATE INDEX requests_work_order ON requests (org_id, work_order_id);

CREATE TABLE work_orders (
    org_id            uuid        NOT NULL,
    id                uuid        NOT NULL,
    number            text        NOT NULL,
    title             text        NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description       text        CHECK (length(description) <= 5000),
    wo_type           text        NOT NULL CHECK (wo_type IN ('corrective', 'preventive', 'inspection',
                                                              'emergency', 'project')),
    priority          text        NOT NULL CHECK (priority IN ('low', 'medium', 'high', 'urgent')),
    priority_rank     bigint      NOT NULL,
    category          text,
    status            text        NOT NULL CHECK (status IN ('requested', 'open', 'assigned',
                                                             'in_progress', 'on_hold', 'completed',
                                                             'verified', 'closed', 'cancelled')),
    site_id           uuid        NOT NULL,
    location_id       uuid,
    asset_id          uuid,
    team_id           uuid,
    requested_by      uuid,
    created_by        uuid,
    request_id        uuid,
    due_at            timestamptz,
    estimated_hours   double precision CHECK (estimated_hours >= 0),
    actual_start      timestamptz,
    actual_end        timestamptz,
    verified_by       uuid,
    verified_at       timestamptz,
    closed_at         timestamptz,
    completion_notes  text,
    failure_problem   text,
    failure_cause     text,
    failure_remedy    text,
    attachments       jsonb       NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           bigint      NOT NULL CHECK (version >= 1),
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
);
-- requests and work_orders reference each other (SQLite declares this FK inline; PostgreSQL
-- needs the referenced table to exist first).
ALTER TABLE requests ADD FOREIGN KEY (org_id, work_order_id)
    REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED;
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
    org_id         uuid   NOT NULL,
    work_order_id  uuid   NOT NULL,
    user_id        uuid   NOT NULL,
    position       bigint NOT NULL CHECK (position >= 0),
    PRIMARY KEY (org_id, work_order_id, user_id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- list_work_orders assignee filter and Assigned visibility (EXISTS by user).
CREATE INDEX work_order_assignees_user ON work_order_assignees (org_id, user_id, work_order_id);

CREATE TABLE work_order_timeline (
    org_id         uuid        NOT NULL,
    id             uuid        NOT NULL,
    work_order_id  uuid        NOT NULL,
    from_status    text        CHECK (from_status IN ('requested', 'open', 'assigned', 'in_progress',
                                                      'on_hold', 'completed', 'verified', 'closed',
                                                      'cancelled')),
    to_status      text        NOT NULL CHECK (to_status IN ('requested', 'open', 'assigned',
                                                             'in_progress', 'on_hold', 'completed',
                                                             'verified', 'closed', 'cancelled')),
    actor_id       uuid,
    reason         text,
    at             timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, actor_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- timeline (per work order, by time).
CREATE INDEX work_order_timeline_wo ON work_order_timeline (org_id, work_order_id, at);

CREATE TABLE work_order_comments (
    org_id         uuid        NOT NULL,
    id             uuid        NOT NULL,
    work_order_id  uuid        NOT NULL,
    author_id      uuid,
    body           text        NOT NULL CHECK (length(body) BETWEEN 1 AND 5000),
    internal       boolean     NOT NULL,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, author_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- comments (per work order, oldest first).
CREATE INDEX work_order_comments_wo ON work_order_comments (org_id, work_order_id, created_at);

CREATE TABLE checklist_items (
    org_id         uuid        NOT NULL,
    id             uuid        NOT NULL,
    work_order_id  uuid        NOT NULL,
    position       bigint      NOT NULL CHECK (position >= 0),
    label          text        NOT NULL CHECK (length(label) BETWEEN 1 AND 500),
    mandatory      boolean     NOT NULL,
    result         text        CHECK (result IN ('done', 'skipped', 'issue')),
    notes          text,
    completed_by   uuid,
    completed_at   timestamptz,
    version        bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, completed_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- checklist (per work order, by position).
CREATE INDEX checklist_items_wo ON checklist_items (org_id, work_order_id, position);

CREATE TABLE labor_entries (
    org_id         uuid        NOT NULL,
    id             uuid        NOT NULL,
    work_order_id  uuid        NOT NULL,
    user_id        uuid        NOT NULL,
    started_at     timestamptz NOT NULL,
    ended_at       timestamptz,
    minutes        bigint      NOT NULL CHECK (minutes > 0),
    category       text        NOT NULL CHECK (category IN ('regular', 'overtime', 'travel', 'standby')),
    notes          text,
    created_by     uuid,
    created_at     timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    CHECK (ended_at IS NULL OR ended_at > started_at),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- labor (per work order, by start time).
CREATE INDEX labor_entries_wo ON labor_entries (org_id, work_order_id, started_at);

-- ---------------------------------------------------------------------------------------------
-- The application role and row-level security.
-- ---------------------------------------------------------------------------------------------

-- cmms_app: the role the store's queries run as (the pool runs SET ROLE cmms_app on every new
-- connection). It cannot log in, owns no table and is no superuser, so the policies below
-- apply to it. Roles are cluster-wide: another database on the server may have created it.
DO $$
BEGIN
    -- Two databases of one server migrating at the same moment may both try to create the
    -- role: the loser's CREATE waits for the winner and then fails; either way the role exists.
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cmms_app') THEN
        BEGIN
            CREATE ROLE cmms_app NOLOGIN;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    -- The user migrating (the tables' owner, who also logs in for the store) must be able to
    -- SET ROLE cmms_app. Superusers always can. From PostgreSQL 16 membership has options, and a
    -- CREATEROLE user's membership in a role it created has only ADMIN: ask for SET itself.
    IF current_setting('server_version_num')::int >= 160000 THEN
        IF NOT pg_has_role(current_user, 'cmms_app', 'SET') THEN
            BEGIN
                EXECUTE format('GRANT cmms_app TO %I WITH SET TRUE, INHERIT FALSE', current_user);
            EXCEPTION WHEN insufficient_privilege THEN
                RAISE EXCEPTION 'cmms: the migrating user % may not SET ROLE cmms_app', current_user
                    USING HINT = format('as a superuser or the role''s creator run: GRANT cmms_app TO %I WITH SET TRUE', current_user);
            END;
        END IF;
    ELSIF NOT pg_has_role(current_user, 'cmms_app', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT cmms_app TO %I', current_user);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'cmms: the migrating user % may not become a member of cmms_app', current_user
                USING HINT = format('as a superuser run: GRANT cmms_app TO %I', current_user);
        END;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA public TO cmms_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON
    org_counters, sites, locations, users, teams, team_members, custom_roles, role_grants,
    failure_codes, assets, requests, work_orders, work_order_assignees, work_order_timeline,
    work_order_comments, checklist_items, labor_entries
    TO cmms_app;
-- The audit chain and the event outbox are append-only for the application: it may add entries
-- and move the per-org heads, never change or delete an entry. Organizations are never deleted.
GRANT SELECT, INSERT ON audit_log, events TO cmms_app;
GRANT SELECT, INSERT, UPDATE ON orgs, audit_heads, event_heads TO cmms_app;
-- schema_version() reads sqlx's bookkeeping table as cmms_app. (The down migration leaves this
-- grant: the table outlives the schema.)
GRANT SELECT ON _sqlx_migrations TO cmms_app;

-- One policy per tenant table: rows of the organization named by the transaction-local setting
-- cmms.org_id, for reading (USING) and writing (WITH CHECK). NULLIF: once a transaction that
-- set it ends, the session's value is '' (not NULL), which must match nothing rather than fail
-- the uuid cast. With no setting at all, current_setting(..., true) is NULL: nothing matches.
ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
ALTER TABLE orgs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON orgs
    USING (id = NULLIF(current_setting('cmms.org_id', true), '')::uuid)
    WITH CHECK (id = NULLIF(current_setting('cmms.org_id', true), '')::uuid);

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'org_counters', 'audit_heads', 'audit_log', 'event_heads', 'events', 'sites',
        'locations', 'users', 'teams', 'team_members', 'custom_roles', 'role_grants',
        'failure_codes', 'assets', 'requests', 'work_orders', 'work_order_assignees',
        'work_order_timeline', 'work_order_comments', 'checklist_items', 'labor_entries'
    ] LOOP
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

-- list_org_ids is the one read across tenants (background jobs visit every organization). It
-- goes through this function, which runs as its owner (the migrating user) and returns ids
-- only. FORCE applies the policies to the owner too, so a second policy lets the owner role --
-- and only it, never cmms_app -- read every org row; superusers bypass RLS anyway.
DO $$
BEGIN
    EXECUTE format('CREATE POLICY owner_lists_orgs ON orgs FOR SELECT TO %I USING (true)',
                   current_user);
END
$$;

CREATE FUNCTION cmms_org_ids() RETURNS SETOF uuid
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = public, pg_temp
    AS $$ SELECT id FROM orgs ORDER BY id $$;
REVOKE ALL ON FUNCTION cmms_org_ids() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cmms_org_ids() TO cmms_app;
