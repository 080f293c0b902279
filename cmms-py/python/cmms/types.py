"""The vocabularies and argument shapes of cmms as types, so a type checker catches a misspelt
value before the script runs (``priority="hihg"`` fails ``mypy``). At run time the values are
plain strings and dicts; the core checks them again and names the argument when one is wrong.

>>> from cmms.types import Priority
>>> import typing
>>> typing.get_args(Priority)
('low', 'medium', 'high', 'urgent')
"""

from __future__ import annotations

import sys
from typing import Any, Dict, Literal, Mapping, Sequence, Union

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # pragma: no cover - older interpreters read the same shapes without NotRequired
    from typing import TypedDict

    NotRequired = Union  # type: ignore[assignment]

__all__ = [
    "Priority",
    "WorkOrderType",
    "WorkOrderStatus",
    "RequestStatus",
    "AssetState",
    "SiteKind",
    "LaborCategory",
    "ChecklistResult",
    "FailureCodeKind",
    "BuiltinRole",
    "Condition",
    "MeterKind",
    "ReadingSource",
    "Count",
    "WorkOrderSort",
    "ChecklistItemInput",
    "AttachmentInput",
    "FailureInput",
    "check_items",
]

#: How urgent a work order or request is.
Priority = Literal["low", "medium", "high", "urgent"]
#: What kind of work a work order is.
WorkOrderType = Literal["corrective", "preventive", "inspection", "emergency", "project"]
#: A work order's place in the status machine.
WorkOrderStatus = Literal[
    "requested", "open", "assigned", "in_progress", "on_hold", "completed", "verified", "closed", "cancelled"
]
#: A request's status.
RequestStatus = Literal["draft", "submitted", "approved", "rejected", "cancelled"]
#: An asset's operating state.
AssetState = Literal["operating", "idle", "standby", "degraded", "down", "retired"]
#: What a site is.
SiteKind = Literal["plant", "warehouse", "building", "property", "other"]
#: The kind of time on a labor entry.
LaborCategory = Literal["regular", "overtime", "travel", "standby"]
#: The outcome recorded on a checklist item.
ChecklistResult = Literal["done", "skipped", "issue"]
#: The three lists of failure codes.
FailureCodeKind = Literal["problem", "cause", "remedy"]
#: The built-in roles, highest first.
BuiltinRole = Literal["owner", "admin", "manager", "technician", "storekeeper", "contractor", "requester", "viewer"]
#: A custom role's condition on a permission.
Condition = Literal["any", "own", "assigned"]
#: A meter counts up (``accumulating``) or measures (``gauge``).
MeterKind = Literal["accumulating", "gauge"]
#: Where a reading came from.
ReadingSource = Literal["manual", "import", "integration"]
#: ``count="exact"`` makes a list count every match (``Page.total``).
Count = Literal["exact"]
#: Sort keys of the work-order list (``-field`` or ``field:desc`` for descending).
WorkOrderSort = Literal[
    "created", "updated", "due", "priority",
    "-created", "-updated", "-due", "-priority",
    "created:asc", "updated:asc", "due:asc", "priority:asc",
    "created:desc", "updated:desc", "due:desc", "priority:desc",
]


class ChecklistItemInput(TypedDict):
    """One checklist item to create: ``{"label": "Grease bearings", "mandatory": True}``."""

    label: str
    mandatory: NotRequired[bool]


class AttachmentInput(TypedDict):
    """A file already stored elsewhere, referenced by its key."""

    name: str
    content_type: str
    size_bytes: int
    storage_key: str


class FailureInput(TypedDict, total=False):
    """Failure codes recorded on completion (each a code of the organization's lists)."""

    problem: str
    cause: str
    remedy: str


_SHAPES: Dict[str, Any] = {
    "checklist": (ChecklistItemInput, ("label",)),
    "attachments": (AttachmentInput, ("name", "content_type", "size_bytes", "storage_key")),
}


def check_items(name: str, items: Any) -> list[dict[str, Any]]:
    """Checks a list argument of dicts (``checklist``, ``attachments``) against its shape:
    every item a dict, no unknown keys (a misspelt ``"lable"`` would otherwise be dropped
    silently), the required keys present. Errors name the item (``checklist[0].lable``)."""
    from .errors import ValidationError
    from ._convert import closest

    shape, required = _SHAPES[name]
    keys = list(shape.__annotations__)
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence):
        raise TypeError(f"{name}: expected a list of dicts with keys {', '.join(keys)}")
    problems = []
    out = []
    for i, item in enumerate(items):
        at = f"{name}[{i}]"
        if not isinstance(item, Mapping):
            raise TypeError(f"{at}: expected a dict with keys {', '.join(keys)}, got {type(item).__name__}")
        for key in item:
            if key not in keys:
                hint = closest(str(key), keys)
                tip = f"did you mean '{hint}'?" if hint else f"known keys: {', '.join(keys)}"
                problems.append({"field": f"{at}.{key}", "message": f"unknown key; {tip}"})
        for key in required:
            if key not in item:
                problems.append({"field": f"{at}.{key}", "message": "is required"})
        out.append(dict(item))
    if problems:
        text = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise ValidationError(f"validation failed: {text}", code="validation_failed", errors=problems)
    return out
