"""``db.mail``: the mail outbox (what waits, what was sent, what is dead)."""

from __future__ import annotations

from typing import List, Optional

from ._base import Actor, _Group, _native_actor
from ._convert import loads
from .models import OutboxMail


class Mail(_Group):
    """The mail outbox of an organization (admins: ``org.manage``)."""

    def list(self, actor: Actor, *, status: Optional[str] = None, limit: int = 100) -> List[OutboxMail]:
        """Mails in ``status`` (``pending``, ``sent``, ``dead``; all when omitted), those due
        first. Bodies are never shown.

        >>> dead = db.mail.list(owner, status="dead")  # doctest: +SKIP
        """
        native = self._db._native.mail_outbox(_native_actor(actor), status, limit)
        rows: List[OutboxMail] = loads(List[OutboxMail], native)
        return rows
