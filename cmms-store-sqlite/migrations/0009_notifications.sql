-- 0009_notifications: in-app notifications per user, channel preferences (per user, and the
-- organization's defaults in the row whose id is the organization's id), work-order watchers,
-- and the notification consumer's cursor per organization.

CREATE TABLE notifications (
    org_id       BLOB     NOT NULL,
    id           BLOB     NOT NULL,
    user_id      BLOB     NOT NULL,
    kind         TEXT     NOT NULL,
    title        TEXT     NOT NULL,
    body         TEXT     NOT NULL,
    entity_kind  TEXT     NOT NULL,
    entity_id    BLOB     NOT NULL,
    event_seq    INTEGER  NOT NULL CHECK (event_seq >= 1),
    created_at   INTEGER  NOT NULL,
    read_at      INTEGER,
    version      INTEGER  NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    -- One notification per event and recipient, whatever a consumer does.
    CONSTRAINT notifications_event_user_unique UNIQUE (org_id, event_seq, user_id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- A user's list, newest first; their unread ones.
CREATE INDEX notifications_user ON notifications (org_id, user_id, id);
CREATE INDEX notifications_unread ON notifications (org_id, user_id, id) WHERE read_at IS NULL;

CREATE TABLE notification_preferences (
    org_id      BLOB     NOT NULL,
    id          BLOB     NOT NULL,
    channels    TEXT     NOT NULL,
    updated_at  INTEGER  NOT NULL,
    version     INTEGER  NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id)
) STRICT;

CREATE TABLE work_order_watchers (
    org_id         BLOB     NOT NULL,
    id             BLOB     NOT NULL,
    work_order_id  BLOB     NOT NULL,
    user_id        BLOB     NOT NULL,
    created_at     INTEGER  NOT NULL,
    PRIMARY KEY (org_id, id),
    CONSTRAINT work_order_watchers_unique UNIQUE (org_id, work_order_id, user_id),
    FOREIGN KEY (org_id, work_order_id) REFERENCES work_orders (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE TABLE notification_cursors (
    org_id        BLOB     NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id            BLOB     NOT NULL CHECK (id = org_id),
    last_seq      INTEGER  NOT NULL CHECK (last_seq >= 0),
    lease_holder  TEXT,
    lease_until   INTEGER,
    updated_at    INTEGER  NOT NULL,
    version       INTEGER  NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id)
) STRICT;
-- Organizations that exist already start after their last event: an upgrade does not notify
-- anyone about history.
INSERT INTO notification_cursors (org_id, id, last_seq, updated_at, version)
    SELECT org_id, org_id, seq, CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER), 1
    FROM event_heads;
