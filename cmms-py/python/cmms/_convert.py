"""JSON in both directions: Python arguments to the core's serde format, and results back into
the typed classes of :mod:`cmms.models` (UUIDs, timezone-aware datetimes, nested records)."""

from __future__ import annotations

import dataclasses
import json
import operator
import uuid
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any, Dict, List, Mapping, Optional, Tuple, Type, TypeVar, Union, get_args, get_origin, get_type_hints

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

#: A keyword argument of an ``update``: the new value, or ``UNSET`` (the default) to keep it.
Patch = Union[T, Unset]


def closest(name: str, known: List[str]) -> Optional[str]:
    """The known name nearest a misspelt one (at most a third of its letters apart)."""
    def distance(a: str, b: str) -> int:
        # Edits, counting two swapped neighbours as one ("lable" is one step from "label").
        d = [[i + j if i * j == 0 else 0 for j in range(len(b) + 1)] for i in range(len(a) + 1)]
        for i in range(1, len(a) + 1):
            for j in range(1, len(b) + 1):
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
                if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
        return d[len(a)][len(b)]

    limit = max(len(name) // 3, 1)
    scored = sorted((distance(name, k), k) for k in known)
    return scored[0][1] if scored and scored[0][0] <= limit else None


def _bad(path: str, message: str) -> Exception:
    from .errors import ValidationError

    return ValidationError(
        f"validation failed: {path}: {message}", code="validation_failed",
        errors=[{"field": path, "message": message}],
    )


def _number(value: float, path: str) -> Any:
    """NaN is a missing value (pandas reads an empty cell as NaN); whole numbers travel as
    integers so ``criticality=3.0`` (a pandas column with gaps is float) reaches an integer
    field; infinities are refused."""
    if value != value:
        return None
    if value in (float("inf"), float("-inf")):
        raise _bad(path, "must be a finite number")
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return value


def _aware(value: datetime, path: str) -> str:
    if value.tzinfo is None or value.utcoffset() is None:
        raise _bad(path, "must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return value.astimezone(timezone.utc).isoformat()


def _foreign(value: Any, path: str) -> Any:
    """numpy and pandas scalars, recognised by their module so neither is imported."""
    tp = type(value)
    module, name = tp.__module__.split(".")[0], tp.__name__
    if module == "pandas" and name in ("NAType", "NaTType"):
        return None
    if module != "numpy":
        return _UNKNOWN
    if name in ("bool_", "bool"):
        return bool(value)
    if name == "datetime64":
        text = str(value)
        if text == "NaT":
            return None
        # numpy's datetimes carry no zone; by numpy's own convention they are UTC.
        stamp = value.astype("datetime64[us]").item()
        return _aware(stamp.replace(tzinfo=timezone.utc), path)
    if name == "ndarray":
        return [plain(v, f"{path}[{i}]") for i, v in enumerate(value.tolist())]
    if hasattr(value, "__index__"):
        return operator.index(value)
    if hasattr(value, "__float__"):
        return _number(float(value), path)
    if name.startswith("str"):
        return str(value)
    return _UNKNOWN


_UNKNOWN = object()


def missing(value: Any) -> bool:
    """Whether ``value`` is a missing value: ``None``, NaN, ``pd.NA`` or ``NaT``."""
    if value is None:
        return True
    if isinstance(value, float) or type(value).__module__.split(".")[0] in ("numpy", "pandas"):
        try:
            return bool(value != value) or _foreign(value, "value") is None
        except (TypeError, ValueError):
            return False
    if isinstance(value, Decimal):
        return value.is_nan()
    return False


def plain(value: Any, path: str) -> Any:
    """``value`` as the JSON the core reads, converting what Python data tools hand over:
    ``NaN``/``NaT``/``pd.NA`` are missing (``None``), numpy scalars their Python value,
    ``Decimal`` a number, aware datetimes UTC text. Errors name ``path`` (the argument)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _number(float(value), path)
    if isinstance(value, uuid.UUID):
        return str(value)
    foreign = _foreign(value, path)
    if foreign is not _UNKNOWN:
        return foreign
    if isinstance(value, datetime):
        return _aware(value, path)
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        if value.is_nan():
            return None
        if not value.is_finite():
            raise _bad(path, "must be a finite number")
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Unset):
        raise TypeError(f"{path}: UNSET is only meaningful as a whole argument")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name), f"{path}.{f.name}") for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise TypeError(f"{path}: cannot pass a {type(value).__name__} to cmms")


def amount(value: Any, path: str) -> Optional[str]:
    """A quantity or money argument as the exact decimal text the core reads: a ``Decimal``,
    ``int`` or ``str`` as it is, a ``float`` by its shortest form (``0.1`` is ``"0.1"``),
    numpy and pandas numbers likewise. A missing value (``None``, NaN, ``pd.NA``) is ``None``;
    infinities are refused; anything else is a TypeError naming ``path``."""
    if missing(value):
        return None
    if isinstance(value, bool):
        raise TypeError(f"{path}: expected a number or a decimal string, got bool")
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        number = Decimal(float.__repr__(value))  # np.float64 is a float; its repr is not
    elif isinstance(value, Decimal):
        number = value
    elif type(value).__module__.split(".")[0] == "numpy" and hasattr(value, "__index__"):
        return str(operator.index(value))
    elif type(value).__module__.split(".")[0] == "numpy" and hasattr(value, "__float__"):
        # str() of a numpy float is its shortest form at its own precision (float32 0.1 is "0.1").
        number = Decimal(str(value))
    else:
        raise TypeError(f"{path}: expected a number or a decimal string, got {type(value).__name__}")
    if not number.is_finite():
        raise _bad(path, "must be a finite number")
    return format(number, "f")


def amounts(value: Any, path: str, keys: Tuple[str, ...]) -> Any:
    """A dict (or list of dicts) with its amount ``keys`` made exact (see :func:`amount`);
    anything else passes unchanged for the core to judge."""
    if isinstance(value, Mapping):
        return {k: (amount(v, f"{path}.{k}") if k in keys else v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [amounts(v, f"{path}[{i}]", keys) for i, v in enumerate(value)]
    return value


def dumps(args: Dict[str, Any]) -> str:
    """Encodes call arguments, leaving out the ones that were not given."""
    given = {k: plain(v, k) for k, v in args.items() if v is not UNSET}
    return json.dumps(given, ensure_ascii=False, allow_nan=False)


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
    if tp is Decimal:
        return Decimal(str(value))
    if origin in (dict, Dict):
        args = get_args(tp)
        if len(args) == 2:
            return {k: decode(args[1], v) for k, v in value.items()}
        return value
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


def to_dict(value: Any, as_json: bool = False) -> Any:
    """A record as plain Python values: UUIDs and datetimes kept as objects, or (``as_json``)
    written as text so ``json.dumps`` takes the result."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name.rstrip("_"): to_dict(getattr(value, f.name), as_json) for f in dataclasses.fields(value)
        }
    if isinstance(value, (list, tuple)):
        return [to_dict(v, as_json) for v in value]
    if isinstance(value, dict):
        return {k: to_dict(v, as_json) for k, v in value.items()}
    if as_json and isinstance(value, uuid.UUID):
        return str(value)
    if as_json and isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if as_json and isinstance(value, Decimal):
        return str(value)
    return value
