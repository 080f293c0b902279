//! In-app notifications: what a user is told about (derived from committed events by
//! [`crate::notify`]), their read state, which channels each user wants per kind of notice, the
//! work orders a user watches, and the notification consumer's cursor in the outbox.

use crate::domain::EntityRef;
use crate::error::{CmmsError, Result};
use crate::ids::{NotificationId, OrgId, UserId, WatchId, WorkOrderId};
use crate::macros::string_enum;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

string_enum! {
    /// What a notification is about (preferences are kept per kind).
    NotificationKind, field = "kind" {
        /// You were assigned to a work order (on assignment and reassignment).
        Assigned => "assigned",
        /// A request you filed (or the work it became) changed status.
        RequestStatus => "request_status",
        /// The work from your request is completed and awaits your confirmation.
        AwaitingConfirmation => "awaiting_confirmation",
        /// A requester rejected the completion of work on your team or site.
        CompletionRejected => "completion_rejected",
        /// A part's available stock fell to its reorder point.
        LowStock => "low_stock",
        /// Preventive work was generated (it is due).
        PmDue => "pm_due",
        /// Preventive work passed its due date and grace window unfinished.
        PmOverdue => "pm_overdue",
        /// A work order you watch changed status.
        WatchedStatus => "watched_status",
        /// A work order you watch got a comment.
        WatchedComment => "watched_comment",
    }
}

string_enum! {
    /// How a notification reaches its user.
    Channel, field = "channel" {
        /// Stored in the app (the notification list, the event stream).
        InApp => "in_app",
        /// By email (sent by the mail outbox).
        Email => "email",
    }
}

/// A stored notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Notification {
    /// Id (time-ordered: the newest has the greatest).
    pub id: NotificationId,
    /// Organization.
    pub org_id: OrgId,
    /// Who it is for.
    pub user_id: UserId,
    /// What it is about.
    pub kind: NotificationKind,
    /// One line.
    pub title: String,
    /// A sentence or two.
    pub body: String,
    /// What it links to (entity type and id).
    pub link: EntityRef,
    /// The outbox event it was derived from (one notification per event and user).
    pub event_seq: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its user read it (`None`: unread).
    pub read_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// The channels one kind of notification goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Channels {
    /// Stored in the app.
    pub in_app: bool,
    /// Sent by email.
    pub email: bool,
}

impl Channels {
    /// Whether `channel` is on.
    pub fn has(self, channel: Channel) -> bool {
        match channel {
            Channel::InApp => self.in_app,
            Channel::Email => self.email,
        }
    }
}

/// Built-in default for every kind when neither the user nor the organization chose: in the
/// app, not by email (mail is opt-in).
pub const BUILTIN_CHANNELS: Channels = Channels { in_app: true, email: false };

/// Stored channel choices of a user, or of the organization (its defaults): one row per user,
/// plus one row whose id is the organization's own id for the org defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct PreferenceRow {
    /// Organization.
    pub org_id: OrgId,
    /// The user, or the organization's id for the org defaults.
    pub id: uuid::Uuid,
    /// Choices per kind; kinds not listed fall back (user -> org -> built-in).
    pub channels: BTreeMap<NotificationKind, Channels>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// The channels in effect for one kind, and where they came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Preference {
    /// The kind.
    pub kind: NotificationKind,
    /// Channels in effect.
    pub channels: Channels,
    /// `user`, `org` or `builtin`: which level chose.
    pub source: PreferenceSource,
}

string_enum! {
    /// Which level chose a preference.
    PreferenceSource, field = "source" {
        /// The user.
        User => "user",
        /// The organization's defaults.
        Org => "org",
        /// The built-in default.
        Builtin => "builtin",
    }
}

/// Resolves the channels of every kind for one user: the user's choice, else the org's
/// default, else [`BUILTIN_CHANNELS`].
pub fn effective(user: Option<&PreferenceRow>, org: Option<&PreferenceRow>) -> Vec<Preference> {
    NotificationKind::ALL
        .iter()
        .map(|kind| {
            let pick =
                |row: Option<&PreferenceRow>| row.and_then(|r| r.channels.get(kind).copied());
            let (channels, source) = match (pick(user), pick(org)) {
                (Some(c), _) => (c, PreferenceSource::User),
                (None, Some(c)) => (c, PreferenceSource::Org),
                (None, None) => (BUILTIN_CHANNELS, PreferenceSource::Builtin),
            };
            Preference { kind: *kind, channels, source }
        })
        .collect()
}

/// A user watching a work order (told about its status changes and comments they may read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Watch {
    /// Id.
    pub id: WatchId,
    /// Organization.
    pub org_id: OrgId,
    /// The work order.
    pub work_order_id: WorkOrderId,
    /// The watcher.
    pub user_id: UserId,
    /// Since when.
    pub created_at: DateTime<Utc>,
}

/// How long a consumer's claim on an organization's cursor lasts without renewal: a replica that
/// dies holding it delays that organization's notifications by at most this much.
pub const LEASE: TimeDelta = TimeDelta::seconds(30);

/// The notification consumer's position in one organization's outbox and its lease. Its id is
/// the organization's id (one row per organization).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct NotificationCursor {
    /// Organization (also the row's id).
    pub org_id: OrgId,
    /// The last event sequence number handled.
    pub last_seq: i64,
    /// Who holds the lease (a random token per consumer run).
    pub lease_holder: Option<String>,
    /// Until when the lease holds.
    pub lease_until: Option<DateTime<Utc>>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
    /// Optimistic-concurrency version (0: not stored yet).
    pub version: i64,
}

impl NotificationCursor {
    /// The cursor of an organization the consumer never ran for: from the first event.
    pub fn start(org_id: OrgId, now: DateTime<Utc>) -> Self {
        Self {
            org_id,
            last_seq: 0,
            lease_holder: None,
            lease_until: None,
            updated_at: now,
            version: 0,
        }
    }

    /// Whether someone other than `holder` holds an unexpired lease at `now`.
    pub fn leased_to_other(&self, holder: &str, now: DateTime<Utc>) -> bool {
        match (&self.lease_holder, self.lease_until) {
            (Some(h), Some(until)) => h != holder && until > now,
            _ => false,
        }
    }

    /// The next version of this cursor at `last_seq`, leased to `holder` until `until`
    /// (`None`: released).
    pub fn next(&self, last_seq: i64, holder: Option<&str>, now: DateTime<Utc>) -> Self {
        Self {
            org_id: self.org_id,
            last_seq,
            lease_holder: holder.map(str::to_string),
            lease_until: holder.map(|_| now + LEASE),
            updated_at: now,
            version: self.version + 1,
        }
    }
}

/// Checks a requested preference change: every kind once.
pub fn check_preferences(changes: &BTreeMap<NotificationKind, Channels>) -> Result<()> {
    if changes.is_empty() {
        return Err(CmmsError::invalid("channels", "name at least one notification kind"));
    }
    Ok(())
}
