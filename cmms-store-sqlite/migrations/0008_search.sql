-- 0008_search: full-text search of work orders and requests (docs/stores.md, "Text search").
--
-- Each row stores search_doc, its folded words as cmms_core::search::document builds them
-- (" wo 00042 pump room "); an FTS5 index over those documents answers word-prefix queries.
--   * The index is contentless (the text is already in search_doc) with contentless_delete=1
--     (SQLite >= 3.43; the bundled SQLite is 3.51) so rows can be deleted and updated by rowid.
--     A SQLite built without FTS5 fails this migration with "no such module: fts5".
--   * work_orders and requests have no INTEGER PRIMARY KEY, so VACUUM may renumber their
--     rowids; the index's rowids come from a small keys table instead.
--   * Core has folded case and accents already: remove_diacritics 0, and marks (M*) are token
--     characters, so FTS5 splits documents and queries exactly into core's words.
--   * prefix = '2 3' keeps short prefix queries cheap.
-- Tenancy: the index spans organizations; every query joins the keys table on org_id.

-- work_orders: the search document, its FTS keys and index, and the triggers keeping them in step.
ALTER TABLE work_orders ADD COLUMN search_doc TEXT NOT NULL DEFAULT '';
CREATE TABLE work_order_search_keys (
    fts_rowid     INTEGER PRIMARY KEY,
    org_id        BLOB    NOT NULL,
    work_order_id BLOB    NOT NULL,
    UNIQUE (org_id, work_order_id)
) STRICT;
CREATE VIRTUAL TABLE work_order_fts USING fts5(
    doc, content = '', contentless_delete = 1,
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'", prefix = '2 3');
INSERT INTO work_order_search_keys (org_id, work_order_id) SELECT org_id, id FROM work_orders;
-- Existing rows get an empty document now and their real one from the backfill that runs in
-- this migration's transaction (the folding rules live in Rust, cmms_core::search).
INSERT INTO work_order_fts (rowid, doc) SELECT fts_rowid, '' FROM work_order_search_keys;
CREATE TRIGGER work_orders_search_ai AFTER INSERT ON work_orders BEGIN
    INSERT INTO work_order_search_keys (org_id, work_order_id) VALUES (new.org_id, new.id);
    -- Inside a trigger, last_insert_rowid() is the row the trigger just inserted.
    INSERT INTO work_order_fts (rowid, doc) VALUES (last_insert_rowid(), new.search_doc);
END;
CREATE TRIGGER work_orders_search_au AFTER UPDATE OF search_doc ON work_orders
    WHEN new.search_doc IS NOT old.search_doc BEGIN
    DELETE FROM work_order_fts WHERE rowid = (SELECT fts_rowid FROM work_order_search_keys
        WHERE org_id = old.org_id AND work_order_id = old.id);
    INSERT INTO work_order_fts (rowid, doc) SELECT fts_rowid, new.search_doc
        FROM work_order_search_keys WHERE org_id = new.org_id AND work_order_id = new.id;
END;
CREATE TRIGGER work_orders_search_ad AFTER DELETE ON work_orders BEGIN
    DELETE FROM work_order_fts WHERE rowid = (SELECT fts_rowid FROM work_order_search_keys
        WHERE org_id = old.org_id AND work_order_id = old.id);
    DELETE FROM work_order_search_keys WHERE org_id = old.org_id AND work_order_id = old.id;
END;

-- requests: the search document, its FTS keys and index, and the triggers keeping them in step.
ALTER TABLE requests ADD COLUMN search_doc TEXT NOT NULL DEFAULT '';
CREATE TABLE request_search_keys (
    fts_rowid     INTEGER PRIMARY KEY,
    org_id        BLOB    NOT NULL,
    request_id    BLOB    NOT NULL,
    UNIQUE (org_id, request_id)
) STRICT;
CREATE VIRTUAL TABLE request_fts USING fts5(
    doc, content = '', contentless_delete = 1,
    tokenize = "unicode61 remove_diacritics 0 categories 'L* N* Co M*'", prefix = '2 3');
INSERT INTO request_search_keys (org_id, request_id) SELECT org_id, id FROM requests;
-- Existing rows get an empty document now and their real one from the backfill that runs in
-- this migration's transaction (the folding rules live in Rust, cmms_core::search).
INSERT INTO request_fts (rowid, doc) SELECT fts_rowid, '' FROM request_search_keys;
CREATE TRIGGER requests_search_ai AFTER INSERT ON requests BEGIN
    INSERT INTO request_search_keys (org_id, request_id) VALUES (new.org_id, new.id);
    -- Inside a trigger, last_insert_rowid() is the row the trigger just inserted.
    INSERT INTO request_fts (rowid, doc) VALUES (last_insert_rowid(), new.search_doc);
END;
CREATE TRIGGER requests_search_au AFTER UPDATE OF search_doc ON requests
    WHEN new.search_doc IS NOT old.search_doc BEGIN
    DELETE FROM request_fts WHERE rowid = (SELECT fts_rowid FROM request_search_keys
        WHERE org_id = old.org_id AND request_id = old.id);
    INSERT INTO request_fts (rowid, doc) SELECT fts_rowid, new.search_doc
        FROM request_search_keys WHERE org_id = new.org_id AND request_id = new.id;
END;
CREATE TRIGGER requests_search_ad AFTER DELETE ON requests BEGIN
    DELETE FROM request_fts WHERE rowid = (SELECT fts_rowid FROM request_search_keys
        WHERE org_id = old.org_id AND request_id = old.id);
    DELETE FROM request_search_keys WHERE org_id = old.org_id AND request_id = old.id;
END;
