# mypy: disable-error-code="no-any-return"
"""In-app notifications: ``db.notifications`` (the caller's list, read state, unread count,
channel preferences, watching work orders) and the consumer that derives them from events,
``db.deliver_notifications``."""

from __future__ import annotations

from datetime import datetime
from typing import Dict, Iterator, List, Mapping, Optional

from ._base import PAGE, Actor, Id, _Group, _id
from .models import DeliveryReport, Notification, NotificationPreference, Page, UnreadCount, Watch

__all__ = ["Notifications"]

#: Channel choices per kind: ``{"assigned": {"in_app": True, "email": False}}``.
ChannelChoices = Mapping[str, Mapping[str, bool]]


def _choices(channels: ChannelChoices) -> Dict[str, Dict[str, bool]]:
    if not isinstance(channels, Mapping):
        raise TypeError("channels: expected a dict of kind -> {'in_app': bool, 'email': bool}")
    return {str(k): dict(v) for k, v in channels.items()}


class Notifications(_Group):
    """The caller's notifications, newest first, and what they want to hear about."""

    def list(
        self, actor: Actor, *, unread: bool = False, limit: Optional[int] = None, cursor: Optional[str] = None,
    ) -> Page[Notification]:
        """One page of the caller's notifications, newest first (``unread=True``: unread only).

        >>> page = db.notifications.list(tech, unread=True)  # doctest: +SKIP
        """
        return self._page(actor, "notifications.list", Notification, unread=bool(unread), limit=limit, cursor=cursor)

    def iter_all(self, actor: Actor, *, unread: bool = False, page_size: int = PAGE) -> Iterator[Notification]:
        """Every notification of the caller, page by page."""
        return self._walk(lambda c: self.list(actor, unread=unread, limit=page_size, cursor=c))

    def read(self, actor: Actor, id: Id) -> Notification:
        """Marks one of the caller's notifications read (again: no change)."""
        return self._call(actor, "notifications.read", Notification, id=_id(id))

    def read_all(self, actor: Actor) -> int:
        """Marks every unread notification of the caller read; returns how many were."""
        return self._call(actor, "notifications.read_all", int)

    def unread_count(self, actor: Actor) -> UnreadCount:
        """How many of the caller's notifications are unread (up to 500)."""
        return self._call(actor, "notifications.unread_count", UnreadCount)

    def preferences(self, actor: Actor) -> List[NotificationPreference]:
        """The caller's channels for every kind, and which level chose each."""
        return self._call(actor, "notifications.preferences", List[NotificationPreference])

    def set_preferences(self, actor: Actor, channels: ChannelChoices) -> List[NotificationPreference]:
        """Sets the caller's channels for the kinds named (others keep theirs).

        >>> db.notifications.set_preferences(tech, {"assigned": {"in_app": True, "email": True}})  # doctest: +SKIP
        """
        return self._call(actor, "notifications.set_preferences", List[NotificationPreference], channels=_choices(channels))

    def org_defaults(self, actor: Actor) -> List[NotificationPreference]:
        """The organization's default channels per kind."""
        return self._call(actor, "notifications.org_defaults", List[NotificationPreference])

    def set_org_defaults(self, actor: Actor, channels: ChannelChoices) -> List[NotificationPreference]:
        """Sets the organization's default channels for the kinds named (``org.manage``)."""
        return self._call(actor, "notifications.set_org_defaults", List[NotificationPreference], channels=_choices(channels))

    def watch(self, actor: Actor, work_order_id: Id) -> Watch:
        """Starts watching a work order the caller may read."""
        return self._call(actor, "notifications.watch", Watch, id=_id(work_order_id, "work_order_id"))

    def unwatch(self, actor: Actor, work_order_id: Id) -> bool:
        """Stops watching a work order; returns whether the caller was watching it."""
        return self._call(actor, "notifications.unwatch", bool, id=_id(work_order_id, "work_order_id"))

    def watching(self, actor: Actor, work_order_id: Id) -> bool:
        """Whether the caller watches a work order."""
        return self._call(actor, "notifications.watching", bool, id=_id(work_order_id, "work_order_id"))

    def deliver(self, now: Optional[datetime] = None) -> DeliveryReport:
        """Runs the notification consumer once for every organization (see
        :meth:`Cmms.deliver_notifications`)."""
        return self._call(None, "notifications.deliver", DeliveryReport, now=now)
