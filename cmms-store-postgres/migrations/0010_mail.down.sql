-- 0010_mail down: drops everything 0010_mail.up.sql created (indexes, policies and grants go
-- with their tables).
DROP TABLE mail_outbox;
