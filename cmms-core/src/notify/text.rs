//! What a notification says: a title, a body and a link, from the event's payload. Plain text
//! built from a table of templates per notification kind; quoted input is cut short.

use crate::domain::event::Event;
use crate::domain::notification::NotificationKind as N;
use crate::domain::{EntityKind, EntityRef};

/// Title and body templates per kind; `{subject}` is the work order's or request's number
/// and title, the part, or the plan.
const TEMPLATES: &[(N, &str, &str)] = &[
    (N::Assigned, "Assigned: {subject}", "You were assigned to {subject}."),
    (N::RequestStatus, "Request update: {subject}", "{subject} is now {status}."),
    (
        N::AwaitingConfirmation,
        "Please confirm: {subject}",
        "The work on {subject} is completed and awaits your confirmation.",
    ),
    (
        N::CompletionRejected,
        "Completion rejected: {subject}",
        "The requester rejected the completion of {subject}: {reason}",
    ),
    (
        N::LowStock,
        "Low stock: {subject}",
        "Available stock of {subject} fell to its reorder point.",
    ),
    (N::PmDue, "Preventive work due: {subject}", "Preventive work {subject} was generated."),
    (N::PmOverdue, "Preventive work overdue: {subject}", "Preventive work {subject} is overdue."),
    (N::WatchedStatus, "Status: {subject}", "{subject} is now {status}."),
    (N::WatchedComment, "New comment: {subject}", "{subject} has a new comment."),
];

const MAX_QUOTE: usize = 120;

fn field(event: &Event, key: &str) -> Option<String> {
    let v = event.draft.payload.get(key)?;
    let s = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
    Some(s.chars().take(MAX_QUOTE).collect())
}

fn subject(event: &Event) -> String {
    let parts: Vec<String> =
        ["number", "part_number", "title", "name"].iter().filter_map(|k| field(event, k)).collect();
    if parts.is_empty() {
        format!("{} {}", event.draft.entity.kind, event.draft.entity.id)
    } else {
        parts.join(" ")
    }
}

/// The title, body and link of a notification of `kind` about `event`.
pub fn message(event: &Event, kind: N) -> (String, String, EntityRef) {
    let (title, body) = TEMPLATES
        .iter()
        .find(|(k, ..)| *k == kind)
        .map_or(("{subject}", "{subject}"), |(_, t, b)| (*t, *b));
    let status = field(event, "to").or_else(|| field(event, "status")).unwrap_or_default();
    let reason = field(event, "reason").unwrap_or_default();
    let subject = subject(event);
    let fill = |s: &str| {
        s.replace("{subject}", &subject).replace("{status}", &status).replace("{reason}", &reason)
    };
    // Low stock is about the part, not the stock row the event names.
    let part =
        event.draft.payload.get("part_id").and_then(|v| v.as_str()).and_then(|s| s.parse().ok());
    let link = match (kind, part) {
        (N::LowStock, Some(id)) => EntityRef { kind: EntityKind::Part, id },
        _ => event.draft.entity,
    };
    (fill(title), fill(body), link)
}
