//! Notification use cases for the user they belong to: list (newest first, cursor-paged,
//! unread only on request), mark read, unread count, channel preferences (the user's and the
//! organization's defaults), and watching work orders.

use super::{Cmms, require_held};
use crate::actor::Actor;
use crate::domain::notification::{
    Channels, Notification, NotificationKind, Preference, PreferenceRow, Watch, check_preferences,
    effective,
};
use crate::error::{CmmsError, Result, StoreError};
use crate::ids::{NotificationId, UserId, WatchId, WorkOrderId};
use crate::rbac::Permission;
use crate::store::record::{
    Cmp, NOTIFICATION_PREFERENCES, NOTIFICATIONS, RecordReadsExt, Select, Value,
    WORK_ORDER_WATCHERS,
};
use crate::store::{
    Changeset, KeyType, Page, SortKey, Write, check_limit, decode_cursor, encode_cursor,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

const SORT: &str = "notifications:newest";
/// Unread counts stop here (a badge shows "500+"); counting further would read every row.
pub const UNREAD_COUNT_CAP: u32 = 500;

/// Which of my notifications to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NotificationFilter {
    /// Only unread ones.
    #[serde(default)]
    pub unread: bool,
    /// Page size (default 50, at most 500).
    #[serde(default)]
    pub limit: Option<u32>,
    /// Cursor from the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// How many unread notifications a user has, up to [`UNREAD_COUNT_CAP`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct UnreadCount {
    /// The count (at most the cap).
    pub count: u32,
    /// Whether there are more than `count`.
    pub more: bool,
}

/// Notifications belong to users; the system has none.
fn me(actor: &Actor) -> Result<UserId> {
    actor.user_id().ok_or_else(|| CmmsError::invalid("actor", "notifications belong to users"))
}

impl Cmms {
    /// The caller's notifications, newest first.
    ///
    /// ```
    /// # async fn demo(cmms: &cmms_core::Cmms, me: &cmms_core::Actor) -> cmms_core::Result<()> {
    /// use cmms_core::service::NotificationFilter;
    /// let unread = cmms
    ///     .list_notifications(me, NotificationFilter { unread: true, ..Default::default() })
    ///     .await?;
    /// for n in &unread.items {
    ///     println!("{}: {}", n.kind, n.title);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn list_notifications(
        &self,
        actor: &Actor,
        filter: NotificationFilter,
    ) -> Result<Page<Notification>> {
        let user = me(actor)?;
        let limit = check_limit(filter.limit)?;
        let mut q = Select::new(&NOTIFICATIONS).eq("user_id", user.0).reversed().limit(limit + 1);
        if filter.unread {
            q = q.eq("read_at", Value::Null);
        }
        if let Some(c) = &filter.cursor {
            let key = decode_cursor(SORT, c, KeyType::NullableInt)?;
            q = q.cmp("id", Cmp::Lt, key.id);
        }
        let mut items: Vec<Notification> = self.store.list(actor.org(), q).await?;
        let next = super::page_cursor(&mut items, limit, |n| SortKey { value: None, id: n.id.0 });
        Ok(Page { items, next_cursor: next.map(|k| encode_cursor(SORT, &k)), total: None })
    }

    /// How many of the caller's notifications are unread (up to [`UNREAD_COUNT_CAP`]).
    pub async fn unread_notification_count(&self, actor: &Actor) -> Result<UnreadCount> {
        let user = me(actor)?;
        let q = Select::new(&NOTIFICATIONS)
            .eq("user_id", user.0)
            .eq("read_at", Value::Null)
            .limit(UNREAD_COUNT_CAP + 1);
        let n = self.store.list::<Notification>(actor.org(), q).await?.len();
        let count = u32::try_from(n).unwrap_or(u32::MAX).min(UNREAD_COUNT_CAP);
        Ok(UnreadCount { count, more: n > UNREAD_COUNT_CAP as usize })
    }

    /// Marks one of the caller's notifications read (reading it again changes nothing).
    /// Another user's notification is `NotFound`, like an unknown id.
    pub async fn mark_notification_read(
        &self,
        actor: &Actor,
        id: NotificationId,
    ) -> Result<Notification> {
        let user = me(actor)?;
        let n: Notification = self
            .store
            .get(actor.org(), id)
            .await?
            .filter(|n: &Notification| n.user_id == user)
            .ok_or_else(|| CmmsError::not_found("notification", id))?;
        if n.read_at.is_some() {
            return Ok(n);
        }
        let read = Notification { read_at: Some(self.now()), version: n.version + 1, ..n };
        self.commit(actor, one(Write::update(read.clone()))).await?;
        Ok(read)
    }

    /// Marks every unread notification of the caller read (up to 50 000 per call); returns
    /// how many were.
    pub async fn mark_all_notifications_read(&self, actor: &Actor) -> Result<u64> {
        let user = me(actor)?;
        let now = self.now();
        let mut total = 0u64;
        // Bounded like every retry: a page lost to a concurrent reader is read again.
        for _ in 0..100 {
            let q = Select::new(&NOTIFICATIONS)
                .eq("user_id", user.0)
                .eq("read_at", Value::Null)
                .limit(crate::store::MAX_LIMIT);
            let unread: Vec<Notification> = self.store.list(actor.org(), q).await?;
            let n = unread.len();
            if n == 0 {
                return Ok(total);
            }
            let mut cs = Changeset::new();
            for u in unread {
                cs.push(Write::update(Notification {
                    read_at: Some(now),
                    version: u.version + 1,
                    ..u
                }));
            }
            match self.commit(actor, cs).await {
                Ok(_) => total += n as u64,
                // A notification read meanwhile (another tab): read the rest again.
                Err(CmmsError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
            if n < crate::store::MAX_LIMIT as usize {
                return Ok(total);
            }
        }
        // At most 100 pages per call; a caller with more calls again.
        Ok(total)
    }

    /// The caller's channels for every kind of notification, and where each choice comes from.
    pub async fn notification_preferences(&self, actor: &Actor) -> Result<Vec<Preference>> {
        let user = me(actor)?;
        let (mine, org) = self.preference_rows(actor, user.0).await?;
        Ok(effective(mine.as_ref(), org.as_ref()))
    }

    /// Sets the caller's channels for the kinds named (others keep their current choice).
    pub async fn set_notification_preferences(
        &self,
        actor: &Actor,
        changes: BTreeMap<NotificationKind, Channels>,
    ) -> Result<Vec<Preference>> {
        let user = me(actor)?;
        check_preferences(&changes)?;
        let (mine, org) = self.preference_rows(actor, user.0).await?;
        let mine = self.save_preferences(actor, user.0, mine, changes).await?;
        Ok(effective(Some(&mine), org.as_ref()))
    }

    /// The organization's default channels per kind (what users who did not choose get).
    pub async fn org_notification_defaults(&self, actor: &Actor) -> Result<Vec<Preference>> {
        require_held(actor, Permission::OrgRead)?;
        let org: Option<PreferenceRow> = self.store.get(actor.org(), actor.org().0).await?;
        Ok(effective(None, org.as_ref()))
    }

    /// Sets the organization's default channels for the kinds named (`org.manage`).
    pub async fn set_org_notification_defaults(
        &self,
        actor: &Actor,
        changes: BTreeMap<NotificationKind, Channels>,
    ) -> Result<Vec<Preference>> {
        require_held(actor, Permission::OrgManage)?;
        check_preferences(&changes)?;
        let id = actor.org().0;
        let current: Option<PreferenceRow> = self.store.get(actor.org(), id).await?;
        let row = self.save_preferences(actor, id, current, changes).await?;
        Ok(effective(None, Some(&row)))
    }

    async fn preference_rows(
        &self,
        actor: &Actor,
        user: uuid::Uuid,
    ) -> Result<(Option<PreferenceRow>, Option<PreferenceRow>)> {
        let ids = vec![user, actor.org().0];
        let rows: Vec<PreferenceRow> = self
            .store
            .list(actor.org(), Select::new(&NOTIFICATION_PREFERENCES).any_of("id", ids))
            .await?;
        let pick = |id: uuid::Uuid| rows.iter().find(|r| r.id == id).cloned();
        Ok((pick(user), pick(actor.org().0)))
    }

    async fn save_preferences(
        &self,
        actor: &Actor,
        id: uuid::Uuid,
        current: Option<PreferenceRow>,
        changes: BTreeMap<NotificationKind, Channels>,
    ) -> Result<PreferenceRow> {
        let now = self.now();
        let row = match current {
            Some(mut row) => {
                row.channels.extend(changes);
                row.updated_at = now;
                row.version += 1;
                row
            }
            None => PreferenceRow {
                org_id: actor.org(),
                id,
                channels: changes,
                updated_at: now,
                version: 1,
            },
        };
        let write =
            if row.version == 1 { Write::insert(row.clone()) } else { Write::update(row.clone()) };
        self.commit(actor, one(write)).await?;
        Ok(row)
    }

    /// Starts watching a work order the caller may read (watching it again changes nothing).
    pub async fn watch_work_order(&self, actor: &Actor, wo: WorkOrderId) -> Result<Watch> {
        let user = me(actor)?;
        self.get_work_order(actor, wo).await?;
        if let Some(w) = self.watch_of(actor, wo, user).await? {
            return Ok(w);
        }
        let w = Watch {
            id: WatchId::new(),
            org_id: actor.org(),
            work_order_id: wo,
            user_id: user,
            created_at: self.now(),
        };
        match self.store.commit(actor.org(), one(Write::insert(w.clone()))).await {
            Ok(_) => Ok(w),
            // Two requests raced: the unique key kept one; answer it.
            Err(StoreError::Conflict { .. }) => self
                .watch_of(actor, wo, user)
                .await?
                .ok_or_else(|| CmmsError::not_found("work_order", wo)),
            Err(e) => Err(e.into()),
        }
    }

    /// Stops watching a work order; returns whether the caller was watching it.
    pub async fn unwatch_work_order(&self, actor: &Actor, wo: WorkOrderId) -> Result<bool> {
        let user = me(actor)?;
        self.get_work_order(actor, wo).await?;
        match self.watch_of(actor, wo, user).await? {
            None => Ok(false),
            Some(w) => {
                self.commit(actor, one(Write::delete::<Watch>(w.id))).await?;
                Ok(true)
            }
        }
    }

    /// Whether the caller watches a work order.
    pub async fn is_watching(&self, actor: &Actor, wo: WorkOrderId) -> Result<bool> {
        let user = me(actor)?;
        self.get_work_order(actor, wo).await?;
        Ok(self.watch_of(actor, wo, user).await?.is_some())
    }

    async fn watch_of(
        &self,
        actor: &Actor,
        wo: WorkOrderId,
        user: UserId,
    ) -> Result<Option<Watch>> {
        let q = Select::new(&WORK_ORDER_WATCHERS).eq("work_order_id", wo.0).eq("user_id", user.0);
        Ok(self.store.find(actor.org(), q).await?)
    }
}

fn one(write: Write) -> Changeset {
    let mut cs = Changeset::new();
    cs.push(write);
    cs
}
