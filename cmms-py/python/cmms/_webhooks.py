# mypy: disable-error-code="no-any-return"
"""Webhook subscriptions: ``db.webhooks`` (create — the secret is returned once — list, change,
delete, the delivery log, replay, test messages) and delivery, ``db.deliver_webhooks``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

from ._base import Actor, Id, _Group, _id, _native_actor
from ._convert import UNSET, loads
from .models import CreatedWebhook, Webhook, WebhookDelivery, WebhookReport

__all__ = ["Webhooks"]


def _when(now: Optional[datetime]) -> Optional[str]:
    if now is None:
        return None
    if now.tzinfo is None:
        raise ValueError("now: expected a timezone-aware datetime")
    return now.isoformat()


class Webhooks(_Group):
    """An organization's webhook subscriptions (admins: ``webhook.manage``). Each receives the
    organization's events from its creation on, in order, signed the Standard Webhooks way.

    >>> made = db.webhooks.create(admin, "https://erp.example.com/cmms", event_types=["work_order.status_changed"])  # doctest: +SKIP
    >>> made.secret  # shown this once  # doctest: +SKIP
    'whsec_...'
    """

    def create(
        self, actor: Actor, url: str, *, event_types: Optional[Sequence[str]] = None, description: str = "",
    ) -> CreatedWebhook:
        """Subscribes ``url`` (``https://``; ``http://`` only where the organization's
        ``webhooks_allow_http`` setting allows it) to the event types named (all when omitted)."""
        if isinstance(event_types, str):
            raise TypeError("event_types: expected a list of event types, not a string")
        return self._call(actor, "webhooks.create", CreatedWebhook, url=url,
                          event_types=list(event_types or []), description=description)

    def list(self, actor: Actor) -> List[Webhook]:
        """Every subscription (without secrets), oldest first."""
        return self._call(actor, "webhooks.list", List[Webhook])

    def get(self, actor: Actor, id: Id) -> Webhook:
        """One subscription."""
        return self._call(actor, "webhooks.get", Webhook, id=_id(id))

    def update(
        self,
        actor: Actor,
        id: Id,
        *,
        url: Any = UNSET,
        event_types: Any = UNSET,
        description: Any = UNSET,
        active: Any = UNSET,
        expected_version: Optional[int] = None,
    ) -> Webhook:
        """Changes the fields given. ``active=True`` turns a disabled subscription back on: it
        resumes with the event it stopped at."""
        fields: Dict[str, Any] = {k: v for k, v in (("url", url), ("event_types", event_types),
                                  ("description", description), ("active", active)) if v is not UNSET}
        return self._call(actor, "webhooks.update", Webhook, id=_id(id), expected_version=expected_version, **fields)

    def delete(self, actor: Actor, id: Id) -> None:
        """Deletes a subscription and its delivery log."""
        self._call(actor, "webhooks.delete", type(None), id=_id(id))

    def deliveries(
        self, actor: Actor, id: Id, *, limit: Optional[int] = None, before: Optional[Id] = None,
        event_seq: Optional[int] = None,
    ) -> List[WebhookDelivery]:
        """The delivery log, newest first: one row per attempt (status, latency, excerpt)."""
        return self._call(actor, "webhooks.deliveries", List[WebhookDelivery], id=_id(id), limit=limit,
                          before=_id(before, "before") if before is not None else None, event_seq=event_seq)

    def replay(self, actor: Actor, id: Id, from_seq: int) -> Webhook:
        """Sends every wanted event from sequence number ``from_seq`` on again, in order, with
        the same ``webhook-id`` headers (receivers dedupe on them)."""
        return self._call(actor, "webhooks.replay", Webhook, id=_id(id), from_seq=from_seq)

    def test(self, actor: Actor, id: Id) -> WebhookDelivery:
        """Sends a ``webhook.test`` message to the subscription now; returns its log row."""
        raw = self._db._native.test_webhook(_native_actor(actor), _id(id))
        return loads(WebhookDelivery, raw)

    def deliver(self, now: Optional[datetime] = None) -> WebhookReport:
        """Delivers what waits for every organization's subscriptions (see
        :meth:`Cmms.deliver_webhooks`)."""
        return loads(WebhookReport, self._db._native.deliver_webhooks(_when(now)))
