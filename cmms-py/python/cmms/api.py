"""The pythonic face of cmms: :func:`open` returns a :class:`Cmms` whose groups (``orgs``,
``sites``, ``users``, ``assets``, ``work_orders``, ``requests``, ``meters``, ``pm_plans``, ``pm``,
``parts``, ``stock_locations``, ``stock``, ``vendors``, ``purchase_orders``, ``audit``, ``events``, ``notifications``, ``mail``, ``attachments``, ``webhooks``) carry
the use cases of the Rust ``Cmms`` facade, with the same keyword names and defaults."""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any, Optional

from . import _cmms
from ._base import Actor, Id, _id, _redacted
from ._convert import UNSET, loads
from .models import DeliveryReport, MailReport, WebhookReport
from ._mail import Mail
from ._inventory import Parts, PurchaseOrders, StockLocations, StockRows, Vendors
from ._notifications import Notifications
from ._people import Orgs, Sites, Users
from ._pm import Meters, Pm, PmPlans
from ._trail import Audit, Events
from ._files import Attachments
from ._webhooks import Webhooks
from ._work import Assets, Requests, WorkOrders

__all__ = ["open", "Cmms", "Actor", "UNSET"]


class Cmms:
    """An open cmms database. Use :func:`open`; close it with :meth:`close` or a ``with`` block."""

    def __init__(self, native: Any, url: str) -> None:
        self._native = native
        self._url = url
        self.orgs = Orgs(self)
        self.sites = Sites(self)
        self.users = Users(self)
        self.assets = Assets(self)
        self.work_orders = WorkOrders(self)
        self.meters = Meters(self)
        self.pm_plans = PmPlans(self)
        self.pm = Pm(self)
        self.parts = Parts(self)
        self.stock_locations = StockLocations(self)
        self.stock = StockRows(self)
        self.vendors = Vendors(self)
        self.purchase_orders = PurchaseOrders(self)
        self.requests = Requests(self)
        self.audit = Audit(self)
        self.events = Events(self)
        self.notifications = Notifications(self)
        self.mail = Mail(self)
        self.attachments = Attachments(self)
        self.webhooks = Webhooks(self)

    def __repr__(self) -> str:
        state = "closed" if self._native.closed else "open"
        return f"<cmms.Cmms {_redacted(self._url)!r} {state}>"

    def __enter__(self) -> "Cmms":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def migrate(self) -> int:
        """Applies pending schema migrations; returns the schema version."""
        version: int = self._native.migrate()
        return version

    def schema_version(self) -> int:
        """The database's schema version (see :meth:`migrate`)."""
        version: int = self._native.schema_version()
        return version

    def close(self) -> None:
        """Closes the database; further calls raise ``RuntimeError``."""
        self._native.close()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return bool(self._native.closed)

    def deliver_notifications(self, now: Optional[datetime] = None) -> DeliveryReport:
        """Derives notifications from every organization's new events, as of ``now`` (default:
        the current time): resumable and safe to run from several processes, since each
        organization's cursor moves in the same commit as the notifications it wrote.

        >>> report = db.deliver_notifications()  # doctest: +SKIP
        >>> report.in_app, report.pending  # doctest: +SKIP
        (2, 0)
        """
        return self.notifications.deliver(now)

    def actor(self, org_id: Id, user_id: Id) -> Actor:
        """The caller for a user of an organization (with their roles and teams). Actors are
        not picklable: hand ``org_id`` and ``user_id`` to another process and call this there.

        >>> owner = db.actor(boot.org.id, boot.owner.id)  # doctest: +SKIP
        """
        return Actor(self._native.actor(_id(org_id, "org_id"), _id(user_id, "user_id")))

    def deliver_mail(self, now: Optional[datetime] = None) -> MailReport:
        """Sends the mail that is due (at ``now``, timezone-aware; the clock's time when
        omitted) through the SMTP server given to :func:`open`. Failures are retried later
        with backoff, then dead; see ``db.mail.list``.

        >>> db.deliver_mail().sent  # doctest: +SKIP
        1
        """
        when = None
        if now is not None:
            if now.tzinfo is None:
                raise ValueError("now: expected a timezone-aware datetime")
            when = now.isoformat()
        report: MailReport = loads(MailReport, self._native.deliver_mail(when))
        return report

    def deliver_webhooks(self, now: Optional[datetime] = None) -> WebhookReport:
        """Sends the events waiting for every organization's webhook subscriptions (as of
        ``now``, timezone-aware; the clock's time when omitted), in order per subscription,
        signed. A failure is retried later with backoff; a long failure streak turns the
        subscription off. Safe to run from several processes at once.

        >>> db.deliver_webhooks().delivered  # doctest: +SKIP
        3
        """
        return self.webhooks.deliver(now)

    def request_password_reset(self, org_id: Id, email: str) -> bool:
        """Starts a password reset: the mail with its single-use link is queued in the same
        commit as the token (the token never comes back to Python). Whether an active user has
        this email; callers that answer users must answer the same either way."""
        return bool(self._native.request_password_reset(_id(org_id, "org_id"), email))

    def system_actor(self, org_id: Id) -> Actor:
        """The organization's system actor: every permission and no user, as the server's
        background jobs act. For imports and maintenance scripts; audit entries show no user.

        >>> acme = db.orgs.find("acme")  # doctest: +SKIP
        >>> system = db.system_actor(acme.id)  # doctest: +SKIP
        """
        return Actor(self._native.system_actor(_id(org_id, "org_id")))


def open(
    url: str | os.PathLike[str],
    *,
    migrate: bool = False,
    smtp_url: Optional[str] = None,
    mail_from: Optional[str] = None,
    public_url: Optional[str] = None,
    files_url: Optional[str] = None,
    webhooks_allow_private: bool = False,
    webhooks_timeout: float = 10.0,
) -> Cmms:
    """Opens a database. SQLite URLs follow SQLAlchemy: ``sqlite:///plant.db`` is the file
    ``plant.db`` in the current directory, ``sqlite:////srv/cmms/plant.db`` an absolute path
    (four slashes), ``sqlite://`` a private in-memory database. A :class:`pathlib.Path` or a
    plain path string (no ``scheme://``) opens that SQLite file. PostgreSQL:
    ``postgres://user:password@host:5432/db``. The schema is migrated only when asked
    (``migrate=True`` or :meth:`Cmms.migrate`). ``smtp_url`` and ``mail_from`` let
    :meth:`Cmms.deliver_mail` send the mail outbox (``smtp://user:pass@host:587`` requires
    STARTTLS, ``smtps://`` is TLS, ``?tls=none`` plain SMTP for loopback); mails link to pages
    under ``public_url``.
    ``files_url`` is where attachment content lives
    (``file:///var/lib/cmms/files`` or ``s3://bucket/prefix`` with the usual ``AWS_*``
    environment variables); without it ``db.attachments`` can list but not store or read bytes.
    Webhook requests time out after ``webhooks_timeout`` seconds and never go to loopback or
    private addresses unless ``webhooks_allow_private=True`` (tests, private networks).

    Example::

        with cmms.open("sqlite:///plant.db", migrate=True) as db:  # ./plant.db
            ...
        db = cmms.open(pathlib.Path.home() / "plant.db")  # the same as sqlite:////home/me/plant.db
    """
    if isinstance(url, os.PathLike):
        url = os.fspath(url)
        if not isinstance(url, str):
            raise TypeError(f"url: expected a string or a str path, got {type(url).__name__}")
        url = f"sqlite:///{url}"
    elif not isinstance(url, str):
        raise TypeError(f"url: expected a string or a path, got {type(url).__name__}")
    elif "://" not in url and not url.startswith(("sqlite:", "postgres:", "postgresql:")):
        # A plain path: sqlite:/// + a relative path, or + /absolute (four slashes).
        url = f"sqlite:///{url}"
    native = _cmms.Native.open(url, smtp_url=smtp_url, mail_from=mail_from, public_url=public_url,
                               files_url=files_url, webhooks_allow_private=bool(webhooks_allow_private),
                               webhooks_timeout=float(webhooks_timeout))
    db = Cmms(native, url)
    if migrate:
        try:
            db.migrate()
        except BaseException:
            db.close()
            raise
    return db
