-- 0010_mail down: drops everything 0010_mail.sql created (indexes go with their tables).
DROP TABLE mail_outbox;
