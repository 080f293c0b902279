"""Inventory and purchasing from Python, on each backend: stock through a work order's life,
the low-stock event, a purchase order received in two parts at a moving average cost, what the
work cost, the insufficient-stock error with its numbers, exact decimals, and a parts import
from a pandas CSV."""

from __future__ import annotations

import dataclasses
import io
import pickle
import uuid
from decimal import Decimal
from decimal import Decimal as D
from typing import Any, Dict

import numpy as np
import pandas as pd
import pytest

import cmms
from conftest import Org


def storekeeper(org: Org) -> cmms.Actor:
    tag = uuid.uuid4().hex[:6]
    user = org.db.users.create(org.owner, name=f"Sam {tag}", email=f"sam-{tag}@example.test", role="storekeeper")
    return org.db.actor(org.boot.org.id, user.id)


def test_stock_through_a_work_order_a_purchase_order_and_the_cost(org: Org) -> None:
    db = org.db
    sk = storekeeper(org)
    settings = db.orgs.get(org.owner).settings
    assert (settings.currency, settings.purchase_approval_limits) == ("USD", {"storekeeper": D(1000)})
    db.orgs.update_settings(org.owner, dataclasses.replace(settings, currency="EUR", labor_rate=D("60")))
    assert db.orgs.get(org.owner).settings.labor_rate == D(60)
    seal = db.parts.create(org.owner, part_number="SEAL-25", name="Mechanical seal 25 mm", unit_cost="40",
                           levels={"reorder_point": 3, "reorder_quantity": 10})
    assert seal.levels == cmms.StockLevels(reorder_point=Decimal(3), reorder_quantity=Decimal(10))
    assert seal.unit_cost == Decimal("40") and seal.unit == "each"
    store = db.stock_locations.create(org.owner, site_id=org.site.id, code="MAIN", name="Main store")
    bin_ = db.stock_locations.create(org.owner, parent_id=store.id, code="MAIN-A1", name="Bin A1")
    assert (store.kind, bin_.kind, bin_.site_id) == ("storeroom", "bin", org.site.id)

    received = db.stock.receive(sk, part_id=seal.id, location_id=store.id, quantity=10, unit_cost="40")
    assert (received.kind, received.quantity, received.unit_cost) == ("receive", Decimal(10), Decimal(40))

    pump = db.assets.create(org.owner, name="Pump", code="P-1", site_id=org.site.id)
    wo = db.work_orders.create(org.manager, title="Replace seal", asset_id=pump.id,
                               assignees=[org.users["tech"].id])
    db.work_orders.transition(org.tech, wo.id, "in_progress")
    line = db.work_orders.change_parts(org.tech, wo.id, "reserve", part_id=seal.id, location_id=store.id, quantity=4)
    assert line.reserved == Decimal(4)
    stock = db.stock.get(org.viewer, part_id=seal.id, location_id=store.id)
    assert (stock.on_hand, stock.reserved, stock.available, stock.status) == (D(10), D(4), D(6), "in")
    # Issuing uses the reservation first.
    line = db.work_orders.change_parts(org.tech, wo.id, "issue", part_id=seal.id, location_id=store.id, quantity=6)
    assert (line.reserved, line.issued) == (D(0), D(6))
    line = db.work_orders.change_parts(org.tech, wo.id, "return", part_id=seal.id, location_id=store.id, quantity=1)
    assert (line.issued, line.returned) == (D(6), D(1))
    assert db.stock.get(org.viewer, part_id=seal.id, location_id=store.id).on_hand == 5
    assert db.events.since(org.owner, limit=cmms.MAX_LIMIT).events, "stock events are visible"
    low_events = [e for e in db.events.since(org.owner, limit=cmms.MAX_LIMIT).events if e.kind == "inventory.low_stock"]
    assert low_events == []
    db.work_orders.change_parts(org.tech, wo.id, "issue", part_id=seal.id, location_id=store.id, quantity=3)
    low_events = [e for e in db.events.since(org.owner, limit=cmms.MAX_LIMIT).events if e.kind == "inventory.low_stock"]
    assert len(low_events) == 1 and low_events[0].payload["part_number"] == "SEAL-25"
    (low,) = db.stock.low(org.viewer).items
    assert [i.shortage for i in db.stock.iter_low(org.viewer)] == [D(11)]  # to reorder point + quantity
    assert [loc.code for loc in db.stock_locations.iter_all(org.viewer, limit=1)] == ["MAIN", "MAIN-A1"]
    assert (low.part.id, low.status, low.available) == (seal.id, "low", Decimal(2))
    assert [s.status for s in db.stock.list(org.viewer, status="low")] == ["low"]
    assert [p.id for p in db.work_orders.parts(org.viewer, wo.id)] == [line.id]
    kinds = [m.kind for m in db.stock.iter_movements(org.viewer, work_order=wo.id, limit=2)]
    assert kinds == ["reserve", "issue", "return", "issue"]

    # Purchasing: the vendor's price fills the line; approved by the manager; received in two parts.
    vendor = db.vendors.create(sk, name="Acme Seals", email="orders@acme.test")
    db.vendors.set_part(sk, vendor.id, part_id=seal.id, vendor_part_number="AS-25", price="45", preferred=True)
    assert [vp.price for vp in db.vendors.parts(org.viewer, vendor.id)] == [Decimal(45)]
    assert db.vendors.update(sk, vendor.id, phone="555-0100").email == "orders@acme.test"
    assert [v.phone for v in db.vendors.iter_all(org.viewer)] == ["555-0100"]
    po = db.purchase_orders.create(sk, vendor_id=vendor.id, site_id=org.site.id,
                                   lines=[{"part_id": seal.id, "location_id": store.id, "quantity": 10}])
    assert (po.status, po.total, po.number[:3]) == ("draft", Decimal(450), "PO-")
    po = db.purchase_orders.update(sk, po.id, notes="Urgent")
    assert (po.notes, po.total, len(po.lines)) == ("Urgent", Decimal(450), 1)
    po = db.purchase_orders.transition(sk, po.id, "submitted")
    po = db.purchase_orders.transition(org.manager, po.id, "approved")
    assert po.approved_by == org.users["manager"].id
    po = db.purchase_orders.transition(sk, po.id, "ordered")
    po = db.purchase_orders.receive(sk, po.id, lines=[{"line_id": po.lines[0].id, "quantity": 4}])
    assert (po.status, po.lines[0].received) == ("partially_received", Decimal(4))
    stock = db.stock.get(org.viewer, part_id=seal.id, location_id=store.id)
    # (2 × 40 + 4 × 45) / 6
    assert (stock.on_hand, stock.avg_cost.quantize(D("0.0001"))) == (D(6), D("43.3333"))
    po = db.purchase_orders.receive(sk, po.id, lines=[{"line_id": po.lines[0].id, "quantity": 6, "unit_cost": 46.5}])
    assert (po.status, po.lines[0].received) == ("received", Decimal(10))
    stock = db.stock.get(org.viewer, part_id=seal.id, location_id=store.id)
    # (6 × 43.3333 + 6 × 46.5) / 12
    assert (stock.on_hand, stock.avg_cost.quantize(D("0.01"))) == (D(12), D("44.92"))
    assert len(db.stock.movements(org.viewer, purchase_order=po.id).items) == 2
    assert [p.id for p in db.purchase_orders.iter_all(org.viewer, status="received")] == [po.id]
    assert db.purchase_orders.transition(sk, po.id, "closed").status == "closed"

    # What the work cost: 9 issued and 1 returned at 40, a contractor, and 90 minutes at 60 an hour.
    db.work_orders.log_labor(org.tech, wo.id, minutes=90)
    cost = db.work_orders.add_cost(org.tech, wo.id, description="Machining", amount="35.50")
    assert cost.amount == Decimal("35.5")
    assert db.work_orders.costs(org.viewer, wo.id) == [cost]
    summary = db.work_orders.cost(org.viewer, wo.id)
    assert (summary.parts_issued, summary.parts_returned, summary.other) == (D(360), D(40), D("35.5"))
    assert (summary.labor_hours, summary.labor, summary.currency) == (D("1.5"), D(90), "EUR")
    assert summary.total == Decimal("445.5") and summary.work_orders == 1
    assert db.assets.cost(org.viewer, pump.id) == summary
    assert summary.to_dict(json=True)["total"] == "445.5"


def test_insufficient_stock_carries_its_numbers_and_writes_nothing(org: Org) -> None:
    db = org.db
    part = db.parts.create(org.owner, part_number="BRG-6204", name="Bearing 6204")
    store = db.stock_locations.create(org.owner, site_id=org.site.id, code="MAIN", name="Main store")
    db.stock.receive(org.owner, part_id=part.id, location_id=store.id, quantity="2.5", unit_cost=8)
    wo = db.work_orders.create(org.manager, title="Bearings", site_id=org.site.id, assignees=[org.users["tech"].id])
    db.work_orders.transition(org.tech, wo.id, "in_progress")
    before = db.stock.get(org.viewer, part_id=part.id, location_id=store.id)
    moves = len(db.stock.movements(org.viewer, part=part.id).items)
    with pytest.raises(cmms.InsufficientStockError) as e:
        db.work_orders.change_parts(org.tech, wo.id, "issue", part_id=part.id, location_id=store.id, quantity=3)
    err = e.value
    assert isinstance(err, cmms.ConflictError) and err.code == "insufficient_stock"
    assert (err.part, err.location, err.available, err.requested) == (part.id, store.id, Decimal("2.5"), Decimal(3))
    assert db.stock.get(org.viewer, part_id=part.id, location_id=store.id) == before
    assert len(db.stock.movements(org.viewer, part=part.id).items) == moves
    assert db.work_orders.parts(org.viewer, wo.id) == []
    again = pickle.loads(pickle.dumps(err))
    assert type(again) is cmms.InsufficientStockError and again.available == Decimal("2.5")
    with pytest.raises(cmms.InsufficientStockError):
        db.stock.adjust(org.owner, part_id=part.id, location_id=store.id, quantity=-3, reason="lost")


def test_decimals_round_trip_exactly(org: Org) -> None:
    db = org.db
    hose = db.parts.create(org.owner, part_number="HOSE-1", name="Hose", unit="m", unit_cost=Decimal("12.3456"))
    assert hose.unit_cost == Decimal("12.3456")
    store = db.stock_locations.create(org.owner, site_id=org.site.id, code="S", name="Store")
    other = db.stock_locations.create(org.owner, site_id=org.site.id, code="T", name="Truck")
    given: list[Any] = ["2.5", Decimal("0.125"), 0.1, np.float64(0.2), np.int64(3), pd.Series([1.5]).iloc[0]]
    moved = [db.stock.receive(org.owner, part_id=hose.id, location_id=store.id, quantity=q).quantity for q in given]
    assert moved == [Decimal("2.5"), Decimal("0.125"), Decimal("0.1"), Decimal("0.2"), Decimal(3), Decimal("1.5")]
    assert all(isinstance(q, Decimal) for q in moved)
    assert db.stock.get(org.viewer, part_id=hose.id, location_id=store.id).on_hand == Decimal("7.425")
    out, into = db.stock.transfer(org.owner, part_id=hose.id, from_location_id=store.id, to_location_id=other.id,
                                  quantity="2.5")
    assert (out.kind, out.on_hand_delta, into.kind, into.on_hand_delta) == (
        "transfer_out", Decimal("-2.5"), "transfer_in", Decimal("2.5"))
    counted = db.stock.count(org.owner, part_id=hose.id, location_id=other.id, quantity="2")
    assert counted.on_hand_delta == Decimal("-0.5")
    with pytest.raises(cmms.ValidationError) as e:
        db.stock.receive(org.owner, part_id=hose.id, location_id=store.id, quantity="0.0001")
    assert e.value.field == "quantity"
    with pytest.raises(cmms.ValidationError) as e:
        db.stock.receive(org.owner, part_id=hose.id, location_id=store.id, quantity=float("inf"))
    assert e.value.field == "quantity"
    with pytest.raises(TypeError, match="^quantity: "):
        db.stock.receive(org.owner, part_id=hose.id, location_id=store.id, quantity=[1])  # type: ignore[arg-type]
    levels = db.stock.set_levels(org.owner, part_id=hose.id, location_id=store.id, levels={"min": "0.5", "max": 20})
    assert (levels.own_levels, levels.levels.min, levels.levels.max) == (True, Decimal("0.5"), Decimal(20))
    with pytest.raises(cmms.ValidationError) as e:
        db.parts.create(org.owner, part_number="", name="x", unit_cost=-1, levels={"min": -1})
    assert sorted(p["field"] for p in e.value.errors) == ["levels.min", "part_number", "unit_cost"]
    with pytest.raises(cmms.ValidationError) as e:
        db.parts.create(org.owner, part_number="X", name="x", levels={"reorder_pont": 1})  # type: ignore[arg-type]
    assert "did you mean 'reorder_point'" in str(e.value)


def test_parts_import_from_a_pandas_csv(org: Org) -> None:
    db = org.db
    csv = io.StringIO(
        "part_number,name,description,unit,unit_cost,lead_time_days,category\n"
        "FLT-10,Oil filter,,each,12.5,7,filters\n"
        "BLT-A42,V-belt A42,Classic section,,,,belts\n"
        "GRS-1,Grease,Lithium EP2,kg,8.75,14,\n"
    )
    frame = pd.read_csv(csv)
    for row in frame.to_dict("records"):
        fields: Dict[str, Any] = {str(k): v for k, v in row.items()}
        db.parts.create(org.owner, **fields)
    parts = {p.part_number: p for p in db.parts.iter_all(org.viewer, limit=2)}
    assert set(parts) == {"FLT-10", "BLT-A42", "GRS-1"}
    flt, blt, grs = parts["FLT-10"], parts["BLT-A42"], parts["GRS-1"]
    assert (flt.description, flt.unit_cost, flt.lead_time_days, flt.category) == (None, Decimal("12.5"), 7, "filters")
    assert (blt.unit, blt.unit_cost, blt.lead_time_days) == ("each", None, None)
    assert (grs.unit, grs.unit_cost, grs.category) == ("kg", Decimal("8.75"), None)
    assert db.parts.find(org.viewer, "GRS-1") == grs and db.parts.find(org.viewer, "NOPE") is None
    assert [p.part_number for p in db.parts.list(org.viewer, category="belts")] == ["BLT-A42"]
    retired = db.parts.update(org.owner, grs.id, active=False, unit_cost=None)
    assert (retired.active, retired.unit_cost, retired.version) == (False, None, grs.version + 1)
    back = pd.DataFrame([p.to_dict() for p in db.parts.iter_all(org.viewer, active=True)])
    assert sorted(back["part_number"]) == ["BLT-A42", "FLT-10"]
    assert dataclasses.replace(flt, name="x").name == "x"


def test_pm_plans_plan_their_parts_on_generated_work(org: Org) -> None:
    from datetime import datetime, timezone

    db = org.db
    belt = db.parts.create(org.owner, part_number="BELT-A42", name="V-belt A42")
    store = db.stock_locations.create(org.owner, site_id=org.site.id, code="PMS", name="PM store")
    db.stock.receive(org.owner, part_id=belt.id, location_id=store.id, quantity=1)
    fan = db.assets.create(org.owner, name="Fan", code="PY-F1", site_id=org.site.id)
    plan = db.pm_plans.create(
        org.manager, site_id=org.site.id, title="Change belts", asset_ids=[fan.id],
        parts=[{"part_id": belt.id, "location_id": store.id, "quantity": "2"}],
        schedule={"triggers": [{"kind": "calendar", "every": 1, "unit": "weeks", "time_of_day": "00:00:00"}],
                  "starts_on": datetime.now(timezone.utc).date()},
    )
    assert plan.parts == [{"part_id": str(belt.id), "location_id": str(store.id), "quantity": "2"}]
    with pytest.raises(cmms.ValidationError, match=r"parts\[0\]\.part: unknown key"):
        db.pm_plans.update(org.manager, plan.id, parts=[{"part": belt.id}])  # type: ignore[typeddict-item, typeddict-unknown-key]
    created = db.pm.generate(org.manager).created
    lines = db.work_orders.parts(org.viewer, created[0].work_order_id)
    # Two planned, the one on the shelf held.
    assert [(l.planned, l.reserved) for l in lines] == [(D(2), D(1))]
