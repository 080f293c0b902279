//! The call table of in-app notifications (`notifications.*`, and watching work orders). Like
//! `dispatch`, it only decodes arguments, calls core and encodes results.

use crate::dispatch::parse;
use crate::dispatch_pm::{Id, out};
use cmms_core::domain::notification::{Channels, NotificationKind};
use cmms_core::service::NotificationFilter;
use cmms_core::{Actor, Cmms, NotificationId, WorkOrderId};
use pyo3::PyResult;
use serde::Deserialize;
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelChoices {
    channels: BTreeMap<NotificationKind, Channels>,
}

/// Notification calls made as `a`.
pub(crate) async fn call_notify(c: &Cmms, a: &Actor, method: &str, args: &str) -> PyResult<String> {
    match method {
        "notifications.list" => {
            out(c.list_notifications(a, parse::<NotificationFilter>(args)?).await)
        }
        "notifications.read" => {
            out(c.mark_notification_read(a, parse::<Id<NotificationId>>(args)?.id).await)
        }
        "notifications.read_all" => out(c.mark_all_notifications_read(a).await),
        "notifications.unread_count" => out(c.unread_notification_count(a).await),
        "notifications.preferences" => out(c.notification_preferences(a).await),
        "notifications.set_preferences" => {
            out(c.set_notification_preferences(a, parse::<ChannelChoices>(args)?.channels).await)
        }
        "notifications.org_defaults" => out(c.org_notification_defaults(a).await),
        "notifications.set_org_defaults" => {
            let x: ChannelChoices = parse(args)?;
            out(c.set_org_notification_defaults(a, x.channels).await)
        }
        "notifications.watch" => {
            out(c.watch_work_order(a, parse::<Id<WorkOrderId>>(args)?.id).await)
        }
        "notifications.unwatch" => {
            out(c.unwatch_work_order(a, parse::<Id<WorkOrderId>>(args)?.id).await)
        }
        "notifications.watching" => out(c.is_watching(a, parse::<Id<WorkOrderId>>(args)?.id).await),
        _ => crate::dispatch_webhooks::call_webhooks(c, a, method, args).await,
    }
}
