# mypy: disable-error-code="no-any-return"
"""The audit trail and the event outbox."""

from __future__ import annotations

from typing import Iterator, List, Optional

from ._convert import loads
from .models import (
    AuditEntry,
    BrokenLink,
    Event,
    EventPage,
)
from ._base import PAGE, Actor, _Group, _native_actor

__all__ = ['Audit', 'Events']


class Audit(_Group):
    """The audit trail and its hash chain."""

    def entries(self, actor: Actor, *, after: int = 0, limit: Optional[int] = None) -> List[AuditEntry]:
        """Up to ``limit`` audit entries after sequence number ``after``, oldest first; ``limit``
        is bounded like every list's: 1 to :data:`cmms.MAX_LIMIT` (500), default
        :data:`cmms.DEFAULT_LIMIT` (50)."""
        return self._call(actor, "audit.entries", List[AuditEntry], after=after, limit=limit)

    def iter_all(self, actor: Actor, *, after: int = 0, limit: int = PAGE) -> Iterator[AuditEntry]:
        """Every audit entry after ``after``, fetched ``limit`` at a time (default
        :data:`cmms.DEFAULT_LIMIT`; :data:`cmms.MAX_LIMIT` walks in fewer calls).

        >>> actions = collections.Counter(e.action for e in db.audit.iter_all(owner))  # doctest: +SKIP
        """
        while True:
            batch = self.entries(actor, after=after, limit=limit)
            yield from batch
            if len(batch) < limit:
                return
            after = batch[-1].seq

    def verify(self, actor: Actor) -> Optional[BrokenLink]:
        """The first broken link of the chain, or ``None`` when it is intact."""
        return self._call(actor, "audit.verify", Optional[BrokenLink])


class Events(_Group):
    """The event outbox: read from a sequence number, or follow it live."""

    def since(self, actor: Actor, *, after: int = 0, limit: Optional[int] = None) -> EventPage:
        """The actor's events after sequence number ``after``, scanning up to ``limit`` (bounded
        like every list's: 1 to :data:`cmms.MAX_LIMIT`, default :data:`cmms.DEFAULT_LIMIT`);
        pass the page's ``last_seq`` as ``after`` next time (it moves past events the actor may
        not see, too)."""
        return self._call(actor, "events.since", EventPage, after=after, limit=limit)

    def iter_all(self, actor: Actor, *, after: int = 0, limit: int = PAGE) -> Iterator[Event]:
        """Every event of the actor's after ``after`` that exists now, ``limit`` scanned at a time
        (default :data:`cmms.DEFAULT_LIMIT`; use :meth:`follow` to keep waiting for new ones)."""
        while True:
            page = self.since(actor, after=after, limit=limit)
            yield from page.events
            if page.last_seq <= after:
                return
            after = page.last_seq

    def follow(self, actor: Actor, *, after: int = 0, timeout: Optional[float] = None) -> Iterator[Event]:
        """Yields the actor's events after ``after`` as they happen, also those committed by
        other processes on the same database; stops when ``timeout`` seconds pass without one
        (``None`` waits forever).

        >>> for event in db.events.follow(owner, timeout=5):  # doctest: +SKIP
        ...     print(event.seq, event.kind)
        """
        sub = self._db._native.subscribe(_native_actor(actor), after)
        while True:
            raw = sub.next(timeout)
            if raw is None:
                return
            yield loads(Event, raw)
