-- 0002_auth: login credentials, authentication tokens (refresh, password reset, email
-- verification) and API keys. Secrets are stored only as hashes: argon2id for passwords,
-- SHA-256 for high-entropy tokens and keys. Same conventions as 0001_init.

CREATE TABLE credentials (
    org_id             BLOB    NOT NULL,
    user_id            BLOB    NOT NULL,
    password_hash      TEXT,
    email_verified_at  INTEGER,
    failed_logins      INTEGER NOT NULL CHECK (failed_logins >= 0),
    first_failed_at    INTEGER,
    locked_until       INTEGER,
    updated_at         INTEGER NOT NULL,
    version            INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, user_id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;

CREATE TABLE auth_tokens (
    org_id      BLOB    NOT NULL,
    id          BLOB    NOT NULL,
    user_id     BLOB    NOT NULL,
    purpose     TEXT    NOT NULL CHECK (purpose IN ('refresh', 'password_reset', 'email_verification')),
    family_id   BLOB    NOT NULL,
    token_hash  TEXT    NOT NULL CHECK (length(token_hash) = 64),
    issued_at   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    revoked_at  INTEGER,
    version     INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- RevokeTokens: a user's tokens, of one family or one purpose.
CREATE INDEX auth_tokens_user ON auth_tokens (org_id, user_id, family_id);

CREATE TABLE api_keys (
    org_id        BLOB    NOT NULL,
    id            BLOB    NOT NULL,
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role_builtin  TEXT CHECK (role_builtin IN ('owner', 'admin', 'manager', 'technician',
                                               'storekeeper', 'contractor', 'requester', 'viewer')),
    role_id       BLOB,
    sites         TEXT,
    key_hash      TEXT    NOT NULL CHECK (length(key_hash) = 64),
    created_by    BLOB    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_used_at  INTEGER,
    revoked_at    INTEGER,
    version       INTEGER NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CHECK ((role_builtin IS NULL) <> (role_id IS NULL)),
    FOREIGN KEY (org_id, role_id) REFERENCES custom_roles (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
) STRICT;
-- list_api_keys: newest first.
CREATE INDEX api_keys_created ON api_keys (org_id, created_at);
