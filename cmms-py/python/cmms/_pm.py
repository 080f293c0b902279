# mypy: disable-error-code="no-any-return"
"""Meters and preventive maintenance: ``db.meters``, ``db.pm_plans`` and ``db.pm``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Sequence

from ._base import PAGE, Actor, Id, _Group, _id, _ids, _opt_id
from ._convert import UNSET, Patch, Unset
from ._inventory import _lines
from .types import ChecklistItemInput, MeterKind, PlannedPartInput, Priority, ReadingSource, WorkOrderType, check_items
from .models import (
    ComplianceReport,
    DueItem,
    ForecastItem,
    GenerationReport,
    Meter,
    Page,
    PmPlan,
    PmSlot,
    Reading,
    RecordedReadings,
)

__all__ = ["Meters", "PmPlans", "Pm"]


def _reading(r: Dict[str, Any], meter_id: Optional[Id]) -> Dict[str, Any]:
    if not isinstance(r, dict):
        raise TypeError(f"readings: expected dicts with value and taken_at, got {type(r).__name__}")
    out = dict(r)
    meter = out.pop("meter_id", meter_id)
    out["meter_id"] = _id(meter, "meter_id")
    return out


class Meters(_Group):
    """Meters on assets and their readings."""

    def create(self, actor: Actor, *, asset_id: Id, name: str, unit: str, kind: MeterKind) -> Meter:
        """Adds a meter to an asset; ``kind`` is ``"accumulating"`` (counts up: run hours, km,
        cycles; usage is the difference) or ``"gauge"`` (a measured value: vibration, °C).
        ``name`` is unique on the asset and is how PM triggers refer to the meter.

        >>> hours = db.meters.create(owner, asset_id=pump.id, name="Run hours", unit="h", kind="accumulating")  # doctest: +SKIP
        """
        return self._call(actor, "meters.create", Meter, asset_id=_id(asset_id, "asset_id"), name=name, unit=unit, kind=kind)

    def get(self, actor: Actor, id: Id) -> Meter:
        """The meter, with its last reading."""
        return self._call(actor, "meters.get", Meter, id=_id(id))

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, name: Patch[str] = UNSET,
        unit: Patch[str] = UNSET,
    ) -> Meter:
        """Renames a meter or changes its unit (its kind never changes)."""
        patch = {k: v for k, v in dict(name=name, unit=unit).items() if v is not UNSET}
        return self._call(actor, "meters.update", Meter, id=_id(id), expected_version=expected_version, patch=patch)

    def list(self, actor: Actor, *, asset: Optional[Id] = None, limit: Optional[int] = None, cursor: Optional[str] = None) -> Page[Meter]:
        """One page of meters, of one asset or of every asset the actor may see."""
        return self._page(actor, "meters.list", Meter, asset=_id(asset, "asset"), limit=limit, cursor=cursor)

    def record(
        self, actor: Actor, meter_id: Optional[Id] = None, *, value: Optional[float] = None,
        taken_at: Optional[datetime] = None, reset: bool = False, source: Optional[ReadingSource] = None,
        readings: Optional[Sequence[Dict[str, Any]]] = None,
    ) -> RecordedReadings:
        """Records one reading (``value=...``) or a batch (``readings=[{"value": ..., "taken_at": ...}]``,
        each naming its ``meter_id`` or taking ``meter_id`` given here), in one commit, in any order.
        A lower value on an accumulating meter needs ``reset=True``; repeats are skipped.

        >>> db.meters.record(tech, hours.id, value=1250.5)  # doctest: +SKIP
        """
        if readings is not None:
            if value is not None:
                raise ValueError("give value or readings, not both")
            batch = [_reading(r, meter_id) for r in readings]
        else:
            if value is None:
                raise ValueError("value: is required (or give readings)")
            batch = [_reading({"value": value, "taken_at": taken_at, "reset": reset, "source": source}, meter_id)]
        for r in batch:
            for k in [k for k, v in r.items() if v is None]:
                del r[k]
        return self._call(actor, "meters.record", RecordedReadings, readings=batch)

    def readings(
        self, actor: Actor, meter_id: Id, *, start: Optional[datetime] = None, end: Optional[datetime] = None,
        newest_first: bool = False, limit: Optional[int] = None, cursor: Optional[str] = None,
    ) -> Page[Reading]:
        """One page of a meter's readings by time, from ``start`` (inclusive) to ``end`` (exclusive)."""
        f = {k: v for k, v in dict(from_=start, to=end, limit=limit, cursor=cursor).items() if v is not None}
        if "from_" in f:
            f["from"] = f.pop("from_")
        if newest_first:
            f["newest_first"] = True
        return self._page(actor, "meters.readings", Reading, id=_id(meter_id), filter=f)

    def iter_readings(
        self, actor: Actor, meter_id: Id, *, start: Optional[datetime] = None, end: Optional[datetime] = None,
        newest_first: bool = False, limit: int = PAGE,
    ) -> Iterator[Reading]:
        """Every reading of the meter in the range, page by page (the filters of :meth:`readings`)."""
        return self._walk(lambda c: self.readings(
            actor, meter_id, start=start, end=end, newest_first=newest_first, limit=limit, cursor=c,
        ))


class PmPlans(_Group):
    """Preventive-maintenance plans."""

    def create(
        self, actor: Actor, *, site_id: Id, title: str, schedule: Dict[str, Any],
        asset_ids: Sequence[Id] = (), category: Optional[str] = None, description: Optional[str] = None,
        type: Optional[WorkOrderType] = None, priority: Optional[Priority] = None,
        estimated_hours: Optional[float] = None, checklist: Sequence[ChecklistItemInput] = (), assignees: Sequence[Id] = (), team_id: Optional[Id] = None,
        active: Optional[bool] = None, parts: Sequence[PlannedPartInput] = (),
    ) -> PmPlan:
        """A plan for ``asset_ids`` (or every asset of ``category`` at the site) on ``schedule``:
        ``{"triggers": [...], "starts_on": ..., "lead_days": ..., ...}`` (see docs/preventive-maintenance.md).
        ``parts`` are planned on every work order it generates, each holding what stock is available.

        >>> plan = db.pm_plans.create(owner, site_id=site.id, title="Grease bearings", asset_ids=[pump.id],
        ...     schedule={"triggers": [{"kind": "meter_interval", "meter": "Run hours", "every": 250}]})  # doctest: +SKIP
        """
        return self._call(
            actor, "pm_plans.create", PmPlan, site_id=_id(site_id, "site_id"), title=title, schedule=schedule,
            asset_ids=_ids(asset_ids, "asset_ids"), category=category, description=description, type=type,
            priority=priority, estimated_hours=estimated_hours, checklist=check_items("checklist", checklist),
            assignees=_ids(assignees, "assignees"), team_id=_id(team_id, "team_id"), active=active,
            parts=_lines(parts, "parts"),
        )

    def get(self, actor: Actor, id: Id) -> PmPlan:
        """The plan."""
        return self._call(actor, "pm_plans.get", PmPlan, id=_id(id))

    def update(
        self, actor: Actor, id: Id, *, expected_version: Optional[int] = None, title: Patch[str] = UNSET,
        description: Patch[Optional[str]] = UNSET, priority: Patch[Priority] = UNSET,
        estimated_hours: Patch[Optional[float]] = UNSET, checklist: Patch[Sequence[ChecklistItemInput]] = UNSET,
        assignees: Patch[Sequence[Id]] = UNSET, team_id: Patch[Optional[Id]] = UNSET,
        asset_ids: Patch[Sequence[Id]] = UNSET, category: Patch[Optional[str]] = UNSET,
        schedule: Patch[Dict[str, Any]] = UNSET, active: Patch[bool] = UNSET,
        parts: Patch[Sequence[PlannedPartInput]] = UNSET,
    ) -> PmPlan:
        """Changes the given fields (a merge patch: ``description=None`` clears it; ``schedule``,
        ``checklist``, ``assignees``, ``asset_ids`` and ``parts`` are replaced whole)."""
        changes: Dict[str, Any] = dict(
            title=title, description=description, priority=priority, estimated_hours=estimated_hours,
            checklist=checklist if isinstance(checklist, Unset) else check_items("checklist", checklist),
            assignees=assignees if isinstance(assignees, Unset) else _ids(assignees, "assignees"),
            team_id=_opt_id(team_id, "team_id"),
            asset_ids=asset_ids if isinstance(asset_ids, Unset) else _ids(asset_ids, "asset_ids"),
            category=category, schedule=schedule, active=active,
            parts=parts if isinstance(parts, Unset) else _lines(parts, "parts"),
        )
        patch = {k: v for k, v in changes.items() if v is not UNSET}
        return self._call(actor, "pm_plans.update", PmPlan, id=_id(id), expected_version=expected_version, patch=patch)

    def delete(self, actor: Actor, id: Id, *, expected_version: Optional[int] = None) -> None:
        """Deletes the plan with its due slots (``pm.manage``). Refused with a
        :class:`cmms.ConflictError` naming the work orders while it has open work: complete or
        cancel them first, or set ``active=False`` instead, which keeps its history in
        compliance. The work orders it made stay, with ``pm_plan_id`` still naming it.

        >>> db.pm_plans.delete(owner, plan.id, expected_version=plan.version)  # doctest: +SKIP
        """
        self._call(actor, "pm_plans.delete", type(None), id=_id(id), expected_version=expected_version)

    def list(self, actor: Actor, *, site: Optional[Id] = None, active: Optional[bool] = None) -> List[PmPlan]:
        """The plans the actor may read, by title."""
        return self._call(actor, "pm_plans.list", List[PmPlan], site=_id(site, "site"), active=active)

    def forecast(self, actor: Actor, id: Id, *, start: Optional[datetime] = None, days: Optional[int] = None) -> List[ForecastItem]:
        """The plan's dues on each asset from ``start`` (default now) for ``days`` (default 90)."""
        return self._call(actor, "pm_plans.forecast", List[ForecastItem], id=_id(id), **{"from": start}, days=days)

    def history(
        self, actor: Actor, id: Id, *, asset: Optional[Id] = None, limit: Optional[int] = None, cursor: Optional[str] = None,
    ) -> Page[PmSlot]:
        """One page of the plan's due slots (on one ``asset`` or all), newest first: when each
        was due, its work order and how it ended."""
        f = {k: v for k, v in dict(asset=_id(asset, "asset"), limit=limit, cursor=cursor).items() if v is not None}
        return self._page(actor, "pm_plans.history", PmSlot, id=_id(id), filter=f)


class Pm(_Group):
    """What is due, generation, compliance and the iCalendar feed."""

    def due(
        self, actor: Actor, *, through: Optional[datetime] = None, site: Optional[Id] = None, plan: Optional[Id] = None,
    ) -> List[DueItem]:
        """What is due by ``through`` (default 30 days from now) and what is overdue, per plan
        and asset, with ``standing`` and ``days_until_due``."""
        return self._call(actor, "pm.due", List[DueItem], through=through, site=_id(site, "site"), plan=_id(plan, "plan"))

    def generate(self, actor: Actor, *, through: Optional[datetime] = None, plan_ids: Sequence[Id] = ()) -> GenerationReport:
        """Creates the PM work due by ``through`` (default now), once per plan, asset and slot."""
        return self._call(actor, "pm.generate", GenerationReport, through=through, plan_ids=_ids(plan_ids, "plan_ids"))

    def compliance(self, actor: Actor, *, start: datetime, end: datetime, site: Optional[Id] = None) -> ComplianceReport:
        """PM compliance over ``[start, end)``."""
        return self._call(actor, "pm.compliance", ComplianceReport, **{"from": start}, to=end, site=_id(site, "site"))

    def calendar(self, actor: Actor, *, days: Optional[int] = None, site: Optional[Id] = None) -> str:
        """The forecast as iCalendar (RFC 5545) text."""
        return self._call(actor, "pm.calendar", str, days=days, site=_id(site, "site"))

