-- 0013_webhooks: webhook subscriptions, their delivery cursors and the delivery log. A
-- subscription is its own outbox consumer: webhook_cursors.last_seq is its cursor, moved in the
-- same transaction as the log row of the delivery that moved it; next_attempt_at + lease_id are
-- the claim (versioned updates) and the retry time. The secret signs requests, so it is stored
-- as is (and never returned by the API). (0011 was left unused: 0012_attachments landed
-- first.) Same conventions as 0001_init.

CREATE TABLE webhooks (
    org_id           BLOB    NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id               BLOB    NOT NULL,
    url              TEXT    NOT NULL CHECK (length(url) BETWEEN 1 AND 2000),
    event_types      TEXT    NOT NULL,
    description      TEXT    NOT NULL CHECK (length(description) <= 500),
    secret           TEXT    NOT NULL CHECK (substr(secret, 1, 6) = 'whsec_'),
    active           INTEGER NOT NULL CHECK (active IN (0, 1)),
    disabled_at      INTEGER,
    created_by       BLOB,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    version          INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id)
) STRICT;

-- The delivery state, one row per subscription (id = the subscription's id), versioned apart
-- from it so deliveries never conflict with an admin's changes.
CREATE TABLE webhook_cursors (
    org_id           BLOB    NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id               BLOB    NOT NULL,
    last_seq         INTEGER NOT NULL CHECK (last_seq >= 0),
    failure_streak   INTEGER NOT NULL CHECK (failure_streak >= 0),
    next_attempt_at  INTEGER NOT NULL,
    lease_id         BLOB,
    last_error       TEXT,
    updated_at       INTEGER NOT NULL,
    version          INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, id) REFERENCES webhooks (org_id, id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE TABLE webhook_deliveries (
    org_id            BLOB    NOT NULL REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED,
    id                BLOB    NOT NULL,
    webhook_id        BLOB    NOT NULL,
    event_seq         INTEGER NOT NULL CHECK (event_seq >= 0),
    event_type        TEXT    NOT NULL,
    message_id        TEXT    NOT NULL,
    attempt           INTEGER NOT NULL CHECK (attempt >= 1),
    ok                INTEGER NOT NULL CHECK (ok IN (0, 1)),
    status_code       INTEGER,
    latency_ms        INTEGER NOT NULL CHECK (latency_ms >= 0),
    response_excerpt  TEXT    NOT NULL,
    error             TEXT,
    at                INTEGER NOT NULL,
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, webhook_id) REFERENCES webhooks (org_id, id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- The log of one subscription, newest first; attempts at one event.
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (org_id, webhook_id, id);
CREATE INDEX webhook_deliveries_by_event ON webhook_deliveries (org_id, webhook_id, event_seq);
