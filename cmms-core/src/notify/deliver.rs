//! The notification consumer's one commit for a batch of events: the notifications each user
//! chose to get, an event per notification for its recipient's stream, and the cursor moved
//! past the batch — all in one changeset, so a crash loses and duplicates nothing.

use super::{Recipient, message};
use crate::domain::event::{Event, EventAudience, EventDraft, EventKind};
use crate::domain::mail::MailDraft;
use crate::domain::notification::{
    Channels, Notification, NotificationCursor, NotificationKind, PreferenceRow, effective,
};
use crate::domain::{EntityKind, EntityRef};
use crate::ids::{NotificationId, UserId};
use crate::rbac::Permission;
use crate::store::{Changeset, Write};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Every user's channel choices and the organization's defaults, for a batch.
#[derive(Debug, Default)]
pub struct PreferenceBook {
    /// The organization's defaults (the row whose id is the organization's id).
    pub org: Option<PreferenceRow>,
    /// Users' own rows.
    pub users: HashMap<UserId, PreferenceRow>,
}

impl PreferenceBook {
    /// The rows of an organization as stored.
    pub fn from_rows(org: crate::ids::OrgId, rows: Vec<PreferenceRow>) -> Self {
        let mut book = Self::default();
        for row in rows {
            if row.id == org.0 {
                book.org = Some(row);
            } else {
                book.users.insert(UserId(row.id), row);
            }
        }
        book
    }

    /// The channels in effect for `user` and `kind`.
    pub fn channels(&self, user: UserId, kind: NotificationKind) -> Channels {
        effective(self.users.get(&user), self.org.as_ref())
            .into_iter()
            .find(|p| p.kind == kind)
            .map_or(crate::domain::notification::BUILTIN_CHANNELS, |p| p.channels)
    }
}

/// Where the email channel sends: recipients' addresses and the web address links point at.
#[derive(Debug, Default)]
pub struct MailBook<'a> {
    /// Addresses of the recipients who chose email (an inactive or unknown user has none).
    pub addresses: HashMap<UserId, String>,
    /// `CMMS_PUBLIC_URL`: mails link to the entity's page under it.
    pub public_url: Option<&'a str>,
}

/// What one batch delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Notifications stored in the app.
    pub in_app: u64,
    /// Recipients whose preferences turned every channel off for that kind.
    pub muted: u64,
    /// Mails queued in the outbox for recipients who chose email for that kind.
    pub email: u64,
}

/// The event a notification appears as on its recipient's stream: `notification.created`,
/// visible to the recipient only (see `service::events`).
pub fn created_event(n: &Notification) -> Write {
    Write::AppendEvent(EventDraft {
        kind: EventKind::NotificationCreated,
        entity: EntityRef::new(EntityKind::Notification, n.id),
        actor_id: None,
        audience: EventAudience {
            permission: Some(Permission::OrgRead),
            owner: Some(n.user_id),
            ..EventAudience::default()
        },
        payload: crate::service::json(n),
        at: n.created_at,
    })
}

/// Builds the consumer's changeset for a batch: for each (event, recipient) the channels the
/// user chose decide what is written; then `next` (the cursor past the batch) replaces
/// `cursor` with a versioned write, so a second consumer that read the same cursor conflicts
/// and writes nothing.
///
/// This is the one place that turns decisions into rows: the in-app notification and its
/// stream event, and a mail in the outbox (same commit, so the cursor never passes a
/// notification whose mail was not queued) for users who chose email.
pub fn changeset(
    cursor: &NotificationCursor,
    next: NotificationCursor,
    planned: &[(&Event, Recipient)],
    prefs: &PreferenceBook,
    mail: &MailBook<'_>,
    now: DateTime<Utc>,
) -> (Changeset, BatchOutcome) {
    let mut cs = Changeset::new();
    let mut out = BatchOutcome::default();
    for (event, r) in planned {
        let channels = prefs.channels(r.user_id, r.kind);
        if !channels.in_app && !channels.email {
            out.muted += 1;
            continue;
        }
        let (title, body, link) = message(event, r.kind);
        let n = Notification {
            id: NotificationId::new(),
            org_id: event.org_id,
            user_id: r.user_id,
            kind: r.kind,
            title,
            body,
            link,
            event_seq: event.seq,
            created_at: now,
            read_at: None,
            version: 1,
        };
        if let Some(to) = mail.addresses.get(&r.user_id).filter(|_| channels.email) {
            let draft = MailDraft::message(to, &n.title, &n.body)
                .kind(r.kind.as_str())
                .link_to(mail.public_url, &n.link);
            cs.push(draft.queue(n.org_id, now));
            out.email += 1;
        }
        if channels.in_app {
            cs.push(created_event(&n));
            cs.push(Write::insert(n));
            out.in_app += 1;
        }
    }
    cs.push(if cursor.version == 0 { Write::insert(next) } else { Write::update(next) });
    (cs, out)
}
