"""cmms — embeddable maintenance management (work orders, assets, requests, audit) for Python.

>>> import cmms
>>> with cmms.open("sqlite::memory:", migrate=True) as db:
...     boot = db.orgs.bootstrap(name="Acme", owner_name="Olivia", owner_email="olivia@acme.test")
...     owner = db.actor(boot.org.id, boot.owner.id)
...     site = db.sites.create(owner, name="North Plant", code="NP")
...     wo = db.work_orders.create(owner, title="Replace pump seal", site_id=site.id, priority="high")
...     wo.number
'WO-...'
"""

from . import _cmms, pm, types
from ._convert import UNSET
from ._base import DEFAULT_LIMIT, MAX_LIMIT
from .api import Actor, Cmms
from .api import open as open
from .errors import (
    BusyError,
    CmmsError,
    ConflictError,
    InvalidTransitionError,
    NotFoundError,
    PermissionDeniedError,
    StorageError,
    ValidationError,
)
from .models import (
    Record,
    Org,
    OrgSettings,
    Site,
    Location,
    Team,
    User,
    CreatedUser,
    RoleGrant,
    ApiKey,
    CustomRole,
    FailureCode,
    Asset,
    Attachment,
    FailureReport,
    WorkOrder,
    ChecklistItem,
    Comment,
    LaborEntry,
    TimelineEntry,
    Request,
    EntityRef,
    AuditEntry,
    EventAudience,
    Event,
    EventPage,
    BrokenLink,
    AutoCloseReport,
    Bootstrapped,
    Page,
    Meter,
    Reading,
    RecordedReadings,
    PmPlan,
    PmSlot,
    Due,
    DueItem,
    ForecastItem,
    GeneratedWork,
    SkippedSlot,
    GenerationReport,
    ComplianceReport,
)

__version__: str = _cmms.__version__

# `open` is left out of `__all__` on purpose: `from cmms import *` must not shadow the
# built-in `open` (call it as `cmms.open(...)`).
__all__ = [
    "Cmms",
    "Actor",
    "UNSET",
    "CmmsError",
    "NotFoundError",
    "PermissionDeniedError",
    "ValidationError",
    "InvalidTransitionError",
    "ConflictError",
    "BusyError",
    "StorageError",
    "Record",
    "Org",
    "OrgSettings",
    "Site",
    "Location",
    "Team",
    "User",
    "CreatedUser",
    "RoleGrant",
    "ApiKey",
    "CustomRole",
    "FailureCode",
    "Asset",
    "Attachment",
    "FailureReport",
    "WorkOrder",
    "ChecklistItem",
    "Comment",
    "LaborEntry",
    "TimelineEntry",
    "Request",
    "EntityRef",
    "AuditEntry",
    "EventAudience",
    "Event",
    "EventPage",
    "BrokenLink",
    "AutoCloseReport",
    "Bootstrapped",
    "Page",
    "Meter",
    "Reading",
    "RecordedReadings",
    "PmPlan",
    "PmSlot",
    "Due",
    "DueItem",
    "ForecastItem",
    "GeneratedWork",
    "SkippedSlot",
    "GenerationReport",
    "ComplianceReport",
    "pm",
    "types",
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
]
