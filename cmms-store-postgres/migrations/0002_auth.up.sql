-- 0002_auth: login credentials, authentication tokens (refresh, password reset, email
-- verification) and API keys, mirroring SQLite's 0002_auth.sql. Secrets are stored only as
-- hashes: argon2id for passwords, SHA-256 for high-entropy tokens and keys. Same row-level
-- security as every tenant table.

CREATE TABLE credentials (
    org_id             uuid        NOT NULL,
    user_id            uuid        NOT NULL,
    password_hash      text,
    email_verified_at  timestamptz,
    failed_logins      integer     NOT NULL CHECK (failed_logins >= 0),
    first_failed_at    timestamptz,
    locked_until       timestamptz,
    updated_at         timestamptz NOT NULL,
    version            bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, user_id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE auth_tokens (
    org_id      uuid        NOT NULL,
    id          uuid        NOT NULL,
    user_id     uuid        NOT NULL,
    purpose     text        NOT NULL CHECK (purpose IN ('refresh', 'password_reset', 'email_verification')),
    family_id   uuid        NOT NULL,
    token_hash  text        NOT NULL CHECK (length(token_hash) = 64),
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    revoked_at  timestamptz,
    version     bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    FOREIGN KEY (org_id, user_id) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- RevokeTokens: a user's tokens, of one family or one purpose.
CREATE INDEX auth_tokens_user ON auth_tokens (org_id, user_id, family_id);

CREATE TABLE api_keys (
    org_id        uuid        NOT NULL,
    id            uuid        NOT NULL,
    name          text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role_builtin  text CHECK (role_builtin IN ('owner', 'admin', 'manager', 'technician',
                                               'storekeeper', 'contractor', 'requester', 'viewer')),
    role_id       uuid,
    sites         jsonb,
    key_hash      text        NOT NULL CHECK (length(key_hash) = 64),
    created_by    uuid        NOT NULL,
    created_at    timestamptz NOT NULL,
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    version       bigint      NOT NULL CHECK (version >= 1),
    PRIMARY KEY (org_id, id),
    CHECK ((role_builtin IS NULL) <> (role_id IS NULL)),
    FOREIGN KEY (org_id, role_id) REFERENCES custom_roles (org_id, id) DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (org_id, created_by) REFERENCES users (org_id, id) DEFERRABLE INITIALLY DEFERRED
);
-- list_api_keys: newest first.
CREATE INDEX api_keys_created ON api_keys (org_id, created_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON credentials, auth_tokens, api_keys TO cmms_app;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['credentials', 'auth_tokens', 'api_keys'] LOOP
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
