-- 0010_mail: the mail outbox. A mail is queued in the same transaction as what caused it and
-- delivered later with retries; bodies are wiped once a mail is sent or dead. Same conventions
-- as 0001_init.

CREATE TABLE mail_outbox (
    org_id           uuid        NOT NULL,
    id               uuid        NOT NULL,
    recipient        text        NOT NULL CHECK (length(recipient) BETWEEN 3 AND 320),
    subject          text        NOT NULL,
    body_text        text        NOT NULL,
    body_html        text        NOT NULL,
    kind             text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
    attempts         bigint      NOT NULL CHECK (attempts >= 0),
    next_attempt_at  timestamptz NOT NULL,
    last_error       text,
    lease_id         uuid,
    expires_at       timestamptz,
    created_at       timestamptz NOT NULL,
    sent_at          timestamptz,
    version          bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id) REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED
);
-- deliver_mail: the due pending mail of an org, most overdue first; the outbox by status.
CREATE INDEX mail_outbox_due ON mail_outbox (org_id, status, next_attempt_at, id);

GRANT SELECT, INSERT, UPDATE, DELETE ON mail_outbox TO cmms_app;

ALTER TABLE mail_outbox ENABLE ROW LEVEL SECURITY;
ALTER TABLE mail_outbox FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON mail_outbox
    USING (org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid)
    WITH CHECK (org_id = NULLIF(current_setting('cmms.org_id', true), '')::uuid);
