"""The Python surface a script relies on: hashing, JSON, star imports, docstrings, finding the
organization again, passwords and API keys, history, iter_all everywhere, actors and processes."""

from __future__ import annotations

import inspect
import json
import pickle
import subprocess
import sys
import uuid
from datetime import date, datetime, timezone
from typing import Any, Callable

import pytest

import cmms
from conftest import Org


def test_records_hash_by_id_and_fit_in_sets(org: Org) -> None:
    db = org.db
    wo = db.work_orders.create(org.owner, title="Hashable", site_id=org.site.id, assignees=[org.users["tech"].id])
    again = db.work_orders.get(org.owner, wo.id)
    assert hash(wo) == hash(again) and wo == again
    assert len({wo, again}) == 1
    assert len({wo, db.work_orders.transition(org.tech, wo.id, "in_progress")}) == 2, "a new version is unequal"
    page = db.work_orders.list(org.owner)
    assert isinstance(hash(page), int)


def test_records_as_json(org: Org) -> None:
    db = org.db
    wo = db.work_orders.create(org.owner, title="JSON", site_id=org.site.id,
                               due_at=datetime(2030, 1, 1, tzinfo=timezone.utc))
    with pytest.raises(TypeError):
        json.dumps(wo.to_dict())
    data = json.loads(json.dumps(wo.to_dict(json=True)))
    assert data["id"] == str(wo.id) and data["due_at"] == "2030-01-01T00:00:00+00:00"
    assert json.loads(wo.to_json()) == data
    report = db.pm.compliance(org.owner, start=datetime(2030, 1, 1, tzinfo=timezone.utc),
                              end=datetime(2030, 2, 1, tzinfo=timezone.utc))
    assert json.loads(report.to_json())["from"] == "2030-01-01T00:00:00+00:00"


def test_star_import_keeps_the_builtin_open() -> None:
    code = "from cmms import *\nimport builtins\nassert open is builtins.open\nassert WorkOrder and Cmms\n"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert "open" not in cmms.__all__ and callable(cmms.open)


def _public_methods() -> list[tuple[str, Any]]:
    groups = [cmms.Cmms] + [type(g) for g in vars(cmms.open("sqlite::memory:")).values() if hasattr(g, "_db")]
    found: list[tuple[str, Any]] = []
    for cls in groups:
        for name, fn in inspect.getmembers(cls, inspect.isfunction):
            if not name.startswith("_"):
                found.append((f"{cls.__name__}.{name}", fn))
    return found


def test_every_public_method_has_a_docstring() -> None:
    methods = _public_methods()
    assert len(methods) > 80
    missing = [name for name, fn in methods if not (inspect.getdoc(fn) or "").strip()]
    assert missing == []
    main = ["Assets.create", "WorkOrders.create", "WorkOrders.transition", "WorkOrders.list", "Requests.create",
            "WorkOrders.log_labor", "Orgs.find", "Users.create", "Meters.record", "PmPlans.create", "Parts.create",
            "StockLocations.create", "StockRows.receive", "WorkOrders.change_parts", "WorkOrders.cost",
            "Vendors.create", "PurchaseOrders.create", "PurchaseOrders.transition", "PurchaseOrders.receive"]
    docs = dict(methods)
    assert [m for m in main if ">>>" not in (inspect.getdoc(docs[m]) or "")] == []
    assert "'low'" in (inspect.getdoc(docs["WorkOrders.create"]) or "").replace('"', "'")


def test_a_later_script_finds_its_organization(url: str, org: Org) -> None:
    slug = org.boot.org.slug
    with cmms.open(url) as later:
        found = later.orgs.find(slug)
        assert found is not None and found.id == org.boot.org.id
        assert later.orgs.find(str(org.boot.org.id)) == found
        assert later.orgs.find("no-such-org-here") is None
        assert found.id in {o.id for o in later.orgs.list()}
        system = later.system_actor(found.id)
        owner = later.users.find(system, email=org.users["tech"].email.upper())
        assert owner is not None and owner.id == org.users["tech"].id
        assert later.work_orders.list(system).items == later.work_orders.list(org.owner).items


def test_passwords_api_keys_and_grants_from_python(org: Org) -> None:
    db = org.db
    made = db.users.create(org.owner, name="Key Keeper", email=f"keys-{uuid.uuid4().hex[:6]}@example.test",
                           role="manager", sites=[org.site.id])
    assert isinstance(made, cmms.User) and made.grant is not None
    assert made.grant.role == "manager" and made.grant.sites == [org.site.id]
    assert db.users.create(org.owner, name="No role", email=f"n-{uuid.uuid4().hex[:6]}@example.test").grant is None
    db.users.set_password(org.owner, made.id, "correct horse battery staple")
    with pytest.raises(cmms.ValidationError) as e:
        db.users.set_password(org.owner, made.id, "short")
    assert e.value.field == "password"
    with pytest.raises(cmms.PermissionDeniedError):
        db.users.set_password(org.tech, made.id, "correct horse battery staple")
    key, secret = db.users.create_api_key(org.owner, name="ERP sync", role="viewer")
    assert key.role == "viewer" and len(secret) > 20 and secret not in key.to_json()
    assert [k.id for k in db.users.api_keys(org.owner)] == [key.id]
    assert db.users.revoke_api_key(org.owner, key.id).revoked_at is not None


def test_asset_history_and_iter_all_on_the_trail(org: Org) -> None:
    db = org.db
    pump = db.assets.create(org.owner, site_id=org.site.id, code="H-1", name="Pump")
    seal = db.assets.create(org.owner, parent_id=pump.id, code="H-1-S", name="Seal")
    jobs = [db.work_orders.create(org.owner, title=f"Job {i}", asset_id=a.id) for i, a in enumerate([pump, seal, pump])]
    history = db.assets.history(org.owner, pump.id, limit=2)
    assert [w.id for w in history] == [jobs[2].id, jobs[1].id] and history.next_cursor is not None
    entries = list(db.audit.iter_all(org.owner, limit=3))
    assert [e.seq for e in entries] == list(range(entries[0].seq, entries[0].seq + len(entries)))
    assert len(entries) == len(db.audit.entries(org.owner, limit=cmms.MAX_LIMIT))
    events = list(db.events.iter_all(org.owner, limit=2))
    assert [e.seq for e in events] == [e.seq for e in db.events.since(org.owner, limit=cmms.MAX_LIMIT).events]
    assert len(events) > 5


def test_dates_for_due_dates_and_naive_datetimes_refused(org: Org) -> None:
    db = org.db
    wo = db.work_orders.create(org.owner, title="By Friday", site_id=org.site.id, due_at=date(2030, 3, 1))
    assert wo.due_at == datetime(2030, 3, 1, 23, 59, 59, tzinfo=timezone.utc)
    calls: list[Callable[[], object]] = [
        lambda: db.work_orders.update(org.owner, wo.id, due_at=datetime(2030, 1, 1)),
        lambda: db.work_orders.list(org.owner, due_from=datetime(2030, 1, 1)),
        lambda: db.work_orders.log_labor(org.owner, wo.id, started_at=datetime(2030, 1, 1),
                                         ended_at=datetime(2030, 1, 1, 1)),
    ]
    for call in calls:
        with pytest.raises(cmms.ValidationError) as e:
            call()
        assert "must be timezone-aware" in str(e.value) and e.value.field in ("due_at", "due_from", "started_at")


def test_actors_do_not_pickle_but_say_what_to_do(org: Org) -> None:
    with pytest.raises(TypeError, match=r"db\.actor\(org_id, user_id\)"):
        pickle.dumps(org.owner)
    again = org.db.actor(org.owner.org_id, org.owner.user_id or uuid.uuid4())
    assert again == org.owner


def test_pages_slice() -> None:
    page = cmms.Page(items=[1, 2, 3], next_cursor=None)
    assert page[1:] == [2, 3] and page[-1] == 3


def test_every_problem_at_once_with_the_callers_names(org: Org) -> None:
    db = org.db
    with pytest.raises(cmms.ValidationError) as e:
        db.work_orders.create(org.owner, title="", priority="x", type="y", estimated_hours=-1,  # type: ignore[arg-type]
                              site_id=org.site.id)
    assert sorted(p["field"] for p in e.value.errors) == ["estimated_hours", "priority", "title", "type"]
    with pytest.raises(cmms.ValidationError) as e:
        db.assets.create(org.owner, site_id=org.site.id, code="", name="n", state="broken", criticality=9)  # type: ignore[arg-type]
    assert sorted(p["field"] for p in e.value.errors) == ["code", "criticality", "state"]
    with pytest.raises(cmms.ValidationError) as e:
        db.users.create(org.owner, name="R", email="r@example.test", role="overlord")  # type: ignore[arg-type]
    assert e.value.field == "role"
    with pytest.raises(cmms.ValidationError) as e:
        db.work_orders.create(org.owner, title="t", site_id=org.site.id,
                              checklist=[{"lable": "Isolate"}])  # type: ignore[typeddict-item, typeddict-unknown-key]
    assert {p["field"] for p in e.value.errors} == {"checklist[0].lable", "checklist[0].label"}
    assert "did you mean 'label'" in str(e.value)
    with pytest.raises(TypeError, match=r"^checklist\[0\]: expected a dict"):
        db.work_orders.create(org.owner, title="t", site_id=org.site.id, checklist=["Isolate"])  # type: ignore[list-item]
    with pytest.raises(cmms.ValidationError) as e:
        db.pm_plans.update(org.owner, uuid.uuid4(), priority="soonish")  # type: ignore[arg-type]
    assert e.value.field == "priority", "not patch.priority"


def test_literal_types_match_the_core_vocabularies(org: Org) -> None:
    import typing

    db = org.db
    cases: dict[Any, Callable[[Any], object]] = {
        cmms.types.Priority: lambda v: db.work_orders.list(org.owner, priority=v),
        cmms.types.WorkOrderStatus: lambda v: db.work_orders.list(org.owner, status=v),
        cmms.types.WorkOrderType: lambda v: db.work_orders.list(org.owner, type=v),
        cmms.types.RequestStatus: lambda v: db.requests.list(org.owner, status=v),
        cmms.types.AssetState: lambda v: db.assets.list(org.owner, state=v),
        cmms.types.BuiltinRole: lambda v: db.users.grant_role(org.owner, org.users["tech"].id, v),
        cmms.types.SiteKind: lambda v: db.sites.create(org.owner, name="s", code="S9", kind=v),
        cmms.types.LaborCategory: lambda v: db.work_orders.log_labor(org.owner, uuid.uuid4(), minutes=1, category=v),
        cmms.types.MeterKind: lambda v: db.meters.create(org.owner, asset_id=uuid.uuid4(), name="m", unit="h", kind=v),
        cmms.types.FailureCodeKind: lambda v: db.orgs.create_failure_code(org.owner, kind=v, code="c", description="d"),
    }
    for literal, call in cases.items():
        with pytest.raises(cmms.ValidationError) as e:
            call("not-a-value")
        expected = str(e.value).split("expected one of: ")[1].split(";")[0].strip()
        assert tuple(x.strip() for x in expected.split(",")) == typing.get_args(literal), literal
