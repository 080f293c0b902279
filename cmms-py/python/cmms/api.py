"""The pythonic face of cmms: :func:`open` returns a :class:`Cmms` whose groups (``orgs``,
``sites``, ``users``, ``assets``, ``work_orders``, ``requests``, ``meters``, ``pm_plans``, ``pm``,
``parts``, ``stock_locations``, ``stock``, ``vendors``, ``purchase_orders``, ``audit``, ``events``, ``attachments``) carry
the use cases of the Rust ``Cmms`` facade, with the same keyword names and defaults."""

from __future__ import annotations

import os
from typing import Any

from . import _cmms
from ._base import Actor, Id, _id, _redacted
from ._convert import UNSET
from ._inventory import Parts, PurchaseOrders, StockLocations, StockRows, Vendors
from ._people import Orgs, Sites, Users
from ._pm import Meters, Pm, PmPlans
from ._trail import Audit, Events
from ._files import Attachments
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
        self.attachments = Attachments(self)

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

    def actor(self, org_id: Id, user_id: Id) -> Actor:
        """The caller for a user of an organization (with their roles and teams). Actors are
        not picklable: hand ``org_id`` and ``user_id`` to another process and call this there.

        >>> owner = db.actor(boot.org.id, boot.owner.id)  # doctest: +SKIP
        """
        return Actor(self._native.actor(_id(org_id, "org_id"), _id(user_id, "user_id")))

    def system_actor(self, org_id: Id) -> Actor:
        """The organization's system actor: every permission and no user, as the server's
        background jobs act. For imports and maintenance scripts; audit entries show no user.

        >>> acme = db.orgs.find("acme")  # doctest: +SKIP
        >>> system = db.system_actor(acme.id)  # doctest: +SKIP
        """
        return Actor(self._native.system_actor(_id(org_id, "org_id")))


def open(url: str | os.PathLike[str], *, migrate: bool = False, files_url: str | None = None) -> Cmms:
    """Opens a database. SQLite URLs follow SQLAlchemy: ``sqlite:///plant.db`` is the file
    ``plant.db`` in the current directory, ``sqlite:////srv/cmms/plant.db`` an absolute path
    (four slashes), ``sqlite://`` a private in-memory database. A :class:`pathlib.Path` or a
    plain path string (no ``scheme://``) opens that SQLite file. PostgreSQL:
    ``postgres://user:password@host:5432/db``. The schema is migrated only when asked
    (``migrate=True`` or :meth:`Cmms.migrate`). ``files_url`` is where attachment content lives
    (``file:///var/lib/cmms/files`` or ``s3://bucket/prefix`` with the usual ``AWS_*``
    environment variables); without it ``db.attachments`` can list but not store or read bytes.

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
    db = Cmms(_cmms.Native.open(url, files_url), url)
    if migrate:
        try:
            db.migrate()
        except BaseException:
            db.close()
            raise
    return db
