"""Meters and preventive maintenance from Python, on each backend, and the pure engine on
plain data (no database)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import icalendar
import pytest

import cmms
import cmms.pm
from conftest import Org


def test_meters_record_batches_in_any_order(org: Org) -> None:
    db = org.db
    pump = db.assets.create(org.owner, name="Pump", code="PY-M1", site_id=org.site.id)
    meter = db.meters.create(org.manager, asset_id=pump.id, name="Run hours", unit="h", kind="accumulating")
    now = datetime.now(timezone.utc)
    done = db.meters.record(org.tech, meter.id, readings=[
        {"value": 120.0, "taken_at": now - timedelta(hours=1)},
        {"value": 100.0, "taken_at": now - timedelta(hours=3)},
    ])
    assert [r.value for r in done.recorded] == [100.0, 120.0]
    with pytest.raises(cmms.ValidationError) as e:
        db.meters.record(org.tech, meter.id, value=50.0)
    assert e.value.field == "readings[0].value"
    page = db.meters.readings(org.viewer, meter.id, newest_first=True, limit=1)
    assert [r.value for r in page] == [120.0] and page.next_cursor
    assert [r.value for r in db.meters.iter_readings(org.viewer, meter.id)] == [100.0, 120.0]
    with pytest.raises(cmms.PermissionDeniedError):
        db.meters.record(org.viewer, meter.id, value=130.0)


def test_plans_generate_once_and_feed_a_calendar(org: Org) -> None:
    db = org.db
    pump = db.assets.create(org.owner, name="Pump", code="PY-P1", site_id=org.site.id)
    today = datetime.now(timezone.utc).date()
    plan = db.pm_plans.create(
        org.manager, site_id=org.site.id, title="Grease bearings", asset_ids=[pump.id],
        checklist=[{"label": "Grease", "mandatory": True}], assignees=[org.users["tech"].id],
        schedule={"triggers": [{"kind": "calendar", "every": 1, "unit": "days", "time_of_day": "00:00:00"}],
                  "starts_on": today},
    )
    assert plan.schedule["time_zone"] == org.site.time_zone
    first = db.pm.generate(org.manager)
    assert len(first.created) == 1
    assert db.pm.generate(org.manager).created == []
    wo = db.work_orders.get(org.manager, first.created[0].work_order_id)
    assert wo.pm_plan_id == plan.id and wo.type == "preventive"
    assert [d.open_work_order_id for d in db.pm.due(org.manager)] == [wo.id]
    assert db.pm_plans.history(org.viewer, plan.id).items[0].status == "open"
    renamed = db.pm_plans.update(org.manager, plan.id, title="Grease all bearings")
    assert renamed.title == "Grease all bearings" and renamed.asset_ids == [pump.id]
    forecast = db.pm_plans.forecast(org.viewer, plan.id, days=5)
    assert len(forecast) >= 4
    report = db.pm.compliance(org.manager, start=datetime.now(timezone.utc) - timedelta(days=2),
                              end=datetime.now(timezone.utc) + timedelta(days=1))
    assert report.due == 1 and report.plans == 1
    # The feed parses with a real iCalendar parser; each due is one event with a stable UID.
    text = db.pm.calendar(org.viewer, days=5)
    cal = icalendar.Calendar.from_ical(text)
    events = [c for c in cal.walk("VEVENT")]
    assert len(events) >= 4
    assert all(str(e["SUMMARY"]).startswith("Grease all bearings: Pump") for e in events)
    assert len({str(e["UID"]) for e in events}) == len(events)


def test_plans_delete_once_their_work_is_closed(org: Org) -> None:
    db = org.db
    pump = db.assets.create(org.owner, name="Pump", code="PY-D1", site_id=org.site.id)
    plan = db.pm_plans.create(
        org.manager, site_id=org.site.id, title="Check seals", asset_ids=[pump.id],
        schedule={"triggers": [{"kind": "calendar", "every": 1, "unit": "days", "time_of_day": "00:00:00"}],
                  "starts_on": datetime.now(timezone.utc).date()},
    )
    work = db.pm.generate(org.manager).created[0]
    with pytest.raises(cmms.PermissionDeniedError):
        db.pm_plans.delete(org.tech, plan.id)
    with pytest.raises(cmms.ConflictError) as open_work:
        db.pm_plans.delete(org.manager, plan.id, expected_version=plan.version)
    assert open_work.value.field == "work_orders" and work.number in str(open_work.value)
    with pytest.raises(cmms.ConflictError):
        db.pm_plans.delete(org.manager, plan.id, expected_version=plan.version + 1)
    db.work_orders.transition(org.manager, work.work_order_id, "cancelled", reason="seal replaced")
    db.pm_plans.delete(org.manager, plan.id, expected_version=plan.version)
    with pytest.raises(cmms.NotFoundError):
        db.pm_plans.get(org.manager, plan.id)
    assert db.pm_plans.list(org.manager) == []
    kept = db.work_orders.get(org.manager, work.work_order_id)
    assert kept.status == "cancelled" and kept.pm_plan_id == plan.id
    assert any(e.kind == "pm.plan_deleted" for e in db.events.iter_all(org.owner))


def test_the_engine_runs_on_plain_data() -> None:
    plan = {"triggers": [{"kind": "calendar", "every": 1, "unit": "days", "time_of_day": "08:00:00"}],
            "starts_on": "2026-10-24", "time_zone": "Europe/Berlin"}
    dues = cmms.pm.forecast(plan, start=datetime(2026, 10, 24, tzinfo=timezone.utc), days=3)
    # Clocks go back on 25 October: still 08:00 in Berlin, so 06:00 -> 07:00 UTC.
    assert [d.at.hour for d in dues] == [6, 7, 7]
    hours = {"triggers": [{"kind": "meter_interval", "meter": "Run hours", "every": 250.0}],
             "starts_on": "2026-01-01"}
    t0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
    readings = [(t0 + timedelta(days=d), 10.0 * d) for d in range(1, 11)]
    due = cmms.pm.next_due(hours, meters={"Run hours": readings})
    assert due is not None and due.estimated and due.meter_value == 260.0
    with pytest.raises(cmms.ValidationError) as e:
        cmms.pm.next_due({"triggers": []})
    assert e.value.field in ("triggers", "starts_on")


def test_module_examples_run() -> None:
    import doctest

    assert doctest.testmod(cmms.pm).failed == 0
    assert doctest.testmod(cmms, optionflags=doctest.ELLIPSIS).failed == 0
