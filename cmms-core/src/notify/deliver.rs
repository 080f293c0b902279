//! The notification consumer's one commit for a batch of events: the notifications each user
//! chose to get, an event per notification for its recipient's stream, and the cursor moved
//! past the batch — all in one changeset, so a crash loses and duplicates nothing.

use super::{Recipient, message};
use crate::domain::event::{Event, EventAudience, EventDraft, EventKind};
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

/// What one batch delivered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    /// Notifications stored in the app.
    pub in_app: u64,
    /// Recipients whose preferences turned every channel off for that kind.
    pub muted: u64,
    /// Recipients who chose email for that kind (the mail outbox takes these).
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
/// This is the one place that turns decisions into rows: a new channel adds its write here
/// next to the in-app one (the mail outbox: "and a mail row when `channels.email`").
pub fn changeset(
    cursor: &NotificationCursor,
    next: NotificationCursor,
    planned: &[(&Event, Recipient)],
    prefs: &PreferenceBook,
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
        if channels.email {
            // Mail hook: the mail outbox adds its row for `n` here.
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
