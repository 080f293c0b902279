-- 0013_webhooks down: drops everything 0013_webhooks.up.sql created (indexes, policies and
-- grants go with their tables).
DROP TABLE webhook_deliveries;
DROP TABLE webhook_cursors;
DROP TABLE webhooks;
