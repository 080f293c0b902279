"""JSON in both directions: Python arguments to the core's serde format, and results back into
the typed classes of :mod:`cmms.models` (UUIDs, timezone-aware datetimes, nested records)."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import date, datetime, time, timezone
from typing import Any, Dict, List, Tuple, Type, TypeVar, Union, get_args, get_origin, get_type_hints

T = TypeVar("T")


class Unset:
    """Marks a keyword argument that was not given (distinct from ``None``, which clears)."""

    _instance = None

    def __new__(cls) -> "Unset":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False


UNSET: Any = Unset()


def _default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"datetime {value.isoformat()} must be timezone-aware")
        return value.astimezone(timezone.utc).isoformat()
    if isinstance(value, (date, time)):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    raise TypeError(f"cannot pass a {type(value).__name__} to cmms")


def dumps(args: Dict[str, Any]) -> str:
    """Encodes call arguments, leaving out the ones that were not given."""
    given = {k: v for k, v in args.items() if v is not UNSET}
    return json.dumps(given, default=_default, ensure_ascii=False)


def parse_datetime(text: str) -> datetime:
    """Parses the RFC 3339 timestamps the core writes (``...Z``, 0/3/6 fraction digits)."""
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)


_HINTS: Dict[type, Dict[str, Any]] = {}


def _hints(cls: type) -> Dict[str, Any]:
    hints = _HINTS.get(cls)
    if hints is None:
        hints = get_type_hints(cls)
        _HINTS[cls] = hints
    return hints


def decode(tp: Any, value: Any) -> Any:
    """Converts a JSON value to the Python type ``tp``."""
    if value is None:
        return None
    origin = get_origin(tp)
    if origin is Union:
        options = [a for a in get_args(tp) if a is not type(None)]
        if len(options) == 1:
            return decode(options[0], value)
        return value
    if tp is uuid.UUID:
        return uuid.UUID(value)
    if tp is datetime:
        return parse_datetime(value)
    if origin in (list, List):
        (inner,) = get_args(tp) or (Any,)
        return [decode(inner, v) for v in value]
    if origin in (tuple, Tuple):
        inner_types = get_args(tp)
        return tuple(decode(t, v) for t, v in zip(inner_types, value))
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_dict(tp, value)
    return value


def from_dict(cls: Type[T], data: Dict[str, Any]) -> T:
    """Builds dataclass ``cls`` from a JSON object, converting each field by its annotation."""
    prepare = getattr(cls, "_prepare", None)
    if prepare is not None:
        data = prepare(data)
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name in data:
            kwargs[f.name] = decode(hints[f.name], data[f.name])
    return cls(**kwargs)


def loads(cls: Any, text: str) -> Any:
    """Decodes a JSON result into ``cls`` (a dataclass or a typing form such as List[X])."""
    return decode(cls, json.loads(text))


def to_dict(value: Any) -> Any:
    """A record as plain JSON-compatible Python values (UUIDs and datetimes kept as objects)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_dict(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list):
        return [to_dict(v) for v in value]
    if isinstance(value, dict):
        return {k: to_dict(v) for k, v in value.items()}
    return value
