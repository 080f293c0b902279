-- 0009_notifications: in-app notifications per user, channel preferences (per user, and the
-- organization's defaults in the row whose id is the organization's id), work-order watchers,
-- and the notification consumer's cursor per organization (mirrors SQLite's
-- 0009_notifications.sql).

CREATE TABLE notifications (
    org_id       uuid         NOT NULL,
    id           uuid         NOT NULL,
    user_id      uuid         NOT NULL,
    kind         text         NOT NULL,
    title        text         NOT NULL,
    body         text         NOT NULL,
    entity_kind  text         NOT NULL,
    entity_id    uuid         NOT NULL,
    event_seq    bigint       NOT NULL CHECK (event_seq >= 1),
    created_at   timestamptz  NOT NULL,
    read_at      timestamptz,
    version      bigint       NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- One notification per event and recipient, whatever a consumer does.
    CONSTRAINT notifications_event_user_unique UNIQUE (org_id, event_seq, user_id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- A user's list, newest first; their unread ones.
CREATE INDEX notifications_user ON notifications (org_id, user_id, id);
CREATE INDEX notifications_unread ON notifications (org_id, user_id, id) WHERE read_at IS NULL;

CREATE TABLE notification_preferences (
    org_id      uuid         NOT NULL,
    id          uuid         NOT NULL,
    channels    jsonb        NOT NULL,
    updated_at  timestamptz  NOT NULL,
    version     bigint       NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id)
);

CREATE TABLE work_order_watchers (
    org_id         uuid         NOT NULL,
    id             uuid         NOT NULL,
    work_order_id  uuid         NOT NULL,
    user_id        uuid         NOT NULL,
    created_at     timestamptz  NOT NULL,
    PRIMARY KEY (org_id, id),
    CONSTRAINT work_order_watchers_unique UNIQUE (org_id, work_order_id, user_id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE notification_cursors (
    org_id        uuid         NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id            uuid         NOT NULL CHECK (id = org_id),
    last_seq      bigint       NOT NULL CHECK (last_seq >= 0),
    lease_holder  text,
    lease_until   timestamptz,
    updated_at    timestamptz  NOT NULL,
    version       bigint       NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id)
);
-- Organizations that exist already start after their last event: an upgrade does not notify
-- anyone about history. (Before row-level security is on: this runs as the owner.)
INSERT INTO notification_cursors (org_id, id, last_seq, updated_at, version)
    SELECT org_id, org_id, seq, now(), 1 FROM event_heads;

GRANT SELECT, INSERT, UPDATE, DELETE ON notifications, notification_preferences, work_order_watchers, notification_cursors
    TO cmms_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['notifications', 'notification_preferences', 'work_order_watchers', 'notification_cursors'] LOOP
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
