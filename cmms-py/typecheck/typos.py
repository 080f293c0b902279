"""Mistakes the type checker must catch before a script runs. Each line marked `# E:` must
fail `mypy --strict` with that error code, and nothing else may (tests/test_typing.py)."""

from __future__ import annotations

import cmms


def typos(db: cmms.Cmms, a: cmms.Actor) -> None:
    db.work_orders.create(a, title="t", priority="hihg")  # E: arg-type
    db.work_orders.create(a, title="t", type="preventative")  # E: arg-type
    db.work_orders.transition(a, "id", "done")  # E: arg-type
    db.work_orders.list(a, stauts="open")  # E: call-arg
    db.work_orders.iter_all(a, stauts="open")  # E: call-arg
    db.work_orders.iter_all(a, status="opn")  # E: arg-type
    db.work_orders.update(a, "id", priority="hihg")  # E: arg-type
    db.work_orders.update(a, "id", titel="t")  # E: call-arg
    db.work_orders.create(a, title="t", checklist=[{"lable": "x"}])  # E: typeddict-item typeddict-unknown-key
    db.work_orders.record_checklist(a, "id", "item", "ok")  # E: arg-type
    db.assets.iter_all(a, stat="down")  # E: call-arg
    db.users.create(a, name="n", email="e", role="overlord")  # E: arg-type
    db.meters.create(a, asset_id="x", name="m", unit="h", kind="counter")  # E: arg-type
    db.requests.iter_all(a, status="open")  # E: arg-type
    db.work_orders.change_parts(a, "id", "isue", part_id="p", location_id="l", quantity=1)  # E: arg-type
    db.purchase_orders.transition(a, "id", "aproved")  # E: arg-type
    db.stock.list(a, status="empty")  # E: arg-type
    db.stock.receive(a, part_id="p", location_id="l", quantity=[1])  # E: arg-type
    db.purchase_orders.create(a, vendor_id="v", site_id="s", lines=[{"part_id": "p", "location_id": "l"}])  # E: typeddict-item
    total: int = db.work_orders.cost(a, "id").total  # E: assignment
    _ = total
    page = db.work_orders.list(a)
    first: cmms.WorkOrder = page[0]
    rest: list[cmms.WorkOrder] = page[1:]
    wrong: cmms.WorkOrder = page[1:]  # E: assignment
    _ = (first, rest, wrong, {page[0]})
