"""The process-wide runtime: Ctrl-C interrupts a waiting call; a forked child gets its own."""

from __future__ import annotations

import _thread
import multiprocessing
import os
import signal
import threading
import time

import pytest

import cmms
from conftest import Org


def test_ctrl_c_interrupts_a_long_call(org: Org) -> None:
    page = org.db.events.since(org.owner, after=0, limit=cmms.MAX_LIMIT)
    # A shell starts background jobs with SIGINT ignored, and Python then installs no handler:
    # interrupt_main() would do nothing. Ctrl-C in a terminal has the default handler.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            # Waits for an event that never comes, unless interrupted (the timeout only keeps
            # a broken build from hanging the suite).
            next(org.db.events.follow(org.owner, after=page.last_seq, timeout=60))
    finally:
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 30
    # The database still works afterwards.
    assert org.db.orgs.get(org.owner).id == org.boot.org.id


def _inherited(db: cmms.Cmms, queue: "multiprocessing.Queue[str]") -> None:
    try:
        db.orgs.bootstrap(name="Inherited", owner_name="Kid", owner_email="kid2@example.test")
        queue.put("used the parent's handle")
    except RuntimeError as e:
        queue.put(f"refused: {e}")


def _child(path: str, queue: "multiprocessing.Queue[str]") -> None:
    try:
        with cmms.open(f"sqlite:///{path}", migrate=True) as db:
            boot = db.orgs.bootstrap(name="Child", owner_name="Kid", owner_email="kid@example.test")
            queue.put(boot.org.name)
    except BaseException as e:  # pragma: no cover - reported to the parent
        queue.put(f"error: {e!r}")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX-only")
def test_forked_child_gets_a_fresh_runtime(tmp_path: object) -> None:
    with cmms.open(f"sqlite:///{tmp_path}/parent.db", migrate=True) as db:
        db.orgs.bootstrap(name="Parent", owner_name="P", owner_email="p@example.test")  # the runtime exists
        ctx = multiprocessing.get_context("fork")
        queue: "multiprocessing.Queue[str]" = ctx.Queue()
        proc = ctx.Process(target=_child, args=(f"{tmp_path}/child.db", queue))
        proc.start()
        result = queue.get(timeout=60)
        proc.join(60)
        assert result == "Child" and proc.exitcode == 0
        # A handle opened before the fork is refused in the child, not silently shared.
        inherited = ctx.Process(target=_inherited, args=(db, queue))
        inherited.start()
        refused = queue.get(timeout=60)
        inherited.join(60)
        assert refused.startswith("refused:") and "another process" in refused, refused
        assert db.orgs.bootstrap(name="Again", owner_name="P", owner_email="p2@example.test").org.name == "Again"
