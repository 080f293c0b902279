"""Every exception class, with its stable code; bad arguments are TypeError / ValueError."""

from __future__ import annotations

import uuid

import pytest

import cmms
from conftest import Org


def test_exception_classes_and_codes(org: Org) -> None:
    db = org.db
    assert issubclass(cmms.ValidationError, ValueError) and issubclass(cmms.NotFoundError, LookupError)
    for cls in (cmms.NotFoundError, cmms.PermissionDeniedError, cmms.ValidationError, cmms.InvalidTransitionError,
                cmms.ConflictError, cmms.BusyError, cmms.StorageError):
        assert issubclass(cls, cmms.CmmsError)

    with pytest.raises(cmms.NotFoundError) as nf:
        db.work_orders.get(org.owner, uuid.uuid4())
    assert nf.value.code == "not_found"

    wo = db.work_orders.create(org.manager, title="Job", site_id=org.site.id)
    with pytest.raises(cmms.PermissionDeniedError) as pd:
        db.work_orders.delete(org.viewer, wo.id)
    assert pd.value.code == "forbidden"

    with pytest.raises(cmms.ValidationError) as ve:
        db.work_orders.create(org.manager, title="", site_id=org.site.id, description="d" * 5001)
    assert ve.value.code == "validation_failed"
    assert {e["field"] for e in ve.value.errors} == {"title", "description"}

    with pytest.raises(cmms.InvalidTransitionError) as it:
        db.work_orders.transition(org.manager, wo.id, "closed")
    assert it.value.code == "invalid_transition"

    db.work_orders.update(org.manager, wo.id, title="First", expected_version=wo.version)
    with pytest.raises(cmms.ConflictError) as cf:
        db.work_orders.update(org.manager, wo.id, title="Second", expected_version=wo.version)
    assert cf.value.code == "conflict" and cf.value.current_version == wo.version + 1

    # Busy and storage errors come from the database itself; reproduce them for real.
    # A storage error: the schema is missing (a database nobody migrated).
    with cmms.open("sqlite::memory:") as raw:
        with pytest.raises(cmms.StorageError) as st:
            raw.orgs.bootstrap(name="x", owner_name="y", owner_email="z@example.test")
        assert st.value.code == "store_error"


def test_busy_error_on_a_locked_file(tmp_path: object) -> None:
    # The lock must come from ANOTHER process: two SQLite libraries in one process (Python's
    # and the bundled one in cmms) do not see each other's POSIX locks.
    import subprocess
    import sys

    path = f"{tmp_path}/locked.db"
    with cmms.open(f"sqlite:///{path}", migrate=True) as db:
        holder = subprocess.Popen(
            [sys.executable, "-c",
             "import sqlite3, sys; c = sqlite3.connect(sys.argv[1], isolation_level=None); "
             "c.execute('BEGIN EXCLUSIVE'); print('locked', flush=True); sys.stdin.read()", path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        try:
            assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
            with pytest.raises(cmms.BusyError) as busy:
                db.orgs.bootstrap(name="x", owner_name="y", owner_email="z@example.test")
            assert busy.value.code == "busy"
        finally:
            holder.communicate("", timeout=30)
        # Once the lock is gone, the same call works.
        assert db.orgs.bootstrap(name="x", owner_name="y", owner_email="z@example.test").org.name == "x"


def test_bad_arguments(org: Org) -> None:
    db = org.db
    with pytest.raises(TypeError, match="title"):
        db.work_orders.create(org.manager, title=5, site_id=org.site.id)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="not a valid id"):
        db.work_orders.get(org.manager, "not-a-uuid")
    with pytest.raises(TypeError):
        db.work_orders.get(org.manager, 42)  # type: ignore[arg-type]
    with pytest.raises(cmms.ValidationError) as bad_status:
        db.work_orders.list(org.manager, status="done")  # type: ignore[arg-type]
    assert bad_status.value.field == "status[0]"
    with pytest.raises(ValueError) as bad_to:
        db.work_orders.transition(org.manager, uuid.uuid4(), "finished")  # type: ignore[arg-type]
    assert "finished" in str(bad_to.value)
    with pytest.raises(TypeError):
        db.work_orders.create(org.manager, title="x", site_id=org.site.id, nonsense=1)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="actor"):
        db.work_orders.get("me", uuid.uuid4())  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        cmms.open("mysql://nope")
    with pytest.raises(cmms.ValidationError) as limit:
        db.work_orders.list(org.manager, limit=0)
    assert limit.value.field == "limit"


def test_closed_database_raises(url: str) -> None:
    db = cmms.open(url, migrate=True)
    db.close()
    assert db.closed
    with pytest.raises(RuntimeError, match="closed"):
        db.orgs.bootstrap(name="x", owner_name="y", owner_email="z@example.test")


def test_urls_never_show_passwords() -> None:
    with pytest.raises(ValueError) as err:
        cmms.open("mysql://someone:s3cret@db.example.test/cmms")
    assert "s3cret" not in str(err.value)
    from cmms._base import _redacted

    assert _redacted("postgres://u:pw@h/db") == "postgres://u:***@h/db"
    assert _redacted("sqlite:///tmp/x.db") == "sqlite:///tmp/x.db"


def test_huge_timeouts_do_not_panic(org: "Org") -> None:
    page = org.db.events.since(org.owner, after=0, limit=cmms.MAX_LIMIT)
    sub = org.db._native.subscribe(org.owner._native, page.last_seq)
    org.db.work_orders.create(org.manager, title="after", site_id=org.site.id)
    assert sub.next(1e20) is not None
