# mypy: disable-error-code="no-any-return"
"""The PM schedule engine on plain data: what-if schedules without a database.

>>> from datetime import datetime, timezone
>>> import cmms.pm
>>> plan = {"triggers": [{"kind": "calendar", "every": 1, "unit": "days", "time_of_day": "08:00:00"}],
...         "starts_on": "2026-03-28", "time_zone": "Europe/Berlin"}
>>> [d.at.isoformat() for d in cmms.pm.forecast(plan, start=datetime(2026, 3, 28, tzinfo=timezone.utc), days=2)]
['2026-03-28T07:00:00+00:00', '2026-03-29T06:00:00+00:00']

Across the DST change the work stays at 08:00 local (07:00 UTC, then 06:00 UTC).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from . import _cmms
from ._convert import dumps, loads
from .models import Due

__all__ = ["next_due", "forecast"]

Readings = Sequence[Tuple[datetime, float]]


def _args(schedule: Mapping[str, Any], history: Optional[Mapping[str, Any]], meters: Optional[Mapping[str, Readings]], **extra: Any) -> str:
    if not isinstance(schedule, Mapping):
        raise TypeError(f"schedule: expected a dict, got {type(schedule).__name__}")
    series: List[Dict[str, Any]] = [
        {"meter": name, "readings": [[at, float(v)] for at, v in readings]} for name, readings in (meters or {}).items()
    ]
    return dumps(dict(schedule=dict(schedule), history=dict(history or {}), meters=series, **extra))


def next_due(
    schedule: Mapping[str, Any], *, history: Optional[Mapping[str, Any]] = None,
    meters: Optional[Mapping[str, Readings]] = None,
) -> Optional[Due]:
    """When ``schedule`` is next due after ``history`` (``last_due``, ``last_service``
    ``{"at", "meter_values"}``, ``count``), given meter totals by name (``[(taken_at, total)]``).
    ``None``: never again."""
    return loads(Optional[Due], _cmms.pm_engine("next_due", _args(schedule, history, meters)))


def forecast(
    schedule: Mapping[str, Any], *, start: datetime, days: int = 90, history: Optional[Mapping[str, Any]] = None,
    meters: Optional[Mapping[str, Readings]] = None,
) -> List[Due]:
    """The dues from ``start`` for ``days`` days: ``next_due`` run forward, each due assumed served on time."""
    raw = _cmms.pm_engine("forecast", _args(schedule, history, meters, **{"from": start, "days": days}))
    return loads(List[Due], raw)

