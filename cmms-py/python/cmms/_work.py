# mypy: disable-error-code="no-any-return"
"""Assets, work orders and requests."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from ._convert import UNSET, dumps, from_dict
from .models import (
    Asset,
    AutoCloseReport,
    ChecklistItem,
    Comment,
    LaborEntry,
    Page,
    Request,
    TimelineEntry,
    WorkOrder,
)
from ._base import Actor, Id, _Group, _id, _ids, _list, _native_actor, _opt_id

__all__ = ['Assets', 'WorkOrders', 'Requests']


class Assets(_Group):
    """Assets and their hierarchy."""

    def create(
        self, actor: Actor, *, name: str, code: str, site_id: Optional[Id] = None, location_id: Optional[Id] = None,
        parent_id: Optional[Id] = None, category: Optional[str] = None, manufacturer: Optional[str] = None,
        model: Optional[str] = None, serial_number: Optional[str] = None, criticality: Optional[int] = None,
        state: Optional[str] = None, specifications: Optional[Dict[str, Any]] = None,
        custom_fields: Optional[Dict[str, Any]] = None,
    ) -> Asset:
        return self._call(
            actor, "assets.create", Asset, name=name, code=code, site_id=_id(site_id, "site_id"),
            location_id=_id(location_id, "location_id"), parent_id=_id(parent_id, "parent_id"), category=category,
            manufacturer=manufacturer, model=model, serial_number=serial_number, criticality=criticality,
            state=state, specifications=specifications, custom_fields=custom_fields,
        )

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Any = UNSET, code: Any = UNSET,
        location_id: Any = UNSET, parent_id: Any = UNSET, category: Any = UNSET, manufacturer: Any = UNSET,
        model: Any = UNSET, serial_number: Any = UNSET, criticality: Any = UNSET, state: Any = UNSET,
        specifications: Any = UNSET, custom_fields: Any = UNSET,
    ) -> Asset:
        return self._call(
            actor, "assets.update", Asset, id=_id(id), expected_version=expected_version, name=name, code=code,
            location_id=_opt_id(location_id, "location_id"), parent_id=_opt_id(parent_id, "parent_id"),
            category=category, manufacturer=manufacturer, model=model, serial_number=serial_number,
            criticality=criticality, state=state, specifications=specifications, custom_fields=custom_fields,
        )

    def get(self, actor: Actor, id: Id) -> Asset:
        return self._call(actor, "assets.get", Asset, id=_id(id))

    def list(
        self, actor: Actor, *, site: Optional[Id] = None, location: Optional[Id] = None, parent: Optional[Id] = None,
        roots_only: bool = False, state: Optional[str] = None, category: Optional[str] = None,
        text: Optional[str] = None, limit: Optional[int] = None, cursor: Optional[str] = None,
        count: Optional[str] = None,
    ) -> Page[Asset]:
        return self._page(
            actor, "assets.list", Asset, site=_id(site, "site"), location=_id(location, "location"),
            parent=_id(parent, "parent"), roots_only=roots_only, state=state, category=category, text=text,
            limit=limit, cursor=cursor, count=count,
        )

    def iter_all(self, actor: Actor, **filters: Any) -> Iterator[Asset]:
        filters.setdefault("limit", 200)
        return self._walk(lambda c: self.list(actor, cursor=c, **filters))

    def children(self, actor: Actor, id: Id, *, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[Asset]:
        return self._page(actor, "assets.children", Asset, id=_id(id), limit=limit, cursor=cursor)


class WorkOrders(_Group):
    """Work orders: create, edit, the status machine, people, and the work done on them."""

    def create(
        self, actor: Actor, *, title: str, description: Optional[str] = None, type: Optional[str] = None,
        priority: Optional[str] = None, category: Optional[str] = None, site_id: Optional[Id] = None,
        location_id: Optional[Id] = None, asset_id: Optional[Id] = None, assignees: Sequence[Id] = (),
        team_id: Optional[Id] = None, requested_by: Optional[Id] = None, due_at: Optional[datetime] = None,
        estimated_hours: Optional[float] = None, checklist: Sequence[Dict[str, Any]] = (),
        attachments: Sequence[Dict[str, Any]] = (),
    ) -> WorkOrder:
        """Creates a work order with the organization's next number."""
        return self._call(
            actor, "work_orders.create", WorkOrder, title=title, description=description, type=type,
            priority=priority, category=category, site_id=_id(site_id, "site_id"),
            location_id=_id(location_id, "location_id"), asset_id=_id(asset_id, "asset_id"),
            assignees=_ids(assignees, "assignees"), team_id=_id(team_id, "team_id"),
            requested_by=_id(requested_by, "requested_by"), due_at=due_at, estimated_hours=estimated_hours,
            checklist=list(checklist), attachments=list(attachments),
        )

    def get(self, actor: Actor, id: Id) -> WorkOrder:
        return self._call(actor, "work_orders.get", WorkOrder, id=_id(id))

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, title: Any = UNSET,
        description: Any = UNSET, type: Any = UNSET, priority: Any = UNSET, category: Any = UNSET,
        location_id: Any = UNSET, asset_id: Any = UNSET, due_at: Any = UNSET,
        estimated_hours: Any = UNSET,
    ) -> WorkOrder:
        return self._call(
            actor, "work_orders.update", WorkOrder, id=_id(id), expected_version=expected_version, title=title,
            description=description, type=type, priority=priority, category=category,
            location_id=_opt_id(location_id, "location_id"), asset_id=_opt_id(asset_id, "asset_id"),
            due_at=due_at, estimated_hours=estimated_hours,
        )

    def transition(
        self, actor: Actor, id: Id, to: str, reason: Optional[str] = None, *, completion_notes: Optional[str] = None,
        failure: Optional[Dict[str, Optional[str]]] = None, expected_version: Optional[int] = None,
    ) -> WorkOrder:
        """Moves the work order along the status machine (``"in_progress"``, ``"completed"``, ...)."""
        return self._call(
            actor, "work_orders.transition", WorkOrder, id=_id(id), to=to, reason=reason,
            completion_notes=completion_notes, failure=failure, expected_version=expected_version,
        )

    def assign(
        self, actor: Actor, id: Id, assignees: Sequence[Id], *, team_id: Optional[Id] = None,
        expected_version: Optional[int] = None,
    ) -> WorkOrder:
        return self._call(
            actor, "work_orders.assign", WorkOrder, id=_id(id), assignees=_ids(assignees, "assignees"),
            team_id=_id(team_id, "team_id"), expected_version=expected_version,
        )

    def self_assign(self, actor: Actor, id: Id) -> WorkOrder:
        return self._call(actor, "work_orders.self_assign", WorkOrder, id=_id(id))

    def delete(self, actor: Actor, id: Id, *, expected_version: Optional[int] = None) -> None:
        self._call(actor, "work_orders.delete", type(None), id=_id(id), expected_version=expected_version)

    def list(
        self, actor: Actor, *, status: Optional[Union[str, Sequence[str]]] = None,
        priority: Optional[Union[str, Sequence[str]]] = None, type: Optional[Union[str, Sequence[str]]] = None,
        assignee: Optional[Id] = None, team: Optional[Id] = None, asset: Optional[Id] = None,
        include_sub_assets: bool = False, site: Optional[Id] = None, location: Optional[Id] = None,
        requested_by: Optional[Id] = None, due_from: Optional[datetime] = None, due_to: Optional[datetime] = None,
        created_from: Optional[datetime] = None, created_to: Optional[datetime] = None,
        text: Optional[str] = None, sort: Optional[str] = None, limit: Optional[int] = None,
        cursor: Optional[str] = None, count: Optional[str] = None,
    ) -> Page[WorkOrder]:
        """One page of the work orders the actor may see. ``sort``: ``created``, ``updated``,
        ``due``, ``priority``, with ``-field`` or ``field:asc`` / ``field:desc``.
        ``count="exact"`` also counts every matching work order (``Page.total``)."""
        return self._page(
            actor, "work_orders.list", WorkOrder, status=_list(status, "status"),
            priority=_list(priority, "priority"), type=_list(type, "type"), assignee=_id(assignee, "assignee"),
            team=_id(team, "team"), asset=_id(asset, "asset"), include_sub_assets=include_sub_assets,
            site=_id(site, "site"), location=_id(location, "location"), requested_by=_id(requested_by, "requested_by"),
            due_from=due_from, due_to=due_to, created_from=created_from, created_to=created_to, text=text,
            sort=sort if sort is not None else UNSET, limit=limit, cursor=cursor, count=count,
        )

    def iter_all(self, actor: Actor, **filters: Any) -> Iterator[WorkOrder]:
        """Every matching work order, page by page."""
        filters.setdefault("limit", 200)
        return self._walk(lambda c: self.list(actor, cursor=c, **filters))

    def comment(self, actor: Actor, id: Id, body: str, *, internal: bool = False) -> Comment:
        return self._call(actor, "work_orders.comment", Comment, id=_id(id), body=body, internal=internal)

    def comments(self, actor: Actor, id: Id) -> List[Comment]:
        """The comments the actor may see (internal ones only for staff)."""
        return self._call(actor, "work_orders.comments", List[Comment], id=_id(id))

    def add_checklist_item(self, actor: Actor, id: Id, label: str, *, mandatory: bool = False) -> ChecklistItem:
        return self._call(actor, "work_orders.add_checklist_item", ChecklistItem, id=_id(id), label=label, mandatory=mandatory)

    def record_checklist(
        self, actor: Actor, id: Id, item_id: Id, result: Optional[str], *, notes: Optional[str] = None
    ) -> ChecklistItem:
        return self._call(
            actor, "work_orders.record_checklist", ChecklistItem, id=_id(id), item_id=_id(item_id, "item_id"),
            result=result, notes=notes,
        )

    def checklist(self, actor: Actor, id: Id) -> List[ChecklistItem]:
        return self._call(actor, "work_orders.checklist", List[ChecklistItem], id=_id(id))

    def log_labor(
        self, actor: Actor, id: Id, *, minutes: Optional[int] = None, started_at: Optional[datetime] = None,
        ended_at: Optional[datetime] = None, user_id: Optional[Id] = None, category: Optional[str] = None,
        notes: Optional[str] = None,
    ) -> LaborEntry:
        return self._call(
            actor, "work_orders.log_labor", LaborEntry, id=_id(id), minutes=minutes, started_at=started_at,
            ended_at=ended_at, user_id=_id(user_id, "user_id"), category=category, notes=notes,
        )

    def labor(self, actor: Actor, id: Id) -> List[LaborEntry]:
        return self._call(actor, "work_orders.labor", List[LaborEntry], id=_id(id))

    def timeline(self, actor: Actor, id: Id) -> List[TimelineEntry]:
        return self._call(actor, "work_orders.timeline", List[TimelineEntry], id=_id(id))

    def time_in_status(self, actor: Actor, id: Id) -> Dict[str, float]:
        """Seconds spent in each status so far."""
        pairs: List[Tuple[str, float]] = self._call(actor, "work_orders.time_in_status", Any, id=_id(id))
        return {status: seconds for status, seconds in pairs}


class Requests(_Group):
    """Customer requests: intake, review, and the requester's confirmation of the work."""

    def create(
        self, actor: Actor, *, title: str, description: Optional[str] = None, site_id: Optional[Id] = None,
        location_id: Optional[Id] = None, asset_id: Optional[Id] = None, priority: Optional[str] = None,
        attachments: Sequence[Dict[str, Any]] = (), submit: bool = False, number: Optional[str] = None,
    ) -> Request:
        """Files a request. ``number`` is the filer's own request number, where the organization
        allows it (``caller_request_numbers``)."""
        return self._call(
            actor, "requests.create", Request, title=title, description=description, site_id=_id(site_id, "site_id"),
            location_id=_id(location_id, "location_id"), asset_id=_id(asset_id, "asset_id"), priority=priority,
            attachments=list(attachments), submit=submit, number=number,
        )

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, title: Any = UNSET,
        description: Any = UNSET, priority: Any = UNSET, attachments: Any = UNSET,
    ) -> Request:
        return self._call(
            actor, "requests.update", Request, id=_id(id), expected_version=expected_version, title=title,
            description=description, priority=priority, attachments=attachments,
        )

    def get(self, actor: Actor, id: Id) -> Request:
        return self._call(actor, "requests.get", Request, id=_id(id))

    def list(
        self, actor: Actor, *, status: Optional[Union[str, Sequence[str]]] = None, site: Optional[Id] = None,
        requested_by: Optional[Id] = None, text: Optional[str] = None, limit: Optional[int] = None,
        cursor: Optional[str] = None, count: Optional[str] = None,
    ) -> Page[Request]:
        return self._page(
            actor, "requests.list", Request, status=_list(status, "status"), site=_id(site, "site"),
            requested_by=_id(requested_by, "requested_by"), text=text, limit=limit, cursor=cursor,
            count=count,
        )

    def iter_all(self, actor: Actor, **filters: Any) -> Iterator[Request]:
        filters.setdefault("limit", 200)
        return self._walk(lambda c: self.list(actor, cursor=c, **filters))

    def submit(self, actor: Actor, id: Id) -> Request:
        return self._call(actor, "requests.submit", Request, id=_id(id))

    def cancel(self, actor: Actor, id: Id) -> Request:
        return self._call(actor, "requests.cancel", Request, id=_id(id))

    def approve(
        self, actor: Actor, id: Id, *, type: Optional[str] = None, priority: Optional[str] = None,
        assignees: Sequence[Id] = (), team_id: Optional[Id] = None, due_at: Optional[datetime] = None,
    ) -> Tuple[Request, WorkOrder]:
        """Approves a submitted request, creating its work order; returns both."""
        raw = json.loads(self._db._native.call(
            "requests.approve", _native_actor(actor),
            dumps({"id": _id(id), "type": type, "priority": priority, "assignees": _ids(assignees, "assignees"),
                   "team_id": _id(team_id, "team_id"), "due_at": due_at}),
        ))
        return from_dict(Request, raw["request"]), from_dict(WorkOrder, raw["work_order"])

    def reject(self, actor: Actor, id: Id, reason: str) -> Request:
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

