"""Python threads run store calls in parallel (the GIL is released) and stay correct."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import List

import cmms
from conftest import make_org


def test_eight_threads_create_work_orders(url: str) -> None:
    with cmms.open(url, migrate=True) as db:
        org = make_org(db)

        def create(i: int) -> List[str]:
            return [
                db.work_orders.create(org.manager, title=f"Thread {i} job {j}", site_id=org.site.id).number
                for j in range(10)
            ]

        with ThreadPoolExecutor(max_workers=8) as pool:
            numbers = [n for batch in pool.map(create, range(8)) for n in batch]
        assert len(numbers) == 80 and len(set(numbers)) == 80
        seqs = sorted(int(n.rsplit("-", 1)[1]) for n in numbers)
        assert seqs == list(range(1, 81))
        assert db.audit.verify(org.owner) is None
