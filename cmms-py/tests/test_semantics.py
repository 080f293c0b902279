"""What issue 12 made precise, seen from Python: organization slugs, merge-patch updates,
counted pages, per-site numbers and chosen request numbers."""

from __future__ import annotations

import pytest

import cmms
from conftest import Org


def test_update_changes_only_the_given_fields(org: Org) -> None:
    db = org.db
    before = db.orgs.get(org.owner)
    after = db.orgs.update(org.owner, work_order_number_format="{YY}-{SITE}-{SEQ:3}")
    assert after.settings.work_order_number_format == "{YY}-{SITE}-{SEQ:3}"
    assert after.settings.auto_close_days == before.settings.auto_close_days
    assert after.name == before.name and after.slug == before.slug
    after = db.orgs.update(org.owner, auto_close_days=9)
    assert after.settings.work_order_number_format == "{YY}-{SITE}-{SEQ:3}"
    wo = db.work_orders.create(org.owner, title="Seal", site_id=org.site.id)
    assert wo.number.endswith("-NP-001")


def test_a_required_field_cannot_be_cleared(org: Org) -> None:
    with pytest.raises(cmms.ValidationError) as e:
        org.db.orgs.update(org.owner, name=None)  # type: ignore[arg-type]
    assert e.value.field in ("name", "settings.name")
    with pytest.raises(cmms.ValidationError):
        org.db.sites.update(org.owner, org.site.id, name=None)  # type: ignore[arg-type]


def test_slug_is_unique_and_editable(org: Org) -> None:
    db = org.db
    renamed = db.orgs.update(org.owner, slug=f"plant-{org.boot.org.id.hex[:6]}")
    assert renamed.slug.startswith("plant-")
    other = db.orgs.bootstrap(name="Other", owner_name="O", owner_email=f"o-{org.boot.org.id.hex[:6]}@example.test")
    other_owner = db.actor(other.org.id, other.owner.id)
    with pytest.raises(cmms.ConflictError):
        db.orgs.update(other_owner, slug=renamed.slug)


def test_exact_counts_on_request(org: Org) -> None:
    db = org.db
    for i in range(3):
        db.work_orders.create(org.owner, title=f"Job {i}", site_id=org.site.id)
    page = db.work_orders.list(org.owner, limit=2, count="exact")
    assert page.total == 3 and len(page.items) == 2
    assert db.work_orders.list(org.owner, limit=2).total is None
    with pytest.raises(cmms.ValidationError):
        db.work_orders.list(org.owner, count="roughly")  # type: ignore[arg-type]


def test_chosen_request_numbers(org: Org) -> None:
    db = org.db
    with pytest.raises(cmms.ValidationError):
        db.requests.create(org.requester, title="Leak", site_id=org.site.id, number="B2-0042")
    db.orgs.update(org.owner, caller_request_numbers=True)
    req = db.requests.create(org.requester, title="Leak", site_id=org.site.id, number="B2-0042")
    assert req.number == "B2-0042"
    with pytest.raises(cmms.ConflictError):
        db.requests.create(org.requester, title="Drip", site_id=org.site.id, number="B2-0042")
    with pytest.raises(cmms.ValidationError):
        db.requests.create(org.requester, title="Drip", site_id=org.site.id, number="b2 42")
