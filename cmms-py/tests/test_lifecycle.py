"""Work orders and requests from start to finish, and what survives a round trip."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

import cmms
from conftest import Org


def test_work_order_life_cycle(org: Org) -> None:
    db, m, tech = org.db, org.manager, org.tech
    wo = db.work_orders.create(
        m, title="Replace pump seal", site_id=org.site.id, priority="high", type="corrective",
        assignees=[org.users["tech"].id], checklist=[{"label": "Lock out", "mandatory": True}],
    )
    assert isinstance(wo, cmms.WorkOrder)
    assert wo.number.startswith("WO-") and wo.status == "assigned" and wo.priority == "high"
    assert isinstance(wo.id, uuid.UUID) and wo.created_at.tzinfo is not None
    assert wo == db.work_orders.get(tech, wo.id)
    assert wo.to_dict()["number"] == wo.number
    assert "Replace pump seal" in repr(wo)

    wo = db.work_orders.transition(tech, wo.id, "in_progress")
    assert wo.actual_start is not None
    with pytest.raises(cmms.ValidationError) as err:
        db.work_orders.transition(tech, wo.id, "completed")
    assert err.value.field == "checklist"
    (item,) = db.work_orders.checklist(tech, wo.id)
    db.work_orders.record_checklist(tech, wo.id, item.id, "done", notes="tagged out")
    db.work_orders.log_labor(tech, wo.id, minutes=45, category="regular")
    db.work_orders.comment(tech, wo.id, "Seal was cracked")
    wo = db.work_orders.transition(tech, wo.id, "completed", completion_notes="New seal fitted")
    assert wo.status == "completed" and wo.completion_notes == "New seal fitted"
    wo = db.work_orders.transition(m, wo.id, "verified")
    wo = db.work_orders.transition(m, wo.id, "closed")
    assert wo.status == "closed" and wo.verified_by == org.users["manager"].id
    statuses = [e.to_status for e in db.work_orders.timeline(m, wo.id)]
    assert statuses == ["assigned", "in_progress", "completed", "verified", "closed"]
    assert set(db.work_orders.time_in_status(m, wo.id)) == set(statuses)
    assert [e.minutes for e in db.work_orders.labor(m, wo.id)] == [45]
    assert db.audit.verify(org.owner) is None


def test_request_life_cycle(org: Org) -> None:
    db, rq, m, tech = org.db, org.requester, org.manager, org.tech
    req = db.requests.create(rq, title="Water on the floor", site_id=org.site.id, description="Near the boiler",
                             attachments=[{"name": "a.jpg", "content_type": "image/jpeg", "size_bytes": 10, "storage_key": "k"}])
    assert req.status == "draft" and req.number.startswith("REQ-")
    req = db.requests.submit(rq, req.id)
    req, wo = db.requests.approve(m, req.id, assignees=[org.users["tech"].id])
    assert req.status == "approved" and req.work_order_id == wo.id
    assert wo.description == "Near the boiler" and wo.attachments[0].name == "a.jpg"
    assert db.requests.work_order(rq, req.id) == wo
    db.work_orders.comment(tech, wo.id, "internal price note", internal=True)
    db.work_orders.comment(tech, wo.id, "coming tomorrow")
    assert [c.body for c in db.work_orders.comments(rq, wo.id)] == ["coming tomorrow"]
    db.work_orders.transition(tech, wo.id, "in_progress")
    db.work_orders.transition(tech, wo.id, "completed")
    with pytest.raises(cmms.ValidationError):
        db.requests.reject_completion(rq, req.id, "no")
    back = db.requests.reject_completion(rq, req.id, "Still dripping")
    assert back.status == "in_progress" and back.actual_end is None
    db.work_orders.transition(tech, wo.id, "completed")
    done = db.requests.confirm(rq, req.id)
    assert done.status == "closed" and done.verified_by == org.users["requester"].id

    other = db.requests.create(rq, title="Paint", site_id=org.site.id, submit=True)
    assert db.requests.reject(m, other.id, "Not maintenance").rejection_reason == "Not maintenance"


def test_auto_close_after_days(org: Org) -> None:
    db = org.db
    req = db.requests.create(org.requester, title="Door sticks", site_id=org.site.id, submit=True)
    _, wo = db.requests.approve(org.manager, req.id, assignees=[org.users["tech"].id])
    db.work_orders.transition(org.tech, wo.id, "in_progress")
    done = db.work_orders.transition(org.tech, wo.id, "completed")
    assert done.actual_end is not None
    assert wo.id not in db.requests.auto_close_confirmations(done.actual_end + timedelta(days=2)).closed
    report = db.requests.auto_close_confirmations(done.actual_end + timedelta(days=3))
    assert wo.id in report.closed
    closed = db.work_orders.get(org.owner, wo.id)
    assert closed.status == "closed"
    assert db.work_orders.timeline(org.owner, wo.id)[-1].actor_id is None


def test_round_trips(org: Org) -> None:
    db = org.db
    due = datetime(2027, 1, 31, 23, 59, 59, 123456, tzinfo=timezone(timedelta(hours=-5)))
    specs = {"power_kw": 7.5, "phases": [1, 2, 3], "nested": {"ok": True, "none": None}, "name": "Größe 尺寸 📏"}
    asset = db.assets.create(org.owner, name="Kühlwasserpumpe Ω 🚰", code="KWP-Ω", site_id=org.site.id,
                             specifications=specs, custom_fields={"tags": ["a", "b"]}, criticality=5, state="degraded")
    assert db.assets.get(org.owner, asset.id) == asset
    assert asset.specifications == specs and asset.custom_fields == {"tags": ["a", "b"]}
    wo = db.work_orders.create(org.manager, title="Ремонт — 修理 — 'q' \"d\"", asset_id=asset.id, due_at=due,
                               description="line 1\nline 2\ttab 🛠️", estimated_hours=1.25)
    got = db.work_orders.get(org.owner, wo.id)
    assert got.due_at == due and got.due_at.microsecond == 123456
    assert got.title == wo.title and got.description == "line 1\nline 2\ttab 🛠️"
    assert got.site_id == org.site.id and got.estimated_hours == 1.25
    with pytest.raises(ValueError, match="timezone-aware"):
        db.work_orders.create(org.manager, title="naive", site_id=org.site.id, due_at=datetime(2027, 1, 1))
