-- 0012_attachments down.
DROP TABLE attachment_usage;
DROP TABLE attachments;
DROP TABLE attachment_contents;
