"""The typed records cmms returns. Each is a frozen dataclass: attributes, ``repr``, equality
and :meth:`to_dict`. Ids are :class:`uuid.UUID`, timestamps timezone-aware
:class:`datetime.datetime` (UTC), vocabularies (status, priority, ...) plain strings."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any, Dict, Generic, Iterator, List, Optional, SupportsIndex, TypeVar, Union, overload

from ._convert import to_dict

T = TypeVar("T")

__all__ = [
    "Record", "Org", "OrgSettings", "Site", "Location", "Team", "User", "CreatedUser", "RoleGrant", "ApiKey",
    "CustomRole",
    "FailureCode", "Asset", "Attachment", "FailureReport", "WorkOrder", "ChecklistItem", "Comment",
    "LaborEntry", "TimelineEntry", "Request", "EntityRef", "AuditEntry", "EventAudience", "Event",
    "EventPage", "BrokenLink", "AutoCloseReport", "Bootstrapped", "Page", "Meter", "Reading",
    "RecordedReadings", "PmPlan", "PmSlot", "Due", "DueItem", "ForecastItem", "GeneratedWork",
    "SkippedSlot", "GenerationReport", "ComplianceReport", "StockLevels", "Part", "StockLocation", "Stock",
    "StockMovement", "LowStockItem", "WorkOrderPart", "WorkOrderCost", "CostSummary", "Vendor", "VendorPart",
    "PurchaseOrder", "PurchaseOrderLine", "PurchaseOrderDetail", "SuggestedLine", "SuggestedOrder",
]
__all__ += ["OutboxMail", "MailReport"]


class Record:
    """Behaviour shared by every record."""

    def to_dict(self, *, json: bool = False) -> Dict[str, Any]:
        """The record as a dict, nested records as dicts. UUIDs and datetimes stay objects, or
        with ``json=True`` become text (ids as their UUID text, datetimes ISO 8601), so that
        ``json.dumps(wo.to_dict(json=True))`` works.

        >>> import json, cmms
        >>> json.dumps(cmms.EntityRef(kind="asset", id=uuid.UUID(int=1)).to_dict(json=True))
        '{"kind": "asset", "id": "00000000-0000-0000-0000-000000000001"}'
        """
        out: Dict[str, Any] = to_dict(self, json)
        return out

    def to_json(self, **dumps_args: Any) -> str:
        """The record as JSON text (``to_dict(json=True)`` through ``json.dumps``)."""
        import json as _json

        return _json.dumps(self.to_dict(json=True), **dumps_args)

    def __hash__(self) -> int:
        # Records with an id hash by it (their list fields are not hashable); equality still
        # compares every field.
        ident = getattr(self, "id", None)
        return hash((type(self).__name__, ident)) if ident is not None else hash(repr(self))


@dataclass(frozen=True, eq=True)
class OrgSettings(Record):
    work_order_number_format: str = "WO-{YYYY}-{SEQ:5}"
    request_number_format: str = "REQ-{YYYY}-{SEQ:5}"
    auto_close_days: int = 3
    require_failure_codes: bool = False
    time_zone: str = "UTC"
    caller_request_numbers: bool = False
    currency: str = "USD"
    labor_rate: Optional[Decimal] = None
    labor_rates: Dict[str, Decimal] = field(default_factory=dict)
    purchase_order_number_format: str = "PO-{YYYY}-{SEQ:5}"
    allow_over_receipt: bool = False
    webhooks_allow_http: bool = False
    purchase_approval_limits: Dict[str, Decimal] = field(default_factory=lambda: {"storekeeper": Decimal(1000)})


@dataclass(frozen=True, eq=True)
class Org(Record):
    id: uuid.UUID
    name: str
    slug: str
    settings: OrgSettings
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class Site(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    code: str
    kind: str
    time_zone: str
    address: Optional[str]
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class Location(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    site_id: uuid.UUID
    parent_id: Optional[uuid.UUID]
    name: str
    code: Optional[str]
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class Team(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    site_id: Optional[uuid.UUID]
    members: List[uuid.UUID]
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class User(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    email: str
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int


def _role_ref(value: Any) -> Any:
    """``{"builtin": "owner"}`` -> ``"owner"``; ``{"custom": "<uuid>"}`` -> ``UUID``."""
    if isinstance(value, dict):
        if "builtin" in value:
            return value["builtin"]
        if "custom" in value:
            return uuid.UUID(value["custom"])
    return value


@dataclass(frozen=True, eq=True)
class RoleGrant(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    user_id: uuid.UUID
    #: A built-in role's name (``"technician"``) or a custom role's id.
    role: Union[str, uuid.UUID]
    #: ``None`` for the whole organization, else the sites the grant covers.
    sites: Optional[List[uuid.UUID]]
    granted_by: Optional[uuid.UUID]
    granted_at: datetime

    @staticmethod
    def _prepare(data: Dict[str, Any]) -> Dict[str, Any]:
        return {**data, "role": _role_ref(data.get("role"))}


@dataclass(frozen=True, eq=True)
class CreatedUser(User):
    """A user just created, with the role grant made with it (``None`` without a role)."""

    grant: Optional[RoleGrant] = None


@dataclass(frozen=True, eq=True)
class ApiKey(Record):
    """An API key for the HTTP server (its secret is never stored or shown again)."""

    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    #: A built-in role's name or a custom role's id.
    role: Union[str, uuid.UUID]
    sites: Optional[List[uuid.UUID]]
    created_by: uuid.UUID
    created_at: datetime
    last_used_at: Optional[datetime]
    revoked_at: Optional[datetime]
    version: int

    @staticmethod
    def _prepare(data: Dict[str, Any]) -> Dict[str, Any]:
        return {**data, "role": _role_ref(data.get("role"))}


@dataclass(frozen=True, eq=True)
class CustomRole(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    description: Optional[str]
    level: int
    #: permission name -> condition (``"any"``, ``"own"``, ``"assigned"``).
    permissions: Dict[str, str]
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class FailureCode(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    kind: str
    code: str
    description: str
    created_at: datetime


@dataclass(frozen=True, eq=True)
class Asset(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    site_id: uuid.UUID
    location_id: Optional[uuid.UUID]
    parent_id: Optional[uuid.UUID]
    name: str
    code: str
    category: Optional[str]
    manufacturer: Optional[str]
    model: Optional[str]
    serial_number: Optional[str]
    criticality: int
    state: str
    specifications: Dict[str, Any]
    custom_fields: Dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class Attachment(Record):
    name: str
    content_type: str
    size_bytes: int
    storage_key: str


@dataclass(frozen=True, eq=True)
class FailureReport(Record):
    problem: Optional[str] = None
    cause: Optional[str] = None
    remedy: Optional[str] = None


@dataclass(frozen=True, eq=True)
class WorkOrder(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    number: str
    title: str
    description: Optional[str]
    type: str
    priority: str
    category: Optional[str]
    status: str
    site_id: uuid.UUID
    location_id: Optional[uuid.UUID]
    asset_id: Optional[uuid.UUID]
    assignees: List[uuid.UUID]
    team_id: Optional[uuid.UUID]
    requested_by: Optional[uuid.UUID]
    created_by: Optional[uuid.UUID]
    request_id: Optional[uuid.UUID]
    due_at: Optional[datetime]
    estimated_hours: Optional[float]
    actual_start: Optional[datetime]
    actual_end: Optional[datetime]
    verified_by: Optional[uuid.UUID]
    verified_at: Optional[datetime]
    closed_at: Optional[datetime]
    completion_notes: Optional[str]
    failure: FailureReport
    attachments: List[Attachment]
    created_at: datetime
    updated_at: datetime
    version: int
    pm_plan_id: Optional[uuid.UUID] = None
    """The PM plan that generated it."""
    pm_slot_id: Optional[uuid.UUID] = None
    """The plan's due slot it serves."""


@dataclass(frozen=True, eq=True)
class ChecklistItem(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    work_order_id: uuid.UUID
    position: int
    label: str
    mandatory: bool
    result: Optional[str]
    notes: Optional[str]
    completed_by: Optional[uuid.UUID]
    completed_at: Optional[datetime]
    version: int


@dataclass(frozen=True, eq=True)
class Comment(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    work_order_id: uuid.UUID
    author_id: Optional[uuid.UUID]
    body: str
    internal: bool
    created_at: datetime


@dataclass(frozen=True, eq=True)
class LaborEntry(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    work_order_id: uuid.UUID
    user_id: uuid.UUID
    started_at: datetime
    ended_at: Optional[datetime]
    minutes: int
    category: str
    notes: Optional[str]
    created_by: Optional[uuid.UUID]
    created_at: datetime


@dataclass(frozen=True, eq=True)
class TimelineEntry(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    work_order_id: uuid.UUID
    from_status: Optional[str]
    to_status: str
    actor_id: Optional[uuid.UUID]
    reason: Optional[str]
    at: datetime


@dataclass(frozen=True, eq=True)
class Request(Record):
    id: uuid.UUID
    org_id: uuid.UUID
    number: str
    title: str
    description: Optional[str]
    site_id: uuid.UUID
    location_id: Optional[uuid.UUID]
    asset_id: Optional[uuid.UUID]
    priority: str
    status: str
    requested_by: uuid.UUID
    work_order_id: Optional[uuid.UUID]
    rejection_reason: Optional[str]
    attachments: List[Attachment]
    submitted_at: Optional[datetime]
    reviewed_by: Optional[uuid.UUID]
    reviewed_at: Optional[datetime]
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class EntityRef(Record):
    kind: str
    id: uuid.UUID


@dataclass(frozen=True, eq=True)
class AuditEntry(Record):
    org_id: uuid.UUID
    seq: int
    at: datetime
    actor_id: Optional[uuid.UUID]
    action: str
    entity: EntityRef
    before: Optional[Dict[str, Any]]
    after: Optional[Dict[str, Any]]
    request_id: Optional[str]
    prev_hash: str
    hash: str


@dataclass(frozen=True, eq=True)
class EventAudience(Record):
    permission: Optional[str]
    site_id: Optional[uuid.UUID]
    owner: Optional[uuid.UUID]
    assignees: List[uuid.UUID]
    team_id: Optional[uuid.UUID]


@dataclass(frozen=True, eq=True)
class Event(Record):
    org_id: uuid.UUID
    seq: int
    kind: str
    entity: EntityRef
    actor_id: Optional[uuid.UUID]
    audience: EventAudience
    payload: Any
    at: datetime


@dataclass(frozen=True, eq=True)
class EventPage(Record):
    events: List[Event]
    #: The last sequence number scanned; pass it as ``after`` next time.
    last_seq: int


@dataclass(frozen=True, eq=True)
class BrokenLink(Record):
    seq: int
    reason: str


@dataclass(frozen=True, eq=True)
class AutoCloseReport(Record):
    closed: List[uuid.UUID]
    skipped: List[uuid.UUID]


@dataclass(frozen=True, eq=True)
class Bootstrapped(Record):
    org: Org
    owner: User


@dataclass(frozen=True, eq=True)
class Page(Record, Generic[T]):
    """One page of a list: iterate it, and pass ``next_cursor`` as ``cursor`` for the next."""

    items: List[T]
    next_cursor: Optional[str]
    total: Optional[int] = None
    """Every row over all pages, when the list was asked to count (``count="exact"``)."""

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, index: SupportsIndex) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> List[T]: ...

    def __getitem__(self, index: Union[SupportsIndex, slice]) -> Union[T, List[T]]:
        return self.items[index]


@dataclass(frozen=True, eq=True)
class Meter(Record):
    """A meter on an asset: ``accumulating`` (counts up; usage is the difference) or ``gauge``."""

    id: uuid.UUID
    org_id: uuid.UUID
    asset_id: uuid.UUID
    name: str
    unit: str
    kind: str
    last_value: Optional[float]
    last_total: Optional[float]
    last_reading_at: Optional[datetime]
    last_reset_at: Optional[datetime]
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class Reading(Record):
    """One reading; ``total`` is the usage since the first reading, across resets."""

    id: uuid.UUID
    org_id: uuid.UUID
    meter_id: uuid.UUID
    value: float
    total: float
    reset: bool
    taken_at: datetime
    source: str
    recorded_by: Optional[uuid.UUID]
    created_at: datetime


@dataclass(frozen=True, eq=True)
class RecordedReadings(Record):
    recorded: List[Reading]
    repeats: int
    meters: List[Meter]


@dataclass(frozen=True, eq=True)
class PmPlan(Record):
    """A preventive-maintenance plan. ``schedule`` is the plan's schedule as a dict (triggers,
    ``combine``, ``starts_on``, ``time_zone``, ``lead_days``, ``grace_days``, ``active_months``,
    ``ends``), in the form :func:`cmms.pm.forecast` takes."""

    id: uuid.UUID
    org_id: uuid.UUID
    site_id: uuid.UUID
    title: str
    description: Optional[str]
    type: str
    priority: str
    estimated_hours: Optional[float]
    checklist: List[Dict[str, Any]]
    parts: List[Dict[str, Any]]
    assignees: List[uuid.UUID]
    team_id: Optional[uuid.UUID]
    asset_ids: List[uuid.UUID]
    category: Optional[str]
    schedule: Dict[str, Any]
    active: bool
    created_by: Optional[uuid.UUID]
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class PmSlot(Record):
    """One due slot of a plan on an asset: ``open``, ``completed``, ``cancelled`` or ``skipped``."""

    id: uuid.UUID
    org_id: uuid.UUID
    plan_id: uuid.UUID
    asset_id: uuid.UUID
    slot: str
    due_at: datetime
    grace_days: int
    status: str
    work_order_id: Optional[uuid.UUID]
    completed_at: Optional[datetime]
    meter_values: Dict[str, float]
    overdue_at: Optional[datetime]
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class Due(Record):
    """When a schedule is due: ``estimated`` when projected from meter usage."""

    at: datetime
    slot: str
    estimated: bool
    trigger: int
    meter_value: Optional[float] = None


@dataclass(frozen=True, eq=True)
class DueItem(Record):
    plan_id: uuid.UUID
    title: str
    asset_id: uuid.UUID
    due_at: datetime
    estimated: bool
    open_work_order_id: Optional[uuid.UUID]
    standing: str
    days_until_due: int


@dataclass(frozen=True, eq=True)
class ForecastItem(Record):
    asset_id: uuid.UUID
    at: datetime
    slot: str
    estimated: bool
    trigger: int
    meter_value: Optional[float] = None


@dataclass(frozen=True, eq=True)
class GeneratedWork(Record):
    plan_id: uuid.UUID
    asset_id: uuid.UUID
    slot_id: uuid.UUID
    due_at: datetime
    estimated: bool
    work_order_id: uuid.UUID
    number: str


@dataclass(frozen=True, eq=True)
class SkippedSlot(Record):
    plan_id: uuid.UUID
    asset_id: uuid.UUID
    slot_id: uuid.UUID
    due_at: datetime


@dataclass(frozen=True, eq=True)
class GenerationReport(Record):
    created: List[GeneratedWork]
    skipped: List[SkippedSlot]
    overdue: int
    raced: int


@dataclass(frozen=True, eq=True)
class ComplianceReport(Record):
    from_: datetime
    to: datetime
    due: int
    on_time: int
    compliance: Optional[float]
    plans: int
    overdue_plans: int
    simple_compliance: float

    @staticmethod
    def _prepare(data: Dict[str, Any]) -> Dict[str, Any]:
        data = dict(data)
        data["from_"] = data.pop("from")
        return data


@dataclass(frozen=True, eq=True)
class StockLevels(Record):
    """Stock levels of a part (its default) or of one stock row: below ``reorder_point`` (else
    ``min``) stock is low; ``reorder_quantity`` is what a suggestion orders; ``max`` caps it."""

    min: Optional[Decimal] = None
    max: Optional[Decimal] = None
    reorder_point: Optional[Decimal] = None
    reorder_quantity: Optional[Decimal] = None


@dataclass(frozen=True, eq=True)
class Part(Record):
    """A part of the catalogue; ``part_number`` is unique in the organization."""

    id: uuid.UUID
    org_id: uuid.UUID
    part_number: str
    name: str
    description: Optional[str]
    unit: str
    category: Optional[str]
    manufacturer: Optional[str]
    manufacturer_part_number: Optional[str]
    barcode: Optional[str]
    unit_cost: Optional[Decimal]
    levels: StockLevels
    lead_time_days: Optional[int]
    active: bool
    asset_ids: List[uuid.UUID]
    custom_fields: Dict[str, Any]
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class StockLocation(Record):
    """A storeroom of a site, or a bin in a storeroom (``kind``)."""

    id: uuid.UUID
    org_id: uuid.UUID
    site_id: uuid.UUID
    parent_id: Optional[uuid.UUID]
    kind: str
    code: str
    name: str
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class Stock(Record):
    """The stock of one part at one location: ``on_hand``, ``reserved`` for work orders, the
    moving ``avg_cost``, and the ``levels`` in force (``own_levels``: set for this row)."""

    id: uuid.UUID
    org_id: uuid.UUID
    part_id: uuid.UUID
    location_id: uuid.UUID
    on_hand: Decimal
    reserved: Decimal
    avg_cost: Decimal
    levels: StockLevels
    own_levels: bool
    updated_at: datetime
    version: int

    @property
    def available(self) -> Decimal:
        """On hand minus reserved."""
        return self.on_hand - self.reserved

    @property
    def status(self) -> str:
        """``out``, ``low``, ``over`` or ``in`` (the core's rule, as ``db.stock.list(status=...)`` filters)."""
        low_point = self.levels.reorder_point if self.levels.reorder_point is not None else self.levels.min
        if self.available <= 0:
            return "out"
        if low_point is not None and self.available <= low_point:
            return "low"
        if self.levels.max is not None and self.levels.max > 0 and self.on_hand > self.levels.max:
            return "over"
        return "in"


@dataclass(frozen=True, eq=True)
class StockMovement(Record):
    """One line of the stock ledger: what moved (``kind``), the change of ``on_hand`` and
    ``reserved``, at which ``unit_cost``, and for which work or purchase order."""

    id: uuid.UUID
    org_id: uuid.UUID
    part_id: uuid.UUID
    location_id: uuid.UUID
    kind: str
    quantity: Decimal
    on_hand_delta: Decimal
    reserved_delta: Decimal
    unit_cost: Optional[Decimal]
    work_order_id: Optional[uuid.UUID]
    purchase_order_id: Optional[uuid.UUID]
    transfer_id: Optional[uuid.UUID]
    reason: Optional[str]
    actor_id: Optional[uuid.UUID]
    at: datetime


@dataclass(frozen=True, eq=True)
class LowStockItem(Record):
    """Stock at or below its reorder point: how much is ``shortage`` to the target, what was
    ``consumed`` in the window, and the estimated ``days_until_stockout``."""

    stock: Stock
    part: Part
    status: str
    available: Decimal
    shortage: Decimal
    consumed: Decimal
    days_until_stockout: Optional[int]


@dataclass(frozen=True, eq=True)
class WorkOrderPart(Record):
    """A part line of a work order, per part and location: ``planned``, ``reserved`` now,
    ``issued`` and ``returned`` so far."""

    id: uuid.UUID
    org_id: uuid.UUID
    work_order_id: uuid.UUID
    part_id: uuid.UUID
    location_id: uuid.UUID
    planned: Decimal
    reserved: Decimal
    issued: Decimal
    returned: Decimal
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class WorkOrderCost(Record):
    """An other cost booked on a work order (a contractor's invoice; negative for a credit)."""

    id: uuid.UUID
    org_id: uuid.UUID
    work_order_id: uuid.UUID
    description: str
    amount: Decimal
    created_by: Optional[uuid.UUID]
    created_at: datetime


@dataclass(frozen=True, eq=True)
class CostSummary(Record):
    """What work cost, in the organization's ``currency``: ``total`` is labor + parts issued
    - parts returned + other; ``work_orders`` says how many it covers."""

    currency: str
    labor_hours: Decimal
    labor: Decimal
    parts_issued: Decimal
    parts_returned: Decimal
    other: Decimal
    total: Decimal
    work_orders: int


@dataclass(frozen=True, eq=True)
class Vendor(Record):
    """A supplier."""

    id: uuid.UUID
    org_id: uuid.UUID
    name: str
    contact: Optional[str]
    email: Optional[str]
    phone: Optional[str]
    address: Optional[str]
    currency: Optional[str]
    lead_time_days: Optional[int]
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class VendorPart(Record):
    """A part a vendor sells: its number there, its ``price``, and whether it is ``preferred``."""

    id: uuid.UUID
    org_id: uuid.UUID
    vendor_id: uuid.UUID
    part_id: uuid.UUID
    vendor_part_number: Optional[str]
    price: Optional[Decimal]
    preferred: bool
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class PurchaseOrder(Record):
    """A purchase order (as listed, without its lines)."""

    id: uuid.UUID
    org_id: uuid.UUID
    number: str
    vendor_id: uuid.UUID
    site_id: uuid.UUID
    status: str
    currency: str
    notes: Optional[str]
    total: Decimal
    approved_by: Optional[uuid.UUID]
    approved_at: Optional[datetime]
    reason: Optional[str]
    created_by: Optional[uuid.UUID]
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class PurchaseOrderLine(Record):
    """One line of a purchase order: ``quantity`` ordered, ``received`` so far."""

    id: uuid.UUID
    org_id: uuid.UUID
    purchase_order_id: uuid.UUID
    position: int
    part_id: uuid.UUID
    location_id: uuid.UUID
    quantity: Decimal
    received: Decimal
    unit_price: Decimal
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class PurchaseOrderDetail(PurchaseOrder):
    """A purchase order with its ``lines``."""

    lines: List[PurchaseOrderLine]


@dataclass(frozen=True, eq=True)
class SuggestedLine(Record):
    """A line a reorder suggestion would order."""

    part_id: uuid.UUID
    location_id: uuid.UUID
    quantity: Decimal
    unit_price: Optional[Decimal] = None


@dataclass(frozen=True, eq=True)
class SuggestedOrder(Record):
    """Low stock of one site grouped by preferred vendor (``vendor_id`` None: no vendor known);
    ``created`` is the draft purchase order made from it when asked to create."""

    vendor_id: Optional[uuid.UUID]
    site_id: uuid.UUID
    lines: List[SuggestedLine]
    created: Optional[uuid.UUID]


@dataclass(frozen=True, eq=True)
class OutboxMail(Record):
    """A mail in the outbox (bodies are never shown; they are wiped once sent or dead)."""

    org_id: uuid.UUID
    id: uuid.UUID
    to: str
    subject: str
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: Optional[str]
    lease_id: Optional[uuid.UUID]
    expires_at: Optional[datetime]
    created_at: datetime
    sent_at: Optional[datetime]
    version: int


@dataclass(frozen=True, eq=True)
class MailReport(Record):
    """What one :meth:`cmms.Cmms.deliver_mail` call did."""

    sent: int
    retried: int
    dead: int
    raced: int


@dataclass(frozen=True, eq=True)
class AttachedFile(Record):
    """A file attached to a work order, request, asset, checklist item or part (its bytes are
    in the database's file store; ``content_type`` was sniffed from them)."""

    id: uuid.UUID
    entity_type: str
    entity_id: uuid.UUID
    name: str
    content_type: str
    size_bytes: int
    sha256: str
    content_id: uuid.UUID
    uploaded_by: Optional[uuid.UUID]
    created_at: datetime


__all__.append("AttachedFile")


def _hash_by_id() -> None:
    # A frozen dataclass with eq=True writes its own __hash__ over every field, which fails on
    # list fields; records hash by id instead (equal records have equal ids, so this agrees
    # with equality).
    for name in __all__:
        cls = globals()[name]
        if isinstance(cls, type) and issubclass(cls, Record) and cls is not Record:
            cls.__hash__ = Record.__hash__  # type: ignore[method-assign]


# In-app notifications (docs/notifications.md).


@dataclass(frozen=True, eq=True)
class Notification(Record):
    """A notification of one user: what it is about (``kind``), its text and its link."""

    id: uuid.UUID
    org_id: uuid.UUID
    user_id: uuid.UUID
    kind: str
    title: str
    body: str
    link: EntityRef
    event_seq: int
    created_at: datetime
    read_at: Optional[datetime]
    version: int


@dataclass(frozen=True, eq=True)
class UnreadCount(Record):
    """Unread notifications, counted up to 500 (``more``: there are more than ``count``)."""

    count: int
    more: bool


@dataclass(frozen=True, eq=True)
class Channels(Record):
    """The channels one kind of notification goes to."""

    in_app: bool
    email: bool


@dataclass(frozen=True, eq=True)
class NotificationPreference(Record):
    """The channels in effect for one kind, and which level chose them (user, org, builtin)."""

    kind: str
    channels: Channels
    source: str


@dataclass(frozen=True, eq=True)
class Watch(Record):
    """A user watching a work order."""

    id: uuid.UUID
    org_id: uuid.UUID
    work_order_id: uuid.UUID
    user_id: uuid.UUID
    created_at: datetime


@dataclass(frozen=True, eq=True)
class DeliveryReport(Record):
    """What one run of the notification consumer did."""

    orgs: int
    events: int
    in_app: int
    muted: int
    email: int
    not_visible: int
    busy: int
    pending: int
    oldest_pending_at: Optional[datetime]


__all__ += ["Notification", "UnreadCount", "Channels", "NotificationPreference", "Watch", "DeliveryReport"]


@dataclass(frozen=True, eq=True)
class WebhookCursor(Record):
    """Where delivery to a subscription stands: the last event delivered or passed over, the
    failures in a row, when it is tried next."""

    org_id: uuid.UUID
    webhook_id: uuid.UUID
    last_seq: int
    failure_streak: int
    next_attempt_at: datetime
    lease_id: Optional[uuid.UUID]
    last_error: Optional[str]
    updated_at: datetime
    version: int


@dataclass(frozen=True, eq=True)
class Webhook(Record):
    """A webhook subscription (its secret is never shown after creation)."""

    org_id: uuid.UUID
    id: uuid.UUID
    url: str
    event_types: List[str]
    description: str
    active: bool
    disabled_at: Optional[datetime]
    created_by: Optional[uuid.UUID]
    created_at: datetime
    updated_at: datetime
    version: int
    delivery: Optional[WebhookCursor] = None


@dataclass(frozen=True, eq=True)
class CreatedWebhook(Record):
    """A new subscription and its signing secret (``whsec_...``), shown this once."""

    webhook: Webhook
    secret: str


@dataclass(frozen=True, eq=True)
class WebhookDelivery(Record):
    """One attempt to deliver one event (or a test message, ``event_seq`` 0)."""

    org_id: uuid.UUID
    id: uuid.UUID
    webhook_id: uuid.UUID
    event_seq: int
    event_type: str
    message_id: str
    attempt: int
    ok: bool
    status_code: Optional[int]
    latency_ms: int
    response_excerpt: str
    error: Optional[str]
    at: datetime


@dataclass(frozen=True, eq=True)
class WebhookReport(Record):
    """What one :meth:`cmms.Cmms.deliver_webhooks` call did."""

    delivered: int
    failed: int
    disabled: int
    skipped: int
    raced: int


__all__ += ["Webhook", "WebhookCursor", "CreatedWebhook", "WebhookDelivery", "WebhookReport"]


_hash_by_id()
