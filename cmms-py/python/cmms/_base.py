# mypy: disable-error-code="no-any-return"
"""What every group of the API shares: id and argument conversion, the `Actor`, and the call
plumbing to the native module."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time, timezone
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, List, Optional, Sequence, Type, TypeVar, Union

from . import _cmms
from ._convert import UNSET, dumps, from_dict, loads, missing
from .models import (
    Page,
)

if TYPE_CHECKING:
    from .api import Cmms

__all__ = ["Actor", "Id", "DEFAULT_LIMIT", "MAX_LIMIT"]

T = TypeVar("T")
#: An id: a :class:`uuid.UUID` or its text.
Id = Union[uuid.UUID, str]
#: A vocabulary filter: one value or several.
OneOrMore = Union[T, Sequence[T]]
#: A moment: an aware datetime, or (for due dates) a date meaning the end of that day, UTC.
When = Union[datetime, date]
#: The page size of every list, ``iter_all`` and the audit and event reads when ``limit`` is not
#: given: core's one default (50), the same as the Rust and HTTP APIs.
DEFAULT_LIMIT: int = _cmms.DEFAULT_LIMIT
#: The largest ``limit`` every list accepts (500), the same as the Rust and HTTP APIs; pass it to
#: ``iter_all`` to walk in fewer calls.
MAX_LIMIT: int = _cmms.MAX_LIMIT
#: The page size ``iter_all`` fetches with by default.
PAGE = DEFAULT_LIMIT


def _due(value: Any, name: str) -> Any:
    """A due moment: a ``date`` is the end of that day (UTC); datetimes pass as they are."""
    if missing(value):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time(23, 59, 59), tzinfo=timezone.utc)
    return value


def _id(value: Optional[Id], name: str = "id") -> Optional[str]:
    """Accepts a UUID or its text form (a missing value such as NaN is ``None``); anything else
    is a TypeError naming the argument."""
    if missing(value):
        return None
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value))
        except ValueError:
            raise ValueError(f"{name}: '{value}' is not a valid id (expected a UUID)") from None
    raise TypeError(f"{name}: expected a UUID, got {type(value).__name__}")


def _ids(values: Optional[Iterable[Id]], name: str) -> Optional[List[str]]:
    if values is None:
        return None
    if isinstance(values, (str, uuid.UUID)):
        raise TypeError(f"{name}: expected a list of ids, got a single id")
    return [_id(v, name) or "" for v in values]


def _opt_id(value: Any, name: str) -> Any:
    """Like ``_id`` but keeps ``UNSET`` (not given)."""
    return value if value is UNSET else _id(value, name)


def _list(value: Optional[Union[str, Sequence[str]]], name: str) -> Any:
    """A vocabulary filter: one value or several (``None``: no filter)."""
    if missing(value):
        return UNSET
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise TypeError(f"{name}: expected a string or a list of strings")
    return list(value)


def _redacted(url: str) -> str:
    """The URL without its password (for repr and messages)."""
    scheme, sep, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not sep or not at:
        return url
    return f"{scheme}://{userinfo.split(':', 1)[0]}:***@{host}"


class Actor:
    """Who is calling: a user of one organization with their roles and teams. Get one with
    :meth:`Cmms.actor`."""

    __slots__ = ("_native", "org_id", "user_id")

    def __init__(self, native: Any) -> None:
        self._native = native
        self.org_id: uuid.UUID = uuid.UUID(native.org_id)
        self.user_id: Optional[uuid.UUID] = uuid.UUID(native.user_id) if native.user_id else None

    def __repr__(self) -> str:
        return f"Actor(org_id={self.org_id!s}, user_id={self.user_id!s})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Actor) and (self.org_id, self.user_id) == (other.org_id, other.user_id)

    def __hash__(self) -> int:
        return hash((self.org_id, self.user_id))

    def __reduce__(self) -> Any:
        raise TypeError(
            "a cmms.Actor cannot be pickled (it holds the user's resolved roles): send "
            "actor.org_id and actor.user_id to the other process and call db.actor(org_id, user_id) there"
        )


def _native_actor(actor: Actor) -> Any:
    if not isinstance(actor, Actor):
        raise TypeError(f"actor: expected cmms.Actor, got {type(actor).__name__}")
    return actor._native


class _Group:
    def __init__(self, db: "Cmms") -> None:
        self._db = db

    def _call(self, actor: Optional[Actor], method: str, result: Any, /, **args: Any) -> Any:
        native = _native_actor(actor) if actor is not None else None
        raw = self._db._native.call(method, native, dumps(args))
        return loads(result, raw)

    def _page(self, actor: Actor, method: str, item: Type[T], /, **args: Any) -> Page[T]:
        raw = json.loads(self._db._native.call(method, _native_actor(actor), dumps(args)))
        items = [from_dict(item, x) for x in raw["items"]]
        return Page(items=items, next_cursor=raw["next_cursor"], total=raw.get("total"))

    @staticmethod
    def _walk(fetch: Callable[[Optional[str]], Page[T]]) -> Iterator[T]:
        cursor: Optional[str] = None
        while True:
            page = fetch(cursor)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

