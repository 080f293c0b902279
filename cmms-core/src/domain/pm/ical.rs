//! The PM forecast as an iCalendar document (RFC 5545), so planners can subscribe a calendar
//! app to upcoming preventive work: one `VEVENT` per due, with a UID that stays the same across
//! fetches (plan, asset and slot), times in UTC, text escaped and lines folded at 75 octets.

use chrono::{DateTime, TimeDelta, Utc};
use std::fmt::Write;

/// One event of the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct CalendarEntry {
    /// Stable identity (the same due keeps it across fetches).
    pub uid: String,
    /// When the work is due.
    pub start: DateTime<Utc>,
    /// How long it is planned to take (at least 15 minutes are shown).
    pub duration: TimeDelta,
    /// One line: what and where.
    pub summary: String,
    /// More text.
    pub description: String,
    /// Projected from meter usage: shown as tentative.
    pub estimated: bool,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// Escapes TEXT values (RFC 5545 §3.3.11).
fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends one content line, folded so no line passes 75 octets (§3.1), never inside a
/// character.
fn line(out: &mut String, content: &str) {
    let mut width = 0;
    for c in content.chars() {
        let n = c.len_utf8();
        if width + n > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += n;
    }
    out.push_str("\r\n");
}

/// The feed: a `VCALENDAR` named `name` holding `entries`, stamped `now`.
///
/// ```
/// use chrono::{TimeDelta, TimeZone, Utc};
/// use cmms_core::domain::pm::ical::{render, CalendarEntry};
/// let at = Utc.with_ymd_and_hms(2026, 3, 29, 6, 0, 0).unwrap();
/// let e = CalendarEntry {
///     uid: "plan-asset-slot@cmms".into(), start: at, duration: TimeDelta::hours(1),
///     summary: "Grease bearings, Pump P-1".into(), description: String::new(), estimated: false,
/// };
/// let feed = render("PM", &[e], at);
/// assert!(feed.contains("DTSTART:20260329T060000Z\r\n"));
/// assert!(feed.contains("SUMMARY:Grease bearings\\, Pump P-1\r\n"));
/// ```
pub fn render(name: &str, entries: &[CalendarEntry], now: DateTime<Utc>) -> String {
    let mut out = String::new();
    line(&mut out, "BEGIN:VCALENDAR");
    line(&mut out, "VERSION:2.0");
    line(&mut out, "PRODID:-//cmms//PM forecast//EN");
    line(&mut out, "CALSCALE:GREGORIAN");
    line(&mut out, "METHOD:PUBLISH");
    line(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    for e in entries {
        let minutes = e.duration.num_minutes().max(15);
        line(&mut out, "BEGIN:VEVENT");
        line(&mut out, &format!("UID:{}", text(&e.uid)));
        line(&mut out, &format!("DTSTAMP:{}", stamp(now)));
        line(&mut out, &format!("DTSTART:{}", stamp(e.start)));
        let mut duration = String::from("DURATION:PT");
        let _ = write!(duration, "{}H{}M", minutes / 60, minutes % 60);
        line(&mut out, &duration);
        line(&mut out, &format!("SUMMARY:{}", text(&e.summary)));
        if !e.description.is_empty() {
            line(&mut out, &format!("DESCRIPTION:{}", text(&e.description)));
        }
        line(&mut out, if e.estimated { "STATUS:TENTATIVE" } else { "STATUS:CONFIRMED" });
        line(&mut out, "TRANSP:TRANSPARENT");
        line(&mut out, "END:VEVENT");
    }
    line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn long_lines_fold_without_splitting_characters() {
        let mut out = String::new();
        let long = format!("SUMMARY:{}", "é".repeat(60));
        line(&mut out, &long);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded.trim_end(), long);
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
