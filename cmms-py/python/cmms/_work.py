# mypy: disable-error-code="no-any-return"
"""Assets, work orders and requests."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from ._convert import UNSET, Patch, dumps, from_dict
from ._convert import amount as _exact
from .models import (
    Asset,
    AutoCloseReport,
    ChecklistItem,
    Comment,
    CostSummary,
    LaborEntry,
    Page,
    Request,
    TimelineEntry,
    WorkOrder,
    WorkOrderCost,
    WorkOrderPart,
)
from ._base import PAGE, Actor, Id, OneOrMore, When, _due, _Group, _id, _ids, _list, _native_actor, _opt_id
from .types import (
    Amount,
    AssetState,
    AttachmentInput,
    ChecklistItemInput,
    ChecklistResult,
    Count,
    FailureInput,
    LaborCategory,
    PartAction,
    Priority,
    RequestStatus,
    WorkOrderSort,
    WorkOrderStatus,
    WorkOrderType,
    check_items,
)

__all__ = ['Assets', 'WorkOrders', 'Requests']


class Assets(_Group):
    """Assets and their hierarchy."""

    def create(
        self, actor: Actor, *, name: str, code: str, site_id: Optional[Id] = None, location_id: Optional[Id] = None,
        parent_id: Optional[Id] = None, category: Optional[str] = None, manufacturer: Optional[str] = None,
        model: Optional[str] = None, serial_number: Optional[str] = None, criticality: Optional[int] = None,
        state: Optional[AssetState] = None, specifications: Optional[Dict[str, Any]] = None,
        custom_fields: Optional[Dict[str, Any]] = None,
    ) -> Asset:
        """Registers an asset. ``code`` is unique in the organization; ``criticality`` runs from
        1 (low) to 5 (critical, default 3); ``state`` is one of :data:`cmms.types.AssetState`
        (default ``"operating"``). Give ``site_id``, or a ``location_id`` or ``parent_id`` the site
        follows from. Missing values from pandas (``NaN``, ``NaT``, ``pd.NA``) count as not given.

        >>> pump = db.assets.create(owner, name="Feed pump 1", code="P-101", site_id=site.id,
        ...                         category="pump", criticality=4)  # doctest: +SKIP
        """
        return self._call(
            actor, "assets.create", Asset, name=name, code=code, site_id=_id(site_id, "site_id"),
            location_id=_id(location_id, "location_id"), parent_id=_id(parent_id, "parent_id"), category=category,
            manufacturer=manufacturer, model=model, serial_number=serial_number, criticality=criticality,
            state=state, specifications=specifications, custom_fields=custom_fields,
        )

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Patch[str] = UNSET,
        code: Patch[str] = UNSET, location_id: Patch[Optional[Id]] = UNSET, parent_id: Patch[Optional[Id]] = UNSET,
        category: Patch[Optional[str]] = UNSET, manufacturer: Patch[Optional[str]] = UNSET,
        model: Patch[Optional[str]] = UNSET, serial_number: Patch[Optional[str]] = UNSET,
        criticality: Patch[int] = UNSET, state: Patch[AssetState] = UNSET,
        specifications: Patch[Dict[str, Any]] = UNSET, custom_fields: Patch[Dict[str, Any]] = UNSET,
    ) -> Asset:
        """Changes the given fields and keeps the others; ``None`` clears an optional field.
        With ``expected_version``, refuses (``ConflictError``) if the asset changed since."""
        return self._call(
            actor, "assets.update", Asset, id=_id(id), expected_version=expected_version, name=name, code=code,
            location_id=_opt_id(location_id, "location_id"), parent_id=_opt_id(parent_id, "parent_id"),
            category=category, manufacturer=manufacturer, model=model, serial_number=serial_number,
            criticality=criticality, state=state, specifications=specifications, custom_fields=custom_fields,
        )

    def get(self, actor: Actor, id: Id) -> Asset:
        """The asset (``NotFoundError`` if it does not exist or the actor may not see it)."""
        return self._call(actor, "assets.get", Asset, id=_id(id))

    def list(
        self, actor: Actor, *, site: Optional[Id] = None, location: Optional[Id] = None, parent: Optional[Id] = None,
        roots_only: bool = False, state: Optional[AssetState] = None, category: Optional[str] = None,
        text: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None,
        count: Optional[Count] = None,
    ) -> Page[Asset]:
        """One page of assets by code. ``text`` searches name, code and serial number;
        ``roots_only`` leaves out sub-assets; ``limit`` is 1–500 (default 50)."""
        return self._page(
            actor, "assets.list", Asset, site=_id(site, "site"), location=_id(location, "location"),
            parent=_id(parent, "parent"), roots_only=roots_only, state=state, category=category, text=text,
            limit=limit, cursor=cursor, count=count,
        )

    def iter_all(
        self, actor: Actor, *, site: Optional[Id] = None, location: Optional[Id] = None, parent: Optional[Id] = None,
        roots_only: bool = False, state: Optional[AssetState] = None, category: Optional[str] = None,
        text: Optional[str] = None, limit: int = PAGE,
    ) -> Iterator[Asset]:
        """Every matching asset, fetched page by page (the filters of :meth:`list`)."""
        return self._walk(lambda c: self.list(
            actor, site=site, location=location, parent=parent, roots_only=roots_only, state=state,
            category=category, text=text, limit=limit, cursor=c,
        ))

    def children(self, actor: Actor, id: Id, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[Asset]:
        """One page of the asset's direct sub-assets."""
        return self._page(actor, "assets.children", Asset, id=_id(id), limit=limit, cursor=cursor)

    def history(
        self, actor: Actor, id: Id, *, limit: Optional[int] = None, cursor: Optional[str] = None
    ) -> Page[WorkOrder]:
        """The asset's maintenance history: work orders on it and its sub-assets, newest first."""
        return self._page(actor, "assets.history", WorkOrder, id=_id(id), limit=limit, cursor=cursor)

    def cost(self, actor: Actor, id: Id) -> CostSummary:
        """What the work on the asset cost: the sum of its work orders the actor may read
        (labor, parts issued minus returned, other costs; ``work_orders`` says how many)."""
        return self._call(actor, "assets.cost", CostSummary, id=_id(id))


class WorkOrders(_Group):
    """Work orders: create, edit, the status machine, people, and the work done on them."""

    def create(
        self, actor: Actor, *, title: str, description: Optional[str] = None, type: Optional[WorkOrderType] = None,
        priority: Optional[Priority] = None, category: Optional[str] = None, site_id: Optional[Id] = None,
        location_id: Optional[Id] = None, asset_id: Optional[Id] = None, assignees: Sequence[Id] = (),
        team_id: Optional[Id] = None, requested_by: Optional[Id] = None, due_at: Optional[When] = None,
        estimated_hours: Optional[float] = None, checklist: Sequence[ChecklistItemInput] = (),
        attachments: Sequence[AttachmentInput] = (),
    ) -> WorkOrder:
        """Creates a work order with the organization's next number.

        ``type``: one of :data:`cmms.types.WorkOrderType` (default ``"corrective"``);
        ``priority``: ``"low"``, ``"medium"`` (default), ``"high"``, ``"urgent"``. Give
        ``site_id``, or an ``asset_id``/``location_id`` the site follows from. With
        ``assignees`` it starts ``assigned``, else ``open``. ``due_at`` is an aware datetime, or a
        ``date`` meaning the end of that day (UTC). ``checklist`` items are
        ``{"label": ..., "mandatory": bool}``.

        >>> wo = db.work_orders.create(owner, title="Replace pump seal", asset_id=pump.id,
        ...                            priority="high", checklist=[{"label": "Isolate pump"}])  # doctest: +SKIP
        """
        return self._call(
            actor, "work_orders.create", WorkOrder, title=title, description=description, type=type,
            priority=priority, category=category, site_id=_id(site_id, "site_id"),
            location_id=_id(location_id, "location_id"), asset_id=_id(asset_id, "asset_id"),
            assignees=_ids(assignees, "assignees"), team_id=_id(team_id, "team_id"),
            requested_by=_id(requested_by, "requested_by"), due_at=_due(due_at, "due_at"),
            estimated_hours=estimated_hours, checklist=check_items("checklist", checklist),
            attachments=check_items("attachments", attachments),
        )

    def get(self, actor: Actor, id: Id) -> WorkOrder:
        """The work order (``NotFoundError`` if it does not exist or the actor may not see it)."""
        return self._call(actor, "work_orders.get", WorkOrder, id=_id(id))

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, title: Patch[str] = UNSET,
        description: Patch[Optional[str]] = UNSET, type: Patch[WorkOrderType] = UNSET,
        priority: Patch[Priority] = UNSET, category: Patch[Optional[str]] = UNSET,
        location_id: Patch[Optional[Id]] = UNSET, asset_id: Patch[Optional[Id]] = UNSET,
        due_at: Patch[Optional[When]] = UNSET, estimated_hours: Patch[Optional[float]] = UNSET,
    ) -> WorkOrder:
        """Changes the given fields and keeps the others; ``None`` clears an optional field.
        Status and people change through :meth:`transition` and :meth:`assign`."""
        return self._call(
            actor, "work_orders.update", WorkOrder, id=_id(id), expected_version=expected_version, title=title,
            description=description, type=type, priority=priority, category=category,
            location_id=_opt_id(location_id, "location_id"), asset_id=_opt_id(asset_id, "asset_id"),
            due_at=due_at if due_at is UNSET else _due(due_at, "due_at"), estimated_hours=estimated_hours,
        )

    def transition(
        self, actor: Actor, id: Id, to: WorkOrderStatus, reason: Optional[str] = None, *,
        completion_notes: Optional[str] = None, failure: Optional[FailureInput] = None,
        expected_version: Optional[int] = None,
    ) -> WorkOrder:
        """Moves the work order along the status machine. ``to``: ``"assigned"``,
        ``"in_progress"``, ``"on_hold"`` (a ``reason`` is required), ``"completed"``
        (``completion_notes``, ``failure`` codes), ``"verified"``, ``"closed"``, ``"cancelled"``
        (with a reason) or back to ``"open"``. A move that is not an edge of the machine raises
        :class:`cmms.InvalidTransitionError`.

        >>> wo = db.work_orders.transition(tech, wo.id, "in_progress")  # doctest: +SKIP
        """
        return self._call(
            actor, "work_orders.transition", WorkOrder, id=_id(id), to=to, reason=reason,
            completion_notes=completion_notes, failure=failure, expected_version=expected_version,
        )

    def assign(
        self, actor: Actor, id: Id, assignees: Sequence[Id], *, team_id: Optional[Id] = None,
        expected_version: Optional[int] = None,
    ) -> WorkOrder:
        """Sets who does the work (replacing the previous assignees) and, optionally, the team."""
        return self._call(
            actor, "work_orders.assign", WorkOrder, id=_id(id), assignees=_ids(assignees, "assignees"),
            team_id=_id(team_id, "team_id"), expected_version=expected_version,
        )

    def self_assign(self, actor: Actor, id: Id) -> WorkOrder:
        """Adds the actor to the assignees (a technician picking up open work)."""
        return self._call(actor, "work_orders.self_assign", WorkOrder, id=_id(id))

    def delete(self, actor: Actor, id: Id, *, expected_version: Optional[int] = None) -> None:
        """Deletes a work order that has not started (PM work orders cannot be deleted)."""
        self._call(actor, "work_orders.delete", type(None), id=_id(id), expected_version=expected_version)

    def list(
        self, actor: Actor, *, status: Optional[OneOrMore[WorkOrderStatus]] = None,
        priority: Optional[OneOrMore[Priority]] = None, type: Optional[OneOrMore[WorkOrderType]] = None,
        assignee: Optional[Id] = None, team: Optional[Id] = None, asset: Optional[Id] = None,
        include_sub_assets: bool = False, site: Optional[Id] = None, location: Optional[Id] = None,
        requested_by: Optional[Id] = None, due_from: Optional[datetime] = None, due_to: Optional[datetime] = None,
        created_from: Optional[datetime] = None, created_to: Optional[datetime] = None,
        text: Optional[str] = None, sort: Optional[WorkOrderSort] = None, limit: Optional[int] = None,
        cursor: Optional[str] = None, count: Optional[Count] = None,
    ) -> Page[WorkOrder]:
        """One page of the work orders the actor may see. ``status``, ``priority`` and ``type``
        take one value or a list. ``sort``: ``created`` (default, newest first), ``updated``,
        ``due``, ``priority``, with ``-field`` or ``field:asc`` / ``field:desc``.
        ``count="exact"`` also counts every matching work order (``Page.total``). ``text`` finds
        words by prefix in the number, title and description, case and accents folded
        (``"valve lea"`` finds "Valves leaking"; ``"ump"`` does not find "pump").

        >>> page = db.work_orders.list(owner, status=["open", "assigned"], sort="due")  # doctest: +SKIP
        """
        return self._page(
            actor, "work_orders.list", WorkOrder, status=_list(status, "status"),
            priority=_list(priority, "priority"), type=_list(type, "type"), assignee=_id(assignee, "assignee"),
            team=_id(team, "team"), asset=_id(asset, "asset"), include_sub_assets=include_sub_assets,
            site=_id(site, "site"), location=_id(location, "location"), requested_by=_id(requested_by, "requested_by"),
            due_from=due_from, due_to=due_to, created_from=created_from, created_to=created_to, text=text,
            sort=sort if sort is not None else UNSET, limit=limit, cursor=cursor, count=count,
        )

    def iter_all(
        self, actor: Actor, *, status: Optional[OneOrMore[WorkOrderStatus]] = None,
        priority: Optional[OneOrMore[Priority]] = None, type: Optional[OneOrMore[WorkOrderType]] = None,
        assignee: Optional[Id] = None, team: Optional[Id] = None, asset: Optional[Id] = None,
        include_sub_assets: bool = False, site: Optional[Id] = None, location: Optional[Id] = None,
        requested_by: Optional[Id] = None, due_from: Optional[datetime] = None, due_to: Optional[datetime] = None,
        created_from: Optional[datetime] = None, created_to: Optional[datetime] = None,
        text: Optional[str] = None, sort: Optional[WorkOrderSort] = None, limit: int = PAGE,
    ) -> Iterator[WorkOrder]:
        """Every matching work order, page by page (the filters of :meth:`list`).

        >>> urgent = [wo.number for wo in db.work_orders.iter_all(owner, priority="urgent")]  # doctest: +SKIP
        """
        return self._walk(lambda c: self.list(
            actor, status=status, priority=priority, type=type, assignee=assignee, team=team, asset=asset,
            include_sub_assets=include_sub_assets, site=site, location=location, requested_by=requested_by,
            due_from=due_from, due_to=due_to, created_from=created_from, created_to=created_to, text=text,
            sort=sort, limit=limit, cursor=c,
        ))

    def comment(self, actor: Actor, id: Id, body: str, *, internal: bool = False) -> Comment:
        """Adds a comment; ``internal`` ones are seen by staff only (never by requesters)."""
        return self._call(actor, "work_orders.comment", Comment, id=_id(id), body=body, internal=internal)

    def comments(self, actor: Actor, id: Id) -> List[Comment]:
        """The comments the actor may see (internal ones only for staff)."""
        return self._call(actor, "work_orders.comments", List[Comment], id=_id(id))

    def add_checklist_item(self, actor: Actor, id: Id, label: str, *, mandatory: bool = False) -> ChecklistItem:
        """Appends a checklist item; a ``mandatory`` one must have a result before completion."""
        return self._call(actor, "work_orders.add_checklist_item", ChecklistItem, id=_id(id), label=label, mandatory=mandatory)

    def record_checklist(
        self, actor: Actor, id: Id, item_id: Id, result: Optional[ChecklistResult], *, notes: Optional[str] = None
    ) -> ChecklistItem:
        """Records an item's result: ``"done"``, ``"skipped"``, ``"issue"``, or ``None`` to clear it."""
        return self._call(
            actor, "work_orders.record_checklist", ChecklistItem, id=_id(id), item_id=_id(item_id, "item_id"),
            result=result, notes=notes,
        )

    def checklist(self, actor: Actor, id: Id) -> List[ChecklistItem]:
        """The work order's checklist, in order."""
        return self._call(actor, "work_orders.checklist", List[ChecklistItem], id=_id(id))

    def log_labor(
        self, actor: Actor, id: Id, *, minutes: Optional[int] = None, started_at: Optional[datetime] = None,
        ended_at: Optional[datetime] = None, user_id: Optional[Id] = None, category: Optional[LaborCategory] = None,
        notes: Optional[str] = None,
    ) -> LaborEntry:
        """Logs time on the work order: ``minutes``, or ``started_at`` and ``ended_at`` (aware
        datetimes). ``user_id`` defaults to the actor (logging for someone else needs the right
        to manage work); ``category``: ``"regular"`` (default), ``"overtime"``, ``"travel"``,
        ``"standby"``.

        >>> entry = db.work_orders.log_labor(tech, wo.id, minutes=45, notes="seal replaced")  # doctest: +SKIP
        """
        return self._call(
            actor, "work_orders.log_labor", LaborEntry, id=_id(id), minutes=minutes, started_at=started_at,
            ended_at=ended_at, user_id=_id(user_id, "user_id"), category=category, notes=notes,
        )

    def labor(self, actor: Actor, id: Id) -> List[LaborEntry]:
        """The labor logged on the work order."""
        return self._call(actor, "work_orders.labor", List[LaborEntry], id=_id(id))

    def timeline(self, actor: Actor, id: Id) -> List[TimelineEntry]:
        """Every status change of the work order, oldest first."""
        return self._call(actor, "work_orders.timeline", List[TimelineEntry], id=_id(id))

    def time_in_status(self, actor: Actor, id: Id) -> Dict[str, float]:
        """Seconds spent in each status so far."""
        pairs: List[Tuple[str, float]] = self._call(actor, "work_orders.time_in_status", Any, id=_id(id))
        return {status: seconds for status, seconds in pairs}

    def parts(self, actor: Actor, id: Id) -> List[WorkOrderPart]:
        """The work order's part lines (per part and location: planned, reserved, issued, returned)."""
        return self._call(actor, "work_orders.parts", List[WorkOrderPart], id=_id(id))

    def change_parts(
        self, actor: Actor, id: Id, action: PartAction, *, part_id: Id, location_id: Id,
        quantity: Optional[Amount] = None,
    ) -> WorkOrderPart:
        """Plans, reserves, issues, returns or releases parts for the work order (``action``),
        taken from ``location_id``; stock and the part line change in one commit. ``issue``
        uses the reservation first; ``release`` without a quantity releases all of it. Taking
        more than is available raises :class:`cmms.InsufficientStockError` and writes nothing.

        >>> db.work_orders.change_parts(tech, wo.id, "reserve", part_id=seal.id, location_id=store.id, quantity=2)  # doctest: +SKIP
        >>> db.work_orders.change_parts(tech, wo.id, "issue", part_id=seal.id, location_id=store.id, quantity=2)  # doctest: +SKIP
        """
        return self._call(
            actor, "work_orders.change_parts", WorkOrderPart, id=_id(id), action=action,
            part_id=_id(part_id, "part_id"), location_id=_id(location_id, "location_id"),
            quantity=_exact(quantity, "quantity"),
        )

    def add_cost(self, actor: Actor, id: Id, *, description: str, amount: Amount) -> WorkOrderCost:
        """Books an other cost on the work order (a contractor's invoice; negative for a credit).

        >>> db.work_orders.add_cost(tech, wo.id, description="Crane hire", amount="350.00")  # doctest: +SKIP
        """
        return self._call(
            actor, "work_orders.add_cost", WorkOrderCost, id=_id(id), description=description,
            amount=_exact(amount, "amount"),
        )

    def costs(self, actor: Actor, id: Id) -> List[WorkOrderCost]:
        """The other costs booked on the work order."""
        return self._call(actor, "work_orders.costs", List[WorkOrderCost], id=_id(id))

    def cost(self, actor: Actor, id: Id) -> CostSummary:
        """What the work order cost: labor at each worker's rate (else the organization's),
        parts issued at the cost they left stock minus returns, and other costs.

        >>> db.work_orders.cost(owner, wo.id).total  # doctest: +SKIP
        Decimal('435')
        """
        return self._call(actor, "work_orders.cost", CostSummary, id=_id(id))


class Requests(_Group):
    """Customer requests: intake, review, and the requester's confirmation of the work."""

    def create(
        self, actor: Actor, *, title: str, description: Optional[str] = None, site_id: Optional[Id] = None,
        location_id: Optional[Id] = None, asset_id: Optional[Id] = None, priority: Optional[Priority] = None,
        attachments: Sequence[AttachmentInput] = (), submit: bool = False, number: Optional[str] = None,
    ) -> Request:
        """Files a request (a ``draft``, or ``submitted`` with ``submit=True``). ``number`` is
        the filer's own request number, where the organization allows it
        (``caller_request_numbers``).

        >>> req = db.requests.create(requester, title="Leak in hall B", site_id=site.id, submit=True)  # doctest: +SKIP
        """
        return self._call(
            actor, "requests.create", Request, title=title, description=description, site_id=_id(site_id, "site_id"),
            location_id=_id(location_id, "location_id"), asset_id=_id(asset_id, "asset_id"), priority=priority,
            attachments=check_items("attachments", attachments), submit=submit, number=number,
        )

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, title: Patch[str] = UNSET,
        description: Patch[Optional[str]] = UNSET, priority: Patch[Priority] = UNSET,
        attachments: Patch[Sequence[AttachmentInput]] = UNSET,
    ) -> Request:
        """Changes the given fields of a request that is not yet reviewed."""
        return self._call(
            actor, "requests.update", Request, id=_id(id), expected_version=expected_version, title=title,
            description=description, priority=priority,
            attachments=attachments if attachments is UNSET else check_items("attachments", attachments),
        )

    def get(self, actor: Actor, id: Id) -> Request:
        """The request (requesters see their own only)."""
        return self._call(actor, "requests.get", Request, id=_id(id))

    def list(
        self, actor: Actor, *, status: Optional[OneOrMore[RequestStatus]] = None, site: Optional[Id] = None,
        requested_by: Optional[Id] = None, text: Optional[str] = None, limit: Optional[int] = None,
        cursor: Optional[str] = None, count: Optional[Count] = None,
    ) -> Page[Request]:
        """One page of the requests the actor may see, newest first. ``text`` finds words by
        prefix, as for work orders."""
        return self._page(
            actor, "requests.list", Request, status=_list(status, "status"), site=_id(site, "site"),
            requested_by=_id(requested_by, "requested_by"), text=text, limit=limit, cursor=cursor,
            count=count,
        )

    def iter_all(
        self, actor: Actor, *, status: Optional[OneOrMore[RequestStatus]] = None, site: Optional[Id] = None,
        requested_by: Optional[Id] = None, text: Optional[str] = None, limit: int = PAGE,
    ) -> Iterator[Request]:
        """Every matching request, page by page (the filters of :meth:`list`)."""
        return self._walk(lambda c: self.list(
            actor, status=status, site=site, requested_by=requested_by, text=text, limit=limit, cursor=c,
        ))

    def submit(self, actor: Actor, id: Id) -> Request:
        """Submits a draft for review."""
        return self._call(actor, "requests.submit", Request, id=_id(id))

    def cancel(self, actor: Actor, id: Id) -> Request:
        """Withdraws a request that is not yet approved."""
        return self._call(actor, "requests.cancel", Request, id=_id(id))

    def approve(
        self, actor: Actor, id: Id, *, type: Optional[WorkOrderType] = None, priority: Optional[Priority] = None,
        assignees: Sequence[Id] = (), team_id: Optional[Id] = None, due_at: Optional[When] = None,
    ) -> Tuple[Request, WorkOrder]:
        """Approves a submitted request, creating its work order; returns both.

        >>> req, wo = db.requests.approve(manager, req.id, priority="high", assignees=[tech.user_id])  # doctest: +SKIP
        """
        raw = json.loads(self._db._native.call(
            "requests.approve", _native_actor(actor),
            dumps({"id": _id(id), "type": type, "priority": priority, "assignees": _ids(assignees, "assignees"),
                   "team_id": _id(team_id, "team_id"), "due_at": _due(due_at, "due_at")}),
        ))
        return from_dict(Request, raw["request"]), from_dict(WorkOrder, raw["work_order"])

    def reject(self, actor: Actor, id: Id, reason: str) -> Request:
        """Turns a submitted request down, with the reason the requester will read."""
        return self._call(actor, "requests.reject", Request, id=_id(id), reason=reason)

    def confirm(self, actor: Actor, id: Id) -> WorkOrder:
        """The requester confirms the completed work (verified and closed)."""
        return self._call(actor, "requests.confirm", WorkOrder, id=_id(id))

    def reject_completion(self, actor: Actor, id: Id, reason: str) -> WorkOrder:
        """The requester rejects the completed work; it goes back to in progress."""
        return self._call(actor, "requests.reject_completion", WorkOrder, id=_id(id), reason=reason)

    def work_order(self, actor: Actor, id: Id) -> Optional[WorkOrder]:
        """The work order the request led to, if approved."""
        return self._call(actor, "requests.work_order", Optional[WorkOrder], id=_id(id))

    def auto_close_confirmations(self, now: Optional[datetime] = None) -> AutoCloseReport:
        """Closes completions nobody confirmed within each organization's ``auto_close_days``."""
        return self._call(None, "requests.auto_close", AutoCloseReport, now=now)
