"""Following events across processes: a follower sees what another process commits to the same
database, live (SQLite: within about 0.2 s, see docs/stores.md; PostgreSQL: LISTEN/NOTIFY)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import cmms
from conftest import make_org

WRITER = """
import sys, cmms
url, org_id, user_id, site_id = sys.argv[1:5]
with cmms.open(url) as db:
    actor = db.actor(org_id, user_id)
    print("ready", flush=True)
    sys.stdin.readline()
    for i in range(10):
        db.work_orders.create(actor, title=f"From the child {i}", site_id=site_id)
print("done", flush=True)
"""


def test_follow_sees_another_process_commits(url: str) -> None:
    with cmms.open(url, migrate=True) as db:
        org = make_org(db)
        start = db.events.since(org.owner, after=0, limit=cmms.MAX_LIMIT).last_seq
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, url, str(org.boot.org.id), str(org.users["manager"].id), str(org.site.id)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        try:
            assert child.stdout is not None and child.stdin is not None
            assert child.stdout.readline().strip() == "ready"

            # The child starts writing once the parent is already waiting for events.
            def go() -> None:
                time.sleep(0.3)
                assert child.stdin is not None
                child.stdin.write("go\n")
                child.stdin.flush()

            threading.Thread(target=go, daemon=True).start()
            titles = []
            for event in db.events.follow(org.owner, after=start, timeout=10):
                if event.kind == "work_order.created":
                    titles.append(event.payload["title"])
                if len(titles) == 10:
                    break
        finally:
            out, _ = child.communicate(timeout=60)
        assert child.returncode == 0, out
        assert titles == [f"From the child {i}" for i in range(10)]
