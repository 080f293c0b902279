-- 0012_attachments: files attached to work orders, requests, assets, checklist items and parts.
-- The bytes live in an object store (cmms-files); these tables hold the metadata. One upload is
-- one attachment_contents row under its own key; a request's approval adds work-order rows
-- pointing at the same content and counts them in `refs` (versioned, so racing removals retry).
-- attachment_usage is one versioned row per organization: uploads racing for the quota conflict.

CREATE TABLE attachment_contents (
    org_id       uuid         NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id           uuid         NOT NULL,
    content_key  text         NOT NULL CHECK (length(content_key) BETWEEN 1 AND 1000),
    size_bytes   bigint       NOT NULL CHECK (size_bytes >= 0),
    sha256       text         NOT NULL CHECK (length(sha256) = 64),
    refs         bigint       NOT NULL CHECK (refs >= 1),
    created_at   timestamptz  NOT NULL,
    version      bigint       NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CONSTRAINT attachment_contents_key_unique UNIQUE (org_id, content_key)
);

-- The entity is one of several tables (entity_type), so it has no foreign key; the content has.
CREATE TABLE attachments (
    org_id        uuid         NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id            uuid         NOT NULL,
    entity_type   text         NOT NULL CHECK (entity_type IN ('work_order', 'request', 'asset', 'checklist_item', 'part')),
    entity_id     uuid         NOT NULL,
    name          text         NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    content_type  text         NOT NULL CHECK (length(content_type) BETWEEN 1 AND 255),
    size_bytes    bigint       NOT NULL CHECK (size_bytes >= 0),
    sha256        text         NOT NULL CHECK (length(sha256) = 64),
    content_id    uuid         NOT NULL,
    content_key   text         NOT NULL,
    uploaded_by   uuid,
    created_at    timestamptz  NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, content_id) REFERENCES attachment_contents (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, uploaded_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX attachments_entity ON attachments (org_id, entity_id, created_at, id);
CREATE INDEX attachments_content ON attachments (org_id, content_id);

CREATE TABLE attachment_usage (
    org_id   uuid    NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id       uuid    NOT NULL CHECK (id = org_id),
    bytes    bigint  NOT NULL CHECK (bytes >= 0),
    files    bigint  NOT NULL CHECK (files >= 0),
    version  bigint  NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON attachment_contents, attachments, attachment_usage
    TO cmms_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['attachment_contents', 'attachments', 'attachment_usage'] LOOP
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
