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
from ._base import Actor, _Group, _native_actor

__all__ = ['Audit', 'Events']


class Audit(_Group):
    """The audit trail and its hash chain."""

    def entries(self, actor: Actor, *, after: int = 0, limit: int = 100) -> List[AuditEntry]:
        return self._call(actor, "audit.entries", List[AuditEntry], after=after, limit=limit)

    def verify(self, actor: Actor) -> Optional[BrokenLink]:
        """The first broken link of the chain, or ``None`` when it is intact."""
        return self._call(actor, "audit.verify", Optional[BrokenLink])


class Events(_Group):
    """The event outbox: read from a sequence number, or follow it live."""

    def since(self, actor: Actor, *, after: int = 0, limit: int = 100) -> EventPage:
        return self._call(actor, "events.since", EventPage, after=after, limit=limit)

    def follow(self, actor: Actor, *, after: int = 0, timeout: Optional[float] = None) -> Iterator[Event]:
        """Yields the actor's events after ``after`` as they happen; stops when ``timeout``
        seconds pass without one (``None`` waits forever)."""
        sub = self._db._native.subscribe(_native_actor(actor), after)
        while True:
            raw = sub.next(timeout)
            if raw is None:
                return
            yield loads(Event, raw)

