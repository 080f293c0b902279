# mypy: disable-error-code="no-any-return"
"""Organizations, sites, users and roles."""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

from ._convert import UNSET, dumps, from_dict
from .models import (
    Bootstrapped,
    CustomRole,
    FailureCode,
    Location,
    Org,
    OrgSettings,
    Page,
    RoleGrant,
    Site,
    Team,
    User,
)
from ._base import Actor, Id, _Group, _id, _ids, _native_actor, _opt_id

__all__ = ['Orgs', 'Sites', 'Users']


class Orgs(_Group):
    """Organizations (the tenant), their settings and failure codes."""

    def bootstrap(
        self, *, name: str, owner_name: str, owner_email: str, settings: Optional[OrgSettings] = None,
        slug: Optional[str] = None,
    ) -> Bootstrapped:
        """Creates an organization with its first owner (no actor needed). ``slug`` (the short
        name people log in with) is made from the name when left out."""
        return self._call(
            None, "orgs.bootstrap", Bootstrapped,
            name=name, owner_name=owner_name, owner_email=owner_email, settings=settings or UNSET,
            slug=slug if slug is not None else UNSET,
        )

    def get(self, actor: Actor) -> Org:
        return self._call(actor, "orgs.get", Org)

    def update_settings(self, actor: Actor, settings: OrgSettings, *, expected_version: Optional[int] = None) -> Org:
        """Sets every setting to ``settings`` (name and slug stay)."""
        return self._call(actor, "orgs.update_settings", Org, settings=settings, expected_version=expected_version)

    def update(
        self, actor: Actor, *, expected_version: Optional[int] = None, name: Any = UNSET, slug: Any = UNSET,
        work_order_number_format: Any = UNSET, request_number_format: Any = UNSET, auto_close_days: Any = UNSET,
        require_failure_codes: Any = UNSET, time_zone: Any = UNSET, caller_request_numbers: Any = UNSET,
    ) -> Org:
        """Changes the given fields of the organization and keeps the others (a merge patch)."""
        patch = {
            k: v for k, v in dict(
                name=name, slug=slug, work_order_number_format=work_order_number_format,
                request_number_format=request_number_format, auto_close_days=auto_close_days,
                require_failure_codes=require_failure_codes, time_zone=time_zone,
                caller_request_numbers=caller_request_numbers,
            ).items() if v is not UNSET
        }
        return self._call(actor, "orgs.update_settings", Org, settings=patch, expected_version=expected_version)

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
        limit: Optional[int] = None, cursor: Optional[str] = None, count: Optional[str] = None,
    ) -> Page[User]:
        return self._page(
            actor, "users.list", User, active=active, text=text, limit=limit, cursor=cursor, count=count
        )

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

