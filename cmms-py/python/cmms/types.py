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
import uuid
from decimal import Decimal
from typing import Any, Dict, Literal, Mapping, Optional, Sequence, Union

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
    "Amount",
    "MovementKind",
    "StockStatus",
    "StockLocationKind",
    "PoStatus",
    "PartAction",
    "StockLevelsInput",
    "PoLineInput",
    "PlannedPartInput",
    "ReceiptLineInput",
    "ChecklistItemInput",
    "AttachmentInput",
    "FailureInput",
    "check_items",
    "check_dict",
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

#: A quantity or an amount of money: exact as a ``Decimal``, ``int`` or decimal ``str``; a
#: ``float`` is read by its shortest form (``0.1`` is 0.1). Results are always ``Decimal``.
Amount = Union[Decimal, int, float, str]
#: What a stock movement was.
MovementKind = Literal["receive", "issue", "return", "adjust", "transfer_out", "transfer_in", "reserve", "release"]
#: Where stock stands against its levels.
StockStatus = Literal["out", "low", "over", "in"]
#: A storeroom (top level at a site) or a bin in a storeroom.
StockLocationKind = Literal["storeroom", "bin"]
#: A purchase order's place in its status machine.
PoStatus = Literal[
    "draft", "submitted", "approved", "rejected", "ordered", "partially_received", "received", "closed", "cancelled"
]
#: What to do with parts on a work order.
PartAction = Literal["plan", "reserve", "release", "issue", "return"]


class StockLevelsInput(TypedDict, total=False):
    """Stock levels to set (each optional): ``{"reorder_point": 4, "reorder_quantity": 10}``."""

    min: Amount
    max: Amount
    reorder_point: Amount
    reorder_quantity: Amount


class PoLineInput(TypedDict):
    """A purchase order line: what, where it is received, how much, at what price (default:
    the vendor's price for the part, else the part's unit cost)."""

    part_id: Union[uuid.UUID, str]
    location_id: Union[uuid.UUID, str]
    quantity: Amount
    unit_price: NotRequired[Amount]


class PlannedPartInput(TypedDict):
    """A part a PM plan's work orders need: ``{"part_id": ..., "location_id": ..., "quantity": 2}``."""

    part_id: Union[uuid.UUID, str]
    location_id: Union[uuid.UUID, str]
    quantity: Amount


class ReceiptLineInput(TypedDict):
    """What arrived on one line of a purchase order (``unit_cost`` default: the line's price)."""

    line_id: Union[uuid.UUID, str]
    quantity: Amount
    unit_cost: NotRequired[Amount]


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
    "levels": (StockLevelsInput, ()),
    "lines": (PoLineInput, ("part_id", "location_id", "quantity")),
    "parts": (PlannedPartInput, ("part_id", "location_id", "quantity")),
    "receipt": (ReceiptLineInput, ("line_id", "quantity")),
    "checklist": (ChecklistItemInput, ("label",)),
    "attachments": (AttachmentInput, ("name", "content_type", "size_bytes", "storage_key")),
}


def check_items(name: str, items: Any, shape_of: Optional[str] = None) -> list[dict[str, Any]]:
    """Checks a list argument of dicts (``checklist``, ``attachments``, purchase order
    ``lines``) against its shape (``shape_of``, default ``name``): every item a dict, no
    unknown keys (a misspelt ``"lable"`` would otherwise be dropped silently), the required
    keys present. Errors name the item (``checklist[0].lable``)."""
    keys = list(_SHAPES[shape_of or name][0].__annotations__)
    if isinstance(items, (str, bytes, Mapping)) or not isinstance(items, Sequence):
        raise TypeError(f"{name}: expected a list of dicts with keys {', '.join(keys)}")
    problems: list[dict[str, str]] = []
    out = [_check_item(f"{name}[{i}]", item, shape_of or name, problems) for i, item in enumerate(items)]
    _raise(problems)
    return out


def check_dict(name: str, item: Any, shape_of: Optional[str] = None) -> dict[str, Any]:
    """Like :func:`check_items` for one dict argument (``levels``)."""
    problems: list[dict[str, str]] = []
    out = _check_item(name, item, shape_of or name, problems)
    _raise(problems)
    return out


def _check_item(at: str, item: Any, shape_name: str, problems: list[dict[str, str]]) -> dict[str, Any]:
    from ._convert import closest

    shape, required = _SHAPES[shape_name]
    keys = list(shape.__annotations__)
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
    return dict(item)


def _raise(problems: list[dict[str, str]]) -> None:
    from .errors import ValidationError

    if problems:
        text = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
        raise ValidationError(f"validation failed: {text}", code="validation_failed", errors=problems)
