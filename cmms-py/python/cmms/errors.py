"""Exceptions raised by cmms. Every one derives from :class:`CmmsError` and carries the core's
stable machine ``code`` (``not_found``, ``forbidden``, ``validation_failed``, ...)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any, Dict, List, Optional

__all__ = [
    "CmmsError",
    "NotFoundError",
    "PermissionDeniedError",
    "ValidationError",
    "InvalidTransitionError",
    "ConflictError",
    "InsufficientStockError",
    "BusyError",
    "StorageError",
    "DriverError",
]


class CmmsError(Exception):
    """Base class of every cmms error.

    Attributes:
        code: the stable machine code of the error (the same the HTTP API reports).
        errors: for validation errors, one ``{"field": ..., "message": ...}`` per bad field.
        current_version: for conflicts on a stale version, the record's current version.
    """

    code: str
    errors: List[Dict[str, str]]
    current_version: Optional[int]

    def __init__(
        self,
        message: str,
        *,
        code: str = "error",
        errors: Optional[List[Dict[str, str]]] = None,
        current_version: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.errors = list(errors or [])
        self.current_version = current_version

    @property
    def field(self) -> Optional[str]:
        """The first field a validation error (or a conflict on one field) names, if any."""
        return self.errors[0]["field"] if self.errors else None

    def __reduce__(self) -> Any:
        kwargs = {"code": self.code, "errors": self.errors, "current_version": self.current_version}
        return (_rebuild, (type(self), self.message, kwargs))


def _rebuild(cls: Any, message: str, kwargs: Dict[str, Any]) -> CmmsError:
    err: CmmsError = cls(message, **kwargs)
    return err


class NotFoundError(CmmsError, LookupError):
    """The entity does not exist in the caller's organization, or the caller may not see it."""


class PermissionDeniedError(CmmsError, PermissionError):
    """The caller lacks the permission (``forbidden``) or is not an active user
    (``unauthenticated``)."""


class ValidationError(CmmsError, ValueError):
    """One or more arguments are invalid; ``errors`` names each field."""


class InvalidTransitionError(CmmsError):
    """The status change is not an edge of the status machine."""


class ConflictError(CmmsError):
    """The record changed since it was read (``current_version`` tells its version now), or a
    unique value is taken."""


class InsufficientStockError(ConflictError):
    """A stock change would take more than is available (on hand minus reserved) of a part at
    a location (code ``insufficient_stock``); nothing was written.

    Attributes:
        part: the part's id.
        location: the stock location's id.
        available: how much was available (a :class:`~decimal.Decimal`).
        requested: how much the change asked for (a :class:`~decimal.Decimal`).

    >>> try:  # doctest: +SKIP
    ...     db.work_orders.change_parts(tech, wo.id, "issue", part_id=seal.id, location_id=store.id, quantity=5)
    ... except cmms.InsufficientStockError as e:
    ...     print(f"only {e.available} of {e.requested} available")
    """

    part: Optional[uuid.UUID]
    location: Optional[uuid.UUID]
    available: Optional[Decimal]
    requested: Optional[Decimal]

    def __init__(
        self,
        message: str,
        *,
        code: str = "insufficient_stock",
        errors: Optional[List[Dict[str, str]]] = None,
        current_version: Optional[int] = None,
        part: Any = None,
        location: Any = None,
        available: Any = None,
        requested: Any = None,
    ) -> None:
        super().__init__(message, code=code, errors=errors, current_version=current_version)
        self.part = uuid.UUID(str(part)) if part is not None else None
        self.location = uuid.UUID(str(location)) if location is not None else None
        self.available = Decimal(str(available)) if available is not None else None
        self.requested = Decimal(str(requested)) if requested is not None else None

    def __reduce__(self) -> Any:
        kwargs = {
            "code": self.code, "errors": self.errors, "current_version": self.current_version,
            "part": self.part, "location": self.location, "available": self.available,
            "requested": self.requested,
        }
        return (_rebuild, (type(self), self.message, kwargs))


class BusyError(CmmsError):
    """The database is busy; retrying later may succeed."""


class StorageError(CmmsError):
    """The database failed in a way the caller cannot fix. The message says what (which
    database, which operation where known, the driver's text); when the driver reported it,
    ``__cause__`` is a :class:`DriverError` with the driver's own text."""


class DriverError(Exception):
    """What the database driver reported, as the ``__cause__`` of a :class:`StorageError`
    (``str(e)`` is the driver's text, its error chain joined by ``": "``). Not a
    :class:`CmmsError`: it is never raised on its own."""
