"""Shared fixtures: a database per backend (SQLite files always; PostgreSQL when
CMMS_PY_TEST_DATABASE_URL names a database, as scripts/test arranges), and a fresh
organization per test."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Tuple

import pytest

import cmms

PG_URL = os.environ.get("CMMS_PY_TEST_DATABASE_URL", "")
if not PG_URL and os.environ.get("CMMS_PY_TEST_SQLITE_ONLY") != "1":
    # Never pass by leaving Postgres out silently.
    raise RuntimeError(
        "set CMMS_PY_TEST_DATABASE_URL to a PostgreSQL database for the Postgres half of the suite "
        "(scripts/test does), or CMMS_PY_TEST_SQLITE_ONLY=1 to run the SQLite half alone"
    )
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


@pytest.fixture(params=BACKENDS)
def url(request: Any, tmp_path: Any) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'plant.db'}"
    # One shared, migrated database; every test works in organizations of its own.
    return PG_URL


@pytest.fixture
def db(url: str) -> Iterator[cmms.Cmms]:
    with cmms.open(url, migrate=True) as database:
        yield database


@dataclass
class Org:
    db: cmms.Cmms
    boot: cmms.Bootstrapped
    owner: cmms.Actor
    site: cmms.Site
    people: Dict[str, cmms.Actor]
    users: Dict[str, cmms.User]

    def __getattr__(self, name: str) -> cmms.Actor:
        try:
            return self.people[name]
        except KeyError:
            raise AttributeError(name) from None


def make_org(db: cmms.Cmms) -> Org:
    tag = uuid.uuid4().hex[:8]
    boot = db.orgs.bootstrap(name=f"Org {tag}", owner_name="Olivia Owner", owner_email=f"owner-{tag}@example.test")
    owner = db.actor(boot.org.id, boot.owner.id)
    site = db.sites.create(owner, name="North Plant", code="NP")
    people: Dict[str, cmms.Actor] = {}
    users: Dict[str, cmms.User] = {}
    roles: List[Tuple[str, cmms.types.BuiltinRole]] = [
        ("manager", "manager"),
        ("tech", "technician"),
        ("tech2", "technician"),
        ("contractor", "contractor"),
        ("requester", "requester"),
        ("requester2", "requester"),
        ("viewer", "viewer"),
    ]
    for name, role in roles:
        user = db.users.create(owner, name=f"{name} {tag}", email=f"{name}-{tag}@example.test", role=role)
        users[name] = user
        people[name] = db.actor(boot.org.id, user.id)
    return Org(db=db, boot=boot, owner=owner, site=site, people=people, users=users)


@pytest.fixture
def org(db: cmms.Cmms) -> Org:
    return make_org(db)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    """A Rust panic must never reach Python: fail loudly if one does."""
    outcome: Any = yield
    if call.excinfo is not None and call.excinfo.type.__name__ == "PanicException":
        report = outcome.get_result()
        report.outcome = "failed"
        report.longrepr = f"a Rust panic reached Python: {call.excinfo.value!r}"
