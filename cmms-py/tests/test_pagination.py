"""Pages, cursors and iter_all."""

from __future__ import annotations

import cmms
import uuid
from typing import List, Optional

import pytest

from conftest import Org


def test_pages_and_iter_all(org: Org) -> None:
    db = org.db
    levels: List[cmms.types.Priority] = ["low", "medium", "high", "urgent"]
    made = [db.work_orders.create(org.manager, title=f"Job {i:02}", site_id=org.site.id,
                                  priority=levels[i % 4]) for i in range(23)]
    seen: List[uuid.UUID] = []
    cursor: Optional[str] = None
    while True:
        page = db.work_orders.list(org.manager, limit=5, cursor=cursor)
        assert isinstance(page, cmms.Page) and len(page) <= 5
        seen.extend(w.id for w in page)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [w.id for w in reversed(made)]
    urgent = [w.id for w in db.work_orders.iter_all(org.manager, priority="urgent", limit=2)]
    assert urgent == [w.id for w in reversed(made) if w.priority == "urgent"]
    by_priority = list(db.work_orders.iter_all(org.manager, sort="priority", limit=4))
    ranks = {"low": 1, "medium": 2, "high": 3, "urgent": 4}
    assert [ranks[w.priority] for w in by_priority] == sorted((ranks[w.priority] for w in made), reverse=True)
    text = db.work_orders.list(org.manager, text="job 1")
    assert {w.title for w in text} == {f"Job {i:02}" for i in range(10, 20)}
    users = list(db.users.iter_all(org.owner, limit=3))
    assert len(users) == 8 and [u.email for u in users] == sorted(u.email for u in users)


def test_one_page_limit_for_every_list(org: Org) -> None:
    db = org.db
    # Core's one default and one bound, the same in Rust, HTTP and here.
    assert (cmms.DEFAULT_LIMIT, cmms.MAX_LIMIT) == (50, 500)
    for i in range(60):
        db.work_orders.create(org.manager, title=f"Job {i:02}", site_id=org.site.id)
    assert len(db.work_orders.list(org.manager)) == cmms.DEFAULT_LIMIT
    assert len(db.audit.entries(org.owner)) == cmms.DEFAULT_LIMIT
    assert len(db.events.since(org.owner).events) == cmms.DEFAULT_LIMIT
    assert len(db.audit.entries(org.owner, limit=cmms.MAX_LIMIT)) > cmms.DEFAULT_LIMIT
    for too_many in (
        lambda: db.work_orders.list(org.manager, limit=cmms.MAX_LIMIT + 1),
        lambda: db.audit.entries(org.owner, limit=cmms.MAX_LIMIT + 1),
        lambda: db.events.since(org.owner, limit=cmms.MAX_LIMIT + 1),
    ):
        with pytest.raises(cmms.ValidationError, match="limit"):
            too_many()
