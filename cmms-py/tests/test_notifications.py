"""In-app notifications from Python, on each backend: the consumer derives them from events,
the recipient lists, counts and reads them, chooses channels, and watches work orders; a
requester never hears of an internal comment."""

from __future__ import annotations

import uuid

import pytest

import cmms
from conftest import Org


def test_assignment_watching_read_state_and_preferences(org: Org) -> None:
    db = org.db
    wo = db.work_orders.create(org.manager, title="Replace belt", site_id=org.site.id, assignees=[org.users["tech"].id])
    report = db.deliver_notifications()
    assert isinstance(report, cmms.DeliveryReport)
    assert report.in_app >= 1 and report.pending == 0
    assert db.deliver_notifications().in_app == 0, "nothing twice"

    page = db.notifications.list(org.tech, unread=True)
    [n] = page.items
    assert isinstance(n, cmms.Notification)
    assert (n.kind, n.link.kind, n.link.id, n.read_at) == ("assigned", "work_order", wo.id, None)
    assert db.notifications.unread_count(org.tech) == cmms.UnreadCount(count=1, more=False)
    with pytest.raises(cmms.NotFoundError):
        db.notifications.read(org.tech2, n.id)
    read = db.notifications.read(org.tech, n.id)
    assert read.read_at is not None
    assert db.notifications.unread_count(org.tech).count == 0

    # Watching: the viewer hears of comments they may read.
    assert isinstance(db.notifications.watch(org.viewer, wo.id), cmms.Watch)
    assert db.notifications.watching(org.viewer, wo.id)
    db.work_orders.comment(org.tech, wo.id, "Belt ordered")
    db.deliver_notifications()
    assert [x.kind for x in db.notifications.iter_all(org.viewer)] == ["watched_comment"]
    assert db.notifications.read_all(org.viewer) == 1
    assert db.notifications.unwatch(org.viewer, wo.id) is True
    assert db.notifications.unwatch(org.viewer, wo.id) is False

    # Preferences: built-in, then mine; bad kinds are validation errors.
    prefs = {p.kind: p for p in db.notifications.preferences(org.tech)}
    assert prefs["assigned"].channels == cmms.Channels(in_app=True, email=False)
    assert prefs["assigned"].source == "builtin"
    mine = db.notifications.set_preferences(org.tech, {"assigned": {"in_app": False, "email": True}})
    assert {p.kind: p.source for p in mine}["assigned"] == "user"
    with pytest.raises(cmms.ValidationError):
        db.notifications.set_preferences(org.tech, {"sky_falling": {"in_app": True, "email": False}})
    with pytest.raises(cmms.PermissionDeniedError):
        db.notifications.set_org_defaults(org.tech, {"assigned": {"in_app": True, "email": True}})
    defaults = db.notifications.set_org_defaults(org.owner, {"low_stock": {"in_app": True, "email": True}})
    assert {p.kind: p.source for p in defaults}["low_stock"] == "org"


def test_a_requester_never_hears_of_internal_comments(org: Org) -> None:
    db = org.db
    tag = uuid.uuid4().hex[:6]
    req = db.requests.create(org.requester, title=f"Leak {tag}", site_id=org.site.id, submit=True)
    _, wo = db.requests.approve(org.manager, req.id, assignees=[org.users["tech"].id])
    db.notifications.watch(org.requester, wo.id)
    db.work_orders.comment(org.tech, wo.id, "Supplier is slow", internal=True)
    db.work_orders.comment(org.tech, wo.id, "Coming tomorrow")
    db.deliver_notifications()
    kinds = [n.kind for n in db.notifications.iter_all(org.requester)]
    assert sorted(kinds) == ["request_status", "watched_comment"]
    assert all("Supplier" not in n.body for n in db.notifications.iter_all(org.requester))
    assert db.notifications.list(org.requester2).items == []
