-- 0002_auth down: drops everything 0002_auth.sql created (indexes go with their tables).
DROP TABLE api_keys;
DROP TABLE auth_tokens;
DROP TABLE credentials;
