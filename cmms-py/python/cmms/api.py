# mypy: disable-error-code="no-any-return"
"""The pythonic face of cmms: :func:`open` returns a :class:`Cmms` whose groups (``orgs``,
``sites``, ``users``, ``assets``, ``work_orders``, ``requests``, ``audit``, ``events``) carry
the use cases of the Rust ``Cmms`` facade, with the same keyword names and defaults."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Type, TypeVar, Union

from . import _cmms
from ._convert import UNSET, dumps, from_dict, loads
from .models import (
    Asset,
    AuditEntry,
    AutoCloseReport,
    Bootstrapped,
    BrokenLink,
    ChecklistItem,
    Comment,
    CustomRole,
    Event,
    EventPage,
    FailureCode,
    LaborEntry,
    Location,
    Org,
    OrgSettings,
    Page,
    Request,
    RoleGrant,
    Site,
    Team,
    TimelineEntry,
    User,
    WorkOrder,
)

__all__ = ["open", "Cmms", "Actor", "UNSET"]

T = TypeVar("T")
Id = Union[uuid.UUID, str]


def _id(value: Optional[Id], name: str = "id") -> Optional[str]:
    """Accepts a UUID or its text form; anything else is a TypeError naming the argument."""
    if value is None:
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
    if value is None:
        return UNSET
    if isinstance(value, str):
        return [value]
    if not isinstance(value, (list, tuple, set, frozenset)):
        raise TypeError(f"{name}: expected a string or a list of strings")
    return list(value)


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
        import json

        raw = json.loads(self._db._native.call(method, _native_actor(actor), dumps(args)))
        return Page(items=[from_dict(item, x) for x in raw["items"]], next_cursor=raw["next_cursor"])

    @staticmethod
    def _walk(fetch: Callable[[Optional[str]], Page[T]]) -> Iterator[T]:
        cursor: Optional[str] = None
        while True:
            page = fetch(cursor)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor


class Orgs(_Group):
    """Organizations (the tenant), their settings and failure codes."""

    def bootstrap(
        self, *, name: str, owner_name: str, owner_email: str, settings: Optional[OrgSettings] = None
    ) -> Bootstrapped:
        """Creates an organization with its first owner (no actor needed)."""
        return self._call(
            None, "orgs.bootstrap", Bootstrapped,
            name=name, owner_name=owner_name, owner_email=owner_email, settings=settings or UNSET,
        )

    def get(self, actor: Actor) -> Org:
        return self._call(actor, "orgs.get", Org)

    def update_settings(self, actor: Actor, settings: OrgSettings, *, expected_version: Optional[int] = None) -> Org:
        return self._call(actor, "orgs.update_settings", Org, settings=settings, expected_version=expected_version)

    def create_failure_code(self, actor: Actor, *, kind: str, code: str, description: str) -> FailureCode:
        return self._call(actor, "orgs.create_failure_code", FailureCode, kind=kind, code=code, description=description)

    def list_failure_codes(self, actor: Actor) -> List[FailureCode]:
        return self._call(actor, "orgs.list_failure_codes", List[FailureCode])


class Sites(_Group):
    """Sites, their location trees, and teams."""

    def create(
        self, actor: Actor, *, name: str, code: str, kind: str = "plant", time_zone: str = "UTC",
        address: Optional[str] = None,
    ) -> Site:
        return self._call(actor, "sites.create", Site, name=name, code=code, kind=kind, time_zone=time_zone, address=address)

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Any = UNSET, code: Any = UNSET,
        kind: Any = UNSET, time_zone: Any = UNSET, address: Any = UNSET, active: Any = UNSET,
    ) -> Site:
        return self._call(
            actor, "sites.update", Site, id=_id(id), expected_version=expected_version, name=name, code=code,
            kind=kind, time_zone=time_zone, address=address, active=active,
        )

    def get(self, actor: Actor, id: Id) -> Site:
        return self._call(actor, "sites.get", Site, id=_id(id))

    def list(self, actor: Actor) -> List[Site]:
        return self._call(actor, "sites.list", List[Site])

    def create_location(
        self, actor: Actor, *, site_id: Id, name: str, parent_id: Optional[Id] = None, code: Optional[str] = None
    ) -> Location:
        return self._call(
            actor, "sites.create_location", Location,
            site_id=_id(site_id, "site_id"), name=name, parent_id=_id(parent_id, "parent_id"), code=code,
        )

    def update_location(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Any = UNSET,
        code: Any = UNSET, parent_id: Any = UNSET,
    ) -> Location:
        return self._call(
            actor, "sites.update_location", Location, id=_id(id), expected_version=expected_version,
            name=name, code=code, parent_id=_opt_id(parent_id, "parent_id"),
        )

    def get_location(self, actor: Actor, id: Id) -> Location:
        return self._call(actor, "sites.get_location", Location, id=_id(id))

    def list_locations(self, actor: Actor, site_id: Optional[Id] = None) -> List[Location]:
        return self._call(actor, "sites.list_locations", List[Location], site_id=_id(site_id, "site_id"))

    def create_team(
        self, actor: Actor, *, name: str, site_id: Optional[Id] = None, members: Sequence[Id] = ()
    ) -> Team:
        return self._call(
            actor, "sites.create_team", Team, name=name, site_id=_id(site_id, "site_id"), members=_ids(members, "members"),
        )

    def update_team(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Any = UNSET,
        site_id: Any = UNSET, members: Any = UNSET,
    ) -> Team:
        return self._call(
            actor, "sites.update_team", Team, id=_id(id), expected_version=expected_version, name=name,
            site_id=_opt_id(site_id, "site_id"), members=members if members is UNSET else _ids(members, "members"),
        )

    def get_team(self, actor: Actor, id: Id) -> Team:
        return self._call(actor, "sites.get_team", Team, id=_id(id))

    def list_teams(self, actor: Actor) -> List[Team]:
        return self._call(actor, "sites.list_teams", List[Team])


def _role(role: Union[str, uuid.UUID]) -> Dict[str, str]:
    if isinstance(role, uuid.UUID):
        return {"custom": str(role)}
    if isinstance(role, str):
        try:
            return {"custom": str(uuid.UUID(role))}
        except ValueError:
            return {"builtin": role}
    raise TypeError(f"role: expected a built-in role name or a custom role id, got {type(role).__name__}")


class Users(_Group):
    """Users, role grants and custom roles."""

    def create(
        self, actor: Actor, *, name: str, email: str, role: Optional[Union[str, uuid.UUID]] = None,
        sites: Optional[Sequence[Id]] = None,
    ) -> User:
        """Creates a user, optionally granting a first role (only roles below your own)."""
        import json

        raw = self._db._native.call(
            "users.create", _native_actor(actor),
            dumps({"name": name, "email": email, "role": _role(role) if role is not None else None,
                   "sites": _ids(sites, "sites")}),
        )
        return from_dict(User, json.loads(raw)["user"])

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Any = UNSET,
        email: Any = UNSET, active: Any = UNSET,
    ) -> User:
        return self._call(actor, "users.update", User, id=_id(id), expected_version=expected_version, name=name, email=email, active=active)

    def get(self, actor: Actor, id: Id) -> User:
        return self._call(actor, "users.get", User, id=_id(id))

    def list(
        self, actor: Actor, *, active: Optional[bool] = None, text: Optional[str] = None,
        limit: Optional[int] = None, cursor: Optional[str] = None,
    ) -> Page[User]:
        return self._page(actor, "users.list", User, active=active, text=text, limit=limit, cursor=cursor)

    def iter_all(self, actor: Actor, *, active: Optional[bool] = None, text: Optional[str] = None, limit: int = 200) -> Iterator[User]:
        return self._walk(lambda c: self.list(actor, active=active, text=text, limit=limit, cursor=c))

    def grant_role(
        self, actor: Actor, user_id: Id, role: Union[str, uuid.UUID], *, sites: Optional[Sequence[Id]] = None
    ) -> RoleGrant:
        return self._call(
            actor, "users.grant_role", RoleGrant, user_id=_id(user_id, "user_id"), role=_role(role), sites=_ids(sites, "sites"),
        )

    def revoke_grant(self, actor: Actor, grant_id: Id) -> None:
        self._call(actor, "users.revoke_grant", type(None), id=_id(grant_id, "grant_id"))

    def grants(self, actor: Actor, user_id: Id) -> List[RoleGrant]:
        return self._call(actor, "users.grants", List[RoleGrant], user_id=_id(user_id, "user_id"))

    def create_role(
        self, actor: Actor, *, name: str, level: int, permissions: Dict[str, str], description: Optional[str] = None
    ) -> CustomRole:
        return self._call(actor, "users.create_role", CustomRole, name=name, level=level, permissions=permissions, description=description)

    def update_role(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Any = UNSET,
        description: Any = UNSET, level: Any = UNSET, permissions: Any = UNSET,
    ) -> CustomRole:
        return self._call(
            actor, "users.update_role", CustomRole, id=_id(id), expected_version=expected_version, name=name,
            description=description, level=level, permissions=permissions,
        )

    def list_roles(self, actor: Actor) -> List[CustomRole]:
        return self._call(actor, "users.list_roles", List[CustomRole])


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
    ) -> Page[Asset]:
        return self._page(
            actor, "assets.list", Asset, site=_id(site, "site"), location=_id(location, "location"),
            parent=_id(parent, "parent"), roots_only=roots_only, state=state, category=category, text=text,
            limit=limit, cursor=cursor,
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
        cursor: Optional[str] = None,
    ) -> Page[WorkOrder]:
        """One page of the work orders the actor may see. ``sort``: ``created``, ``updated``,
        ``due``, ``priority``, with ``-field`` or ``field:asc`` / ``field:desc``."""
        return self._page(
            actor, "work_orders.list", WorkOrder, status=_list(status, "status"),
            priority=_list(priority, "priority"), type=_list(type, "type"), assignee=_id(assignee, "assignee"),
            team=_id(team, "team"), asset=_id(asset, "asset"), include_sub_assets=include_sub_assets,
            site=_id(site, "site"), location=_id(location, "location"), requested_by=_id(requested_by, "requested_by"),
            due_from=due_from, due_to=due_to, created_from=created_from, created_to=created_to, text=text,
            sort=sort if sort is not None else UNSET, limit=limit, cursor=cursor,
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
        attachments: Sequence[Dict[str, Any]] = (), submit: bool = False,
    ) -> Request:
        return self._call(
            actor, "requests.create", Request, title=title, description=description, site_id=_id(site_id, "site_id"),
            location_id=_id(location_id, "location_id"), asset_id=_id(asset_id, "asset_id"), priority=priority,
            attachments=list(attachments), submit=submit,
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
        cursor: Optional[str] = None,
    ) -> Page[Request]:
        return self._page(
            actor, "requests.list", Request, status=_list(status, "status"), site=_id(site, "site"),
            requested_by=_id(requested_by, "requested_by"), text=text, limit=limit, cursor=cursor,
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
        import json

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


class Audit(_Group):
    """The audit trail and its hash chain."""

    def entries(self, actor: Actor, *, after: int = 0, limit: int = 100) -> List[AuditEntry]:
        return self._call(actor, "audit.entries", List[AuditEntry], after=after, limit=limit)

    def verify(self, actor: Actor) -> Optional[BrokenLink]:
        """The first broken link of the chain, or ``None`` when it is intact."""
        return self._call(actor, "audit.verify", Optional[BrokenLink])


class Events(_Group):
    """The event outbox: read from a sequence number, or follow it live."""

    def since(self, actor: Actor, *, after: int = 0, limit: int = 100) -> EventPage:
        return self._call(actor, "events.since", EventPage, after=after, limit=limit)

    def follow(self, actor: Actor, *, after: int = 0, timeout: Optional[float] = None) -> Iterator[Event]:
        """Yields the actor's events after ``after`` as they happen; stops when ``timeout``
        seconds pass without one (``None`` waits forever)."""
        sub = self._db._native.subscribe(_native_actor(actor), after)
        while True:
            raw = sub.next(timeout)
            if raw is None:
                return
            yield loads(Event, raw)


class Cmms:
    """An open cmms database. Use :func:`open`; close it with :meth:`close` or a ``with`` block."""

    def __init__(self, native: Any, url: str) -> None:
        self._native = native
        self._url = url
        self.orgs = Orgs(self)
        self.sites = Sites(self)
        self.users = Users(self)
        self.assets = Assets(self)
        self.work_orders = WorkOrders(self)
        self.requests = Requests(self)
        self.audit = Audit(self)
        self.events = Events(self)

    def __repr__(self) -> str:
        state = "closed" if self._native.closed else "open"
        return f"<cmms.Cmms {self._url!r} {state}>"

    def __enter__(self) -> "Cmms":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def migrate(self) -> int:
        """Applies pending schema migrations; returns the schema version."""
        version: int = self._native.migrate()
        return version

    def schema_version(self) -> int:
        version: int = self._native.schema_version()
        return version

    def close(self) -> None:
        """Closes the database; further calls raise ``RuntimeError``."""
        self._native.close()

    @property
    def closed(self) -> bool:
        return bool(self._native.closed)

    def actor(self, org_id: Id, user_id: Id) -> Actor:
        """The caller for a user of an organization (with their roles and teams)."""
        return Actor(self._native.actor(_id(org_id, "org_id"), _id(user_id, "user_id")))


def open(url: str, *, migrate: bool = False) -> Cmms:
    """Opens a database: ``sqlite:///path/plant.db``, ``sqlite::memory:`` or
    ``postgres://user:password@host/db``. The schema is migrated only when asked
    (``migrate=True`` or :meth:`Cmms.migrate`)."""
    if not isinstance(url, str):
        raise TypeError(f"url: expected a string, got {type(url).__name__}")
    db = Cmms(_cmms.Native.open(url), url)
    if migrate:
        try:
            db.migrate()
        except BaseException:
            db.close()
            raise
    return db
