"""Roles and tenants: the same rules as Rust and the server."""

from __future__ import annotations

import pytest

import cmms
from conftest import Org, make_org


def test_roles(org: Org) -> None:
    db = org.db
    mine = db.work_orders.create(org.manager, title="Tech job", site_id=org.site.id, assignees=[org.users["tech"].id])
    theirs = db.work_orders.create(org.manager, title="Other job", site_id=org.site.id, assignees=[org.users["tech2"].id])
    # The viewer reads everything and changes nothing.
    assert db.work_orders.get(org.viewer, mine.id) == mine
    with pytest.raises(cmms.PermissionDeniedError) as err:
        db.work_orders.update(org.viewer, mine.id, title="Renamed")
    assert err.value.code == "forbidden"
    # A technician updates only work assigned to them, and cannot delete.
    assert db.work_orders.update(org.tech, mine.id, title="Renamed").title == "Renamed"
    with pytest.raises(cmms.PermissionDeniedError):
        db.work_orders.update(org.tech, theirs.id, title="Nope")
    with pytest.raises(cmms.PermissionDeniedError):
        db.work_orders.delete(org.tech, mine.id)
    # A contractor sees only assigned work.
    assigned = db.work_orders.create(org.manager, title="Contract", site_id=org.site.id, assignees=[org.users["contractor"].id])
    assert [w.id for w in db.work_orders.list(org.contractor)] == [assigned.id]
    with pytest.raises(cmms.NotFoundError):
        db.work_orders.get(org.contractor, mine.id)
    # Requesters see only their own requests.
    own = db.requests.create(org.requester, title="Leak", site_id=org.site.id)
    db.requests.create(org.requester2, title="Light", site_id=org.site.id)
    assert [r.id for r in db.requests.list(org.requester)] == [own.id]
    with pytest.raises(cmms.NotFoundError):
        db.requests.get(org.requester2, own.id)
    # Grant-below: managers cannot make managers.
    with pytest.raises(cmms.PermissionDeniedError):
        db.users.grant_role(org.manager, org.users["viewer"].id, "manager")
    grant = db.users.grant_role(org.manager, org.users["viewer"].id, "technician", sites=[org.site.id])
    assert grant.role == "technician" and grant.sites == [org.site.id]


def test_tenant_isolation(db: cmms.Cmms) -> None:
    a, b = make_org(db), make_org(db)
    b_wo = db.work_orders.create(b.manager, title="B work", site_id=b.site.id)
    for call in (
        lambda: db.work_orders.get(a.owner, b_wo.id),
        lambda: db.work_orders.transition(a.owner, b_wo.id, "cancelled", "not ours"),
        lambda: db.work_orders.update(a.owner, b_wo.id, title="x"),
        lambda: db.sites.get(a.owner, b.site.id),
        lambda: db.work_orders.create(a.owner, title="x", site_id=b.site.id),
        lambda: db.work_orders.list(a.owner, site=b.site.id),
        lambda: db.users.get(a.owner, b.users["tech"].id),
    ):
        with pytest.raises(cmms.NotFoundError) as err:
            call()
        assert err.value.code == "not_found"
    assert all(w.org_id == a.boot.org.id for w in db.work_orders.iter_all(a.owner))
    assert db.work_orders.get(b.owner, b_wo.id) == b_wo


def test_custom_roles(org: Org) -> None:
    db = org.db
    role = db.users.create_role(org.owner, name="Planner", level=60,
                                permissions={"work_order.read": "any", "work_order.create": "any", "site.read": "any"})
    assert role.permissions == {"work_order.read": "any", "work_order.create": "any", "site.read": "any"}
    planner = db.users.create(org.manager, name="Pat Planner", email=f"pat-{role.id.hex[:6]}@example.test", role=role.id)
    (grant,) = db.users.grants(org.owner, planner.id)
    assert grant.role == role.id
    renamed = db.users.update_role(org.owner, role.id, name="Planners", expected_version=role.version)
    assert renamed.name == "Planners" and db.users.list_roles(org.viewer) == [renamed]
    with pytest.raises(cmms.PermissionDeniedError):
        db.users.update_role(org.manager, role.id, level=65)
