-- 0009_notifications down.
DROP TABLE notification_cursors;
DROP TABLE work_order_watchers;
DROP TABLE notification_preferences;
DROP TABLE notifications;
