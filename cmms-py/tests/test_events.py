"""Following events: from a sequence number, live, filtered by what the actor may read."""

from __future__ import annotations

import threading
from typing import List

import cmms
from conftest import Org


def test_since_and_follow(org: Org) -> None:
    db = org.db
    page = db.events.since(org.owner, after=0, limit=cmms.MAX_LIMIT)
    assert [e.seq for e in page.events] == list(range(1, page.last_seq + 1))
    start = page.last_seq
    made = [db.work_orders.create(org.manager, title=f"E{i}", site_id=org.site.id) for i in range(3)]
    followed = list(db.events.follow(org.owner, after=start, timeout=0.5))
    assert [e.entity.id for e in followed] == [w.id for w in made]
    assert all(isinstance(e, cmms.Event) and e.kind == "work_order.created" for e in followed)
    assert [e.seq for e in followed] == [start + 1, start + 2, start + 3]

    # Live: an event committed by another thread while we wait.
    def later() -> None:
        db.work_orders.create(org.manager, title="Live", site_id=org.site.id)

    timer = threading.Timer(0.3, later)
    timer.start()
    live = next(db.events.follow(org.owner, after=start + 3, timeout=10))
    timer.join()
    assert live.payload["title"] == "Live"

    # A requester follows only what concerns them.
    mine = db.work_orders.create(org.manager, title="Mine", site_id=org.site.id, requested_by=org.users["requester"].id)
    seen = list(db.events.follow(org.requester, after=start, timeout=0.5))
    assert [e.entity.id for e in seen] == [mine.id]


def test_close_ends_followers(url: str) -> None:
    from conftest import make_org

    db = cmms.open(url, migrate=True)
    org = make_org(db)
    start = db.events.since(org.owner, after=0, limit=cmms.MAX_LIMIT).last_seq
    outcome: List[str] = []

    def follow() -> None:
        try:
            for _ in db.events.follow(org.owner, after=start, timeout=None):
                pass
        except RuntimeError as e:
            outcome.append(str(e))

    t = threading.Thread(target=follow)
    t.start()
    threading.Event().wait(0.3)
    db.close()
    t.join(30)
    assert not t.is_alive() and outcome and "closed" in outcome[0]
