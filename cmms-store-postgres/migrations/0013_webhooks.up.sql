-- 0013_webhooks: webhook subscriptions, their delivery cursors and the delivery log. A
-- subscription is its own outbox consumer: webhook_cursors.last_seq is its cursor, moved in the
-- same transaction as the log row of the delivery that moved it; next_attempt_at + lease_id are
-- the claim (versioned updates) and the retry time. The secret signs requests, so it is stored
-- as is (and never returned by the API). (0011 was left unused: 0012_attachments landed
-- first.) Same conventions as 0001_init.

CREATE TABLE webhooks (
    org_id           uuid        NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id               uuid        NOT NULL,
    url              text        NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    event_types      jsonb       NOT NULL,
    description      text        NOT NULL CHECK (length(description) <= 500),
    secret           text        NOT NULL CHECK (secret LIKE 'whsec\_%'),
    active           boolean     NOT NULL,
    disabled_at      timestamptz,
    created_by       uuid,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    version          bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id)
);

-- The delivery state, one row per subscription (id = the subscription's id), versioned apart
-- from it so deliveries never conflict with an admin's changes.
CREATE TABLE webhook_cursors (
    org_id           uuid        NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id               uuid        NOT NULL,
    last_seq         bigint      NOT NULL CHECK (last_seq >= 0),
    failure_streak   bigint      NOT NULL CHECK (failure_streak >= 0),
    next_attempt_at  timestamptz NOT NULL,
    lease_id         uuid,
    last_error       text,
    updated_at       timestamptz NOT NULL,
    version          bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, id) REFERENCES webhooks (org_id, id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE webhook_deliveries (
    org_id            uuid        NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id                uuid        NOT NULL,
    webhook_id        uuid        NOT NULL,
    event_seq         bigint      NOT NULL CHECK (event_seq >= 0),
    event_type        text        NOT NULL,
    message_id        text        NOT NULL,
    attempt           bigint      NOT NULL CHECK (attempt >= 1),
    ok                boolean     NOT NULL,
    status_code       bigint,
    latency_ms        bigint      NOT NULL CHECK (latency_ms >= 0),
    response_excerpt  text        NOT NULL,
    error             text,
    at                timestamptz NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, webhook_id) REFERENCES webhooks (org_id, id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
);
-- The log of one subscription, newest first; attempts at one event.
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (org_id, webhook_id, id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (org_id, webhook_id, event_seq);

GRANT SELECT, INSERT, UPDATE, DELETE ON webhooks, webhook_cursors, webhook_deliveries TO cmms_app;

ALTER TABLE webhooks ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhooks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON webhooks
    USING (org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid);

ALTER TABLE webhook_cursors ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_cursors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON webhook_cursors
    USING (org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid);

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON webhook_deliveries
    USING (org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid);
