//! Use cases on the `Cmms` facade: load -> authorize -> decide -> commit -> publish.
//! One file per area; this one holds the facade and the helpers every use case shares.

mod activity;
mod api_key;
mod asset;
mod attachment;
mod audit;
mod auth;
mod events;
mod inventory;
pub mod mail;
mod meter;
mod notification;
mod notify_consumer;
mod org;
mod pm;
mod request;
mod site;
mod trail;
mod user;
mod webhook;
mod webhook_delivery;
mod work_order;

pub use attachment::{AttachmentUpload, RemovedAttachment};
pub use auth::{Session, TokenMail};
pub use events::{EventPage, EventSubscription};
pub use inventory::{
    LowStockItem, LowStockQuery, MovementFilter, PartFilter, PurchaseOrderDetail,
    PurchaseOrderFilter, StockFilter, StockInput, StockLocationFilter, SuggestedOrder,
    TransferInput,
};
pub use meter::{MeterFilter, ReadingFilter, RecordedReadings};
pub use notification::{NotificationFilter, UNREAD_COUNT_CAP, UnreadCount};
pub use notify_consumer::{BATCH as NOTIFY_BATCH, DeliveryReport};
pub use org::Bootstrapped;
pub use pm::{
    ComplianceReport, DueItem, DueQuery, ForecastItem, GenerateRequest, GeneratedWork,
    GenerationReport, PlanFilter, SkippedSlot, SlotFilter,
};
pub use request::AutoCloseReport;
pub use webhook::{DeliveryFilter, MAX_WEBHOOKS};
pub use webhook_delivery::{
    QUEUE_COUNT_CAP as WEBHOOK_QUEUE_COUNT_CAP, WebhookQueue, WebhookReport,
};
pub use work_order::{Assignment, sort_key as work_order_sort_key};

pub(crate) use trail::{OrgChange, Stamp, json};

use crate::actor::Actor;
use crate::clock::{Clock, SystemClock};
use crate::domain::EntityKind;
use crate::domain::credential::AuthSettings;
use crate::domain::location::Location;
use crate::domain::numbering::NumberFormat;
use crate::error::{CmmsError, Result};
use crate::ids::{LocationId, SiteId, UserId};
use crate::rbac::{self, Permission, Resource};
use crate::store::{Changeset, Receipt, SortKey, Store, Write};
use chrono::{DateTime, Utc};
use serde_json::Value;
use std::sync::Arc;

/// The entry point: a store plus a clock, and every use case as a method taking `&Actor` first.
///
/// ```
/// # async fn demo(store: std::sync::Arc<dyn cmms_core::Store>) -> cmms_core::Result<()> {
/// use cmms_core::{Cmms, domain::org::NewOrg};
/// let cmms = Cmms::new(store);
/// let boot = cmms
///     .bootstrap_org(NewOrg {
///         name: "Acme Plant".into(),
///         owner_name: "Olivia Owner".into(),
///         owner_email: "olivia@acme.test".into(),
///         ..NewOrg::default()
///     })
///     .await?;
/// let owner = cmms.actor(boot.org.id, boot.owner.id).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Cmms {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    auth: Arc<AuthSettings>,
    mail: Arc<mail::MailSettings>,
    dummy_hash: Arc<std::sync::OnceLock<String>>,
    files: Arc<crate::domain::files::FileRules>,
    webhooks: Arc<crate::domain::webhook::WebhookPolicy>,
}

impl std::fmt::Debug for Cmms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cmms").finish_non_exhaustive()
    }
}

impl Cmms {
    /// Wraps a store, using the system clock.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_clock(store, Arc::new(SystemClock))
    }

    /// Wraps a store with a custom clock (tests, simulations).
    pub fn with_clock(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        let auth = Arc::new(AuthSettings::default());
        let mail = Arc::new(mail::MailSettings::default());
        Self {
            store,
            clock,
            auth,
            mail,
            dummy_hash: Arc::default(),
            files: Arc::default(),
            webhooks: Arc::default(),
        }
    }

    /// Uses these authentication settings (password policy, hashing cost, lockout, token
    /// lifetimes) instead of the defaults.
    pub fn with_auth_settings(mut self, settings: AuthSettings) -> Self {
        self.auth = Arc::new(settings);
        self.dummy_hash = Arc::default();
        self
    }

    /// The authentication settings.
    pub fn auth_settings(&self) -> &AuthSettings {
        &self.auth
    }

    /// The store.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// The current time of this facade's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    async fn commit(&self, actor: &Actor, changes: Changeset) -> Result<Receipt> {
        Ok(self.store.commit(actor.org(), changes).await?)
    }

    /// Commits writes built around one human number drawn inside the transaction (so numbers
    /// are race-free and, without failed commits, consecutive); returns the number.
    async fn commit_numbered(
        &self,
        actor: &Actor,
        numbering: Numbering,
        at: DateTime<Utc>,
        build: impl Fn(String) -> Vec<Write> + Send + Sync + 'static,
    ) -> Result<String> {
        let settings = self.load_org(actor.org()).await?.settings;
        let (text, field, counter, site) = match numbering {
            Numbering::WorkOrder(site) => {
                (&settings.work_order_number_format, "work_order_number_format", "work_order", site)
            }
            Numbering::Request(site) => {
                (&settings.request_number_format, "request_number_format", "request", site)
            }
            Numbering::PurchaseOrder(site) => (
                &settings.purchase_order_number_format,
                "purchase_order_number_format",
                "purchase_order",
                site,
            ),
        };
        let format = NumberFormat::parse(text, field)?;
        let code = match format.uses_site() {
            true => {
                self.store
                    .get_site(actor.org(), site)
                    .await?
                    .ok_or_else(|| CmmsError::not_found("site", site))?
                    .code
            }
            false => String::new(),
        };
        let tz = settings.tz();
        let key = format.counter_key(counter, at, tz, &code);
        let render = move |values: &[i64]| {
            format.render(values.first().copied().unwrap_or_default(), at, tz, &code)
        };
        let render_again = render.clone();
        let cs =
            Changeset::new().with_numbers(vec![key], move |values: &[i64]| build(render(values)));
        let receipt = self.commit(actor, cs).await?;
        Ok(render_again(&receipt.numbers))
    }

    /// Checks that every id names a user of the actor's organization (`NotFound` otherwise);
    /// with `active_field`, inactive users are a validation error on that field.
    pub(crate) async fn ensure_users(
        &self,
        actor: &Actor,
        ids: &[UserId],
        active_field: Option<&str>,
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let found = self.store.users_by_ids(actor.org(), ids).await?;
        for id in ids {
            match found.iter().find(|u| u.id == *id) {
                None => return Err(CmmsError::not_found("user", id)),
                Some(u) if !u.active => {
                    if let Some(field) = active_field {
                        return Err(CmmsError::invalid(field, format!("user {id} is inactive")));
                    }
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// `AssertVersion` guards on a tree path: the decision that a move makes no cycle holds only
    /// while no node on the new parent's path moves, so the commit asserts their versions.
    pub(crate) async fn path_guards(
        &self,
        actor: &Actor,
        kind: EntityKind,
        path: &[uuid::Uuid],
    ) -> Result<Vec<Write>> {
        let mut guards = Vec::with_capacity(path.len());
        for id in path {
            let version = match kind {
                EntityKind::Asset => {
                    self.store.get_asset(actor.org(), (*id).into()).await?.map(|a| a.version)
                }
                _ => self.store.get_location(actor.org(), (*id).into()).await?.map(|l| l.version),
            };
            let version = version.ok_or_else(|| CmmsError::not_found(kind.as_str(), id))?;
            guards.push(Write::AssertVersion { entity: kind, id: *id, version });
        }
        Ok(guards)
    }

    /// A location of the actor's organization (without a read check: callers check the site).
    pub(crate) async fn load_location(&self, actor: &Actor, id: LocationId) -> Result<Location> {
        self.store
            .get_location(actor.org(), id)
            .await?
            .ok_or_else(|| CmmsError::not_found("location", id))
    }

    /// Commits org-level record changes, each with its audit entry and an event anyone with
    /// `org.read` may see.
    async fn commit_changes(
        &self,
        actor: &Actor,
        at: DateTime<Utc>,
        changes: Vec<OrgChange>,
    ) -> Result<()> {
        let st = Stamp::new(actor, at);
        let mut cs = Changeset::new();
        for c in changes {
            let payload = c.after.clone().or_else(|| c.before.clone()).unwrap_or(Value::Null);
            cs.push(c.write);
            cs.push(st.audit(c.action, c.entity, c.before, c.after));
            cs.push(st.event(c.kind, c.entity, c.audience, payload));
        }
        self.commit(actor, cs).await.map(drop)
    }
}

/// Which counter and format a human number comes from, for a record at a site.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Numbering {
    WorkOrder(SiteId),
    Request(SiteId),
    PurchaseOrder(SiteId),
}

/// Free-text list filters are bounded, like every other input.
pub(crate) fn check_text_filter(text: Option<&str>) -> Result<()> {
    match text {
        Some(t) if t.chars().count() > 200 => {
            Err(CmmsError::invalid("text", "must be at most 200 characters"))
        }
        Some(t) if crate::validate::has_control(t) => {
            Err(CmmsError::invalid("text", "must not contain control characters"))
        }
        _ => Ok(()),
    }
}

/// Trims a fetched page (`limit + 1` rows) to `limit` and returns the key of the last row kept
/// when there is a next page.
pub(crate) fn page_cursor<T>(
    items: &mut Vec<T>,
    limit: u32,
    key: impl Fn(&T) -> SortKey,
) -> Option<SortKey> {
    if items.len() > limit as usize {
        items.truncate(limit as usize);
        items.last().map(key)
    } else {
        None
    }
}

/// Fails with `Forbidden` unless the actor holds `permission` somewhere (for lists and creates
/// before any row is known).
pub(crate) fn require_held(actor: &Actor, permission: Permission) -> Result<()> {
    if rbac::holds(actor, permission) {
        Ok(())
    } else {
        Err(CmmsError::Forbidden { permission: permission.as_str().into() })
    }
}

/// Reads of a row the actor may not see answer `NotFound`, exactly like another tenant's id, so
/// ids never reveal what exists.
pub(crate) fn require_readable(
    actor: &Actor,
    permission: Permission,
    resource: &Resource<'_>,
    entity: &str,
    id: impl std::fmt::Display,
) -> Result<()> {
    if rbac::can(actor, permission, resource) {
        Ok(())
    } else {
        Err(CmmsError::not_found(entity, id))
    }
}

/// Checks an optimistic-concurrency version the caller passed.
pub(crate) fn check_version(entity: &str, current: i64, expected: Option<i64>) -> Result<()> {
    match expected {
        Some(v) if v != current => Err(CmmsError::Conflict {
            message: format!("{entity} changed since it was read (version {v}, now {current})"),
            current_version: Some(current),
            field: None,
        }),
        _ => Ok(()),
    }
}
