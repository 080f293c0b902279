-- 0010_mail: the mail outbox. A mail is queued in the same transaction as what caused it and
-- delivered later with retries; bodies are wiped once a mail is sent or dead. Same conventions
-- as 0001_init.

CREATE TABLE mail_outbox (
    org_id           BLOB    NOT NULL,
    id               BLOB    NOT NULL,
    recipient        TEXT    NOT NULL CHECK (length(recipient) BETWEEN 3 AND 320),
    subject          TEXT    NOT NULL,
    body_text        TEXT    NOT NULL,
    body_html        TEXT    NOT NULL,
    kind             TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'sent', 'dead')),
    attempts         INTEGER NOT NULL CHECK (attempts >= 0),
    next_attempt_at  INTEGER NOT NULL,
    last_error       TEXT,
    lease_id         BLOB,
    expires_at       INTEGER,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    version          INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id) REFERENCES orgs (id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- deliver_mail: the due pending mail of an org, most overdue first; the outbox by status.
CREATE INDEX mail_outbox_due ON mail_outbox (org_id, status, next_attempt_at, id);
