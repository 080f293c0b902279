# mypy: disable-error-code="no-any-return"
"""Organizations, sites, users and roles."""

from __future__ import annotations

import json
import uuid
from typing import Dict, Iterator, List, Optional, Sequence, Tuple, Union

from ._convert import UNSET, Patch, Unset, dumps, from_dict
from .models import (
    ApiKey,
    CreatedUser,
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
from ._base import PAGE, Actor, Id, _Group, _id, _ids, _native_actor, _opt_id
from .types import BuiltinRole, Condition, Count, FailureCodeKind, SiteKind

__all__ = ['Orgs', 'Sites', 'Users']


class Orgs(_Group):
    """Organizations (the tenant), their settings and failure codes."""

    def bootstrap(
        self, *, name: str, owner_name: str, owner_email: str, settings: Optional[OrgSettings] = None,
        slug: Optional[str] = None,
    ) -> Bootstrapped:
        """Creates an organization with its first owner (no actor needed). ``slug`` (the short
        name people log in with) is made from the name when left out.

        >>> boot = db.orgs.bootstrap(name="Acme", owner_name="Olivia", owner_email="olivia@acme.test")  # doctest: +SKIP
        >>> owner = db.actor(boot.org.id, boot.owner.id)  # doctest: +SKIP
        """
        return self._call(
            None, "orgs.bootstrap", Bootstrapped,
            name=name, owner_name=owner_name, owner_email=owner_email, settings=settings or UNSET,
            slug=slug if slug is not None else UNSET,
        )

    def list(self) -> List[Org]:
        """Every organization in this database, by name (no actor needed: whoever opened the
        database may see them all; the HTTP server never offers this).

        >>> [org.slug for org in db.orgs.list()]  # doctest: +SKIP
        ['acme']
        """
        return self._call(None, "orgs.list", List[Org])

    def find(self, slug: str) -> Optional[Org]:
        """The organization with this slug (or id), or ``None``: how a later script finds its
        organization again without having saved ids.

        >>> acme = db.orgs.find("acme")  # doctest: +SKIP
        >>> system = db.system_actor(acme.id)  # doctest: +SKIP
        >>> olivia = db.users.find(system, email="olivia@acme.test")  # doctest: +SKIP
        """
        if not isinstance(slug, str):
            raise TypeError(f"slug: expected a string, got {type(slug).__name__}")
        return self._call(None, "orgs.find", Optional[Org], slug=slug)

    def get(self, actor: Actor) -> Org:
        """The actor's organization."""
        return self._call(actor, "orgs.get", Org)

    def update_settings(self, actor: Actor, settings: OrgSettings, *, expected_version: Optional[int] = None) -> Org:
        """Sets every setting to ``settings`` (name and slug stay)."""
        return self._call(actor, "orgs.update_settings", Org, settings=settings, expected_version=expected_version)

    def update(
        self, actor: Actor, *, expected_version: Optional[int] = None, name: Patch[str] = UNSET,
        slug: Patch[str] = UNSET, work_order_number_format: Patch[str] = UNSET,
        request_number_format: Patch[str] = UNSET, auto_close_days: Patch[int] = UNSET,
        require_failure_codes: Patch[bool] = UNSET, time_zone: Patch[str] = UNSET,
        caller_request_numbers: Patch[bool] = UNSET, webhooks_allow_http: Patch[bool] = UNSET,
    ) -> Org:
        """Changes the given fields of the organization and keeps the others (a merge patch).
        Number formats use ``{YYYY}``, ``{YY}``, ``{MM}``, ``{SITE}`` and ``{SEQ:n}``."""
        return self._call(
            actor, "orgs.update", Org, expected_version=expected_version, name=name, slug=slug,
            work_order_number_format=work_order_number_format, request_number_format=request_number_format,
            auto_close_days=auto_close_days, require_failure_codes=require_failure_codes, time_zone=time_zone,
            caller_request_numbers=caller_request_numbers, webhooks_allow_http=webhooks_allow_http,
        )

    def create_failure_code(self, actor: Actor, *, kind: FailureCodeKind, code: str, description: str) -> FailureCode:
        """Adds a code to one of the failure lists (``"problem"``, ``"cause"``, ``"remedy"``)."""
        return self._call(actor, "orgs.create_failure_code", FailureCode, kind=kind, code=code, description=description)

    def list_failure_codes(self, actor: Actor) -> List[FailureCode]:
        """The organization's failure codes, by list and code."""
        return self._call(actor, "orgs.list_failure_codes", List[FailureCode])


class Sites(_Group):
    """Sites, their location trees, and teams."""

    def create(
        self, actor: Actor, *, name: str, code: str, kind: SiteKind = "plant", time_zone: str = "UTC",
        address: Optional[str] = None,
    ) -> Site:
        """Creates a site. ``code`` is unique in the organization and may appear in numbers
        (``{SITE}``); ``time_zone`` is an IANA name (``"Europe/Berlin"``) used by PM schedules.

        >>> site = db.sites.create(owner, name="North Plant", code="NP", time_zone="Europe/Berlin")  # doctest: +SKIP
        """
        return self._call(actor, "sites.create", Site, name=name, code=code, kind=kind, time_zone=time_zone, address=address)

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Patch[str] = UNSET,
        code: Patch[str] = UNSET, kind: Patch[SiteKind] = UNSET, time_zone: Patch[str] = UNSET,
        address: Patch[Optional[str]] = UNSET, active: Patch[bool] = UNSET,
    ) -> Site:
        """Changes the given fields of a site and keeps the others."""
        return self._call(
            actor, "sites.update", Site, id=_id(id), expected_version=expected_version, name=name, code=code,
            kind=kind, time_zone=time_zone, address=address, active=active,
        )

    def get(self, actor: Actor, id: Id) -> Site:
        """The site."""
        return self._call(actor, "sites.get", Site, id=_id(id))

    def list(self, actor: Actor) -> List[Site]:
        """The sites the actor may see, by name."""
        return self._call(actor, "sites.list", List[Site])

    def create_location(
        self, actor: Actor, *, site_id: Id, name: str, parent_id: Optional[Id] = None, code: Optional[str] = None
    ) -> Location:
        """Adds a location (building, floor, room, ...) to a site, under ``parent_id`` if given."""
        return self._call(
            actor, "sites.create_location", Location,
            site_id=_id(site_id, "site_id"), name=name, parent_id=_id(parent_id, "parent_id"), code=code,
        )

    def update_location(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Patch[str] = UNSET,
        code: Patch[Optional[str]] = UNSET, parent_id: Patch[Optional[Id]] = UNSET,
    ) -> Location:
        """Changes the given fields of a location (moving it under another parent refuses cycles)."""
        return self._call(
            actor, "sites.update_location", Location, id=_id(id), expected_version=expected_version,
            name=name, code=code, parent_id=_opt_id(parent_id, "parent_id"),
        )

    def get_location(self, actor: Actor, id: Id) -> Location:
        """The location."""
        return self._call(actor, "sites.get_location", Location, id=_id(id))

    def list_locations(self, actor: Actor, site_id: Optional[Id] = None) -> List[Location]:
        """The locations of one site, or of every site the actor may see."""
        return self._call(actor, "sites.list_locations", List[Location], site_id=_id(site_id, "site_id"))

    def create_team(
        self, actor: Actor, *, name: str, site_id: Optional[Id] = None, members: Sequence[Id] = ()
    ) -> Team:
        """Creates a team (of one site, or organization-wide) with its members."""
        return self._call(
            actor, "sites.create_team", Team, name=name, site_id=_id(site_id, "site_id"), members=_ids(members, "members"),
        )

    def update_team(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Patch[str] = UNSET,
        site_id: Patch[Optional[Id]] = UNSET, members: Patch[Sequence[Id]] = UNSET,
    ) -> Team:
        """Changes the given fields of a team; ``members`` replaces the member list."""
        return self._call(
            actor, "sites.update_team", Team, id=_id(id), expected_version=expected_version, name=name,
            site_id=_opt_id(site_id, "site_id"), members=members if isinstance(members, Unset) else _ids(members, "members"),
        )

    def get_team(self, actor: Actor, id: Id) -> Team:
        """The team."""
        return self._call(actor, "sites.get_team", Team, id=_id(id))

    def list_teams(self, actor: Actor) -> List[Team]:
        """The organization's teams, by name."""
        return self._call(actor, "sites.list_teams", List[Team])


def _role(role: Union[BuiltinRole, str, uuid.UUID]) -> Dict[str, str]:
    if isinstance(role, uuid.UUID):
        return {"custom": str(role)}
    if isinstance(role, str):
        try:
            return {"custom": str(uuid.UUID(role))}
        except ValueError:
            return {"builtin": role}
    raise TypeError(f"role: expected a built-in role name or a custom role id, got {type(role).__name__}")


#: A built-in role's name, or a custom role's id.
Role = Union[BuiltinRole, uuid.UUID]


class Users(_Group):
    """Users, role grants, custom roles, passwords and API keys."""

    def create(
        self, actor: Actor, *, name: str, email: str, role: Optional[Role] = None,
        sites: Optional[Sequence[Id]] = None,
    ) -> CreatedUser:
        """Creates a user, optionally granting a first ``role`` (a built-in role name such as
        ``"technician"``, or a custom role's id; only roles below your own), on ``sites`` or the
        whole organization. Returns the user with the grant it made (``.grant``).

        >>> tech = db.users.create(owner, name="Tom", email="tom@acme.test", role="technician")  # doctest: +SKIP
        >>> tech.grant.role  # doctest: +SKIP
        'technician'
        """
        raw = self._db._native.call(
            "users.create", _native_actor(actor),
            dumps({"name": name, "email": email, "role": _role(role) if role is not None else None,
                   "sites": _ids(sites, "sites")}),
        )
        made = json.loads(raw)
        return from_dict(CreatedUser, {**made["user"], "grant": made.get("grant")})

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Patch[str] = UNSET,
        email: Patch[str] = UNSET, active: Patch[bool] = UNSET,
    ) -> User:
        """Changes the given fields of a user; ``active=False`` ends their sessions and access."""
        return self._call(actor, "users.update", User, id=_id(id), expected_version=expected_version, name=name, email=email, active=active)

    def get(self, actor: Actor, id: Id) -> User:
        """The user."""
        return self._call(actor, "users.get", User, id=_id(id))

    def find(self, actor: Actor, *, email: str) -> Optional[User]:
        """The user with this email address (case-insensitive), or ``None``."""
        wanted = email.strip().lower()
        for user in self.iter_all(actor, text=wanted):
            if user.email.lower() == wanted:
                return user
        return None

    def list(
        self, actor: Actor, *, active: Optional[bool] = None, text: Optional[str] = None,
        limit: Optional[int] = None, cursor: Optional[str] = None, count: Optional[Count] = None,
    ) -> Page[User]:
        """One page of users by name; ``text`` searches name and email."""
        return self._page(
            actor, "users.list", User, active=active, text=text, limit=limit, cursor=cursor, count=count
        )

    def iter_all(
        self, actor: Actor, *, active: Optional[bool] = None, text: Optional[str] = None, limit: int = PAGE
    ) -> Iterator[User]:
        """Every matching user, page by page (the filters of :meth:`list`)."""
        return self._walk(lambda c: self.list(actor, active=active, text=text, limit=limit, cursor=c))

    def grant_role(
        self, actor: Actor, user_id: Id, role: Role, *, sites: Optional[Sequence[Id]] = None
    ) -> RoleGrant:
        """Grants a role (below your own) on ``sites`` or the whole organization."""
        return self._call(
            actor, "users.grant_role", RoleGrant, user_id=_id(user_id, "user_id"), role=_role(role), sites=_ids(sites, "sites"),
        )

    def revoke_grant(self, actor: Actor, grant_id: Id) -> None:
        """Takes a grant back."""
        self._call(actor, "users.revoke_grant", type(None), id=_id(grant_id, "grant_id"))

    def grants(self, actor: Actor, user_id: Id) -> List[RoleGrant]:
        """The user's role grants."""
        return self._call(actor, "users.grants", List[RoleGrant], user_id=_id(user_id, "user_id"))

    def create_role(
        self, actor: Actor, *, name: str, level: int, permissions: Dict[str, Condition], description: Optional[str] = None
    ) -> CustomRole:
        """Creates a custom role: ``permissions`` maps permission names (``"wo.read"``, ...) to a
        condition (``"any"``, ``"own"``, ``"assigned"``); ``level`` ranks it below your own."""
        return self._call(actor, "users.create_role", CustomRole, name=name, level=level, permissions=permissions, description=description)

    def update_role(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Patch[str] = UNSET,
        description: Patch[Optional[str]] = UNSET, level: Patch[int] = UNSET,
        permissions: Patch[Dict[str, Condition]] = UNSET,
    ) -> CustomRole:
        """Changes the given fields of a custom role."""
        return self._call(
            actor, "users.update_role", CustomRole, id=_id(id), expected_version=expected_version, name=name,
            description=description, level=level, permissions=permissions,
        )

    def list_roles(self, actor: Actor) -> List[CustomRole]:
        """The organization's custom roles."""
        return self._call(actor, "users.list_roles", List[CustomRole])

    def set_password(self, actor: Actor, user_id: Id, password: str) -> None:
        """Sets a user's password (yours, or of someone you may manage) so they can log in to the
        HTTP server; their other sessions end. Stored as an argon2id hash.

        >>> db.users.set_password(owner, tech.id, "correct horse battery staple")  # doctest: +SKIP
        """
        self._call(actor, "users.set_password", type(None), id=_id(user_id, "user_id"), password=password)

    def create_api_key(
        self, actor: Actor, *, name: str, role: Role, sites: Optional[Sequence[Id]] = None
    ) -> Tuple[ApiKey, str]:
        """Creates an API key for the HTTP server acting with ``role`` (one you may grant);
        returns the key and its secret, shown this once and stored only hashed.

        >>> key, secret = db.users.create_api_key(owner, name="ERP sync", role="viewer")  # doctest: +SKIP
        """
        raw = json.loads(self._db._native.call(
            "users.create_api_key", _native_actor(actor),
            dumps({"name": name, "role": _role(role), "sites": _ids(sites, "sites")}),
        ))
        return from_dict(ApiKey, raw["key"]), str(raw["secret"])

    def api_keys(self, actor: Actor) -> List[ApiKey]:
        """The organization's API keys (never their secrets), newest first."""
        return self._call(actor, "users.api_keys", List[ApiKey])

    def revoke_api_key(self, actor: Actor, id: Id) -> ApiKey:
        """Revokes an API key; requests with it fail from now on."""
        return self._call(actor, "users.revoke_api_key", ApiKey, id=_id(id))
