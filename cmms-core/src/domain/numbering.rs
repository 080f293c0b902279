//! Human numbers such as `WO-2026-00042`: a per-org format, and the counter key the store
//! increments inside the commit (so numbers are race-free and consecutive).

use crate::error::{CmmsError, Result};
use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Year4,
    Year2,
    Month,
    Site,
    Seq(usize),
}

/// A parsed number format. Tokens: `{YYYY}`, `{YY}`, `{MM}`, `{SITE}` (the site's code) and
/// exactly one `{SEQ}` or `{SEQ:n}` (zero-padded to `n` digits). The counter restarts each
/// period the format shows: yearly with a year token, monthly with a month token, never
/// without; with `{SITE}` each site code has its own counter (the Basma convention
/// `{YY}-{SITE}-{SEQ:3}`: per building, reset each year).
///
/// ```
/// use cmms_core::domain::numbering::NumberFormat;
/// use chrono::{TimeZone, Utc};
/// let f = NumberFormat::parse("WO-{YYYY}-{SEQ:5}", "number_format").unwrap();
/// let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
/// assert_eq!(f.render(42, at, chrono_tz::UTC, "P1"), "WO-2026-00042");
/// assert_eq!(f.counter_key("work_order", at, chrono_tz::UTC, "P1"), "work_order:2026");
/// let per_site = NumberFormat::parse("{YY}-{SITE}-{SEQ:3}", "number_format").unwrap();
/// assert_eq!(per_site.render(7, at, chrono_tz::UTC, "B2"), "26-B2-007");
/// assert_eq!(per_site.counter_key("request", at, chrono_tz::UTC, "B2"), "request:2026:site=B2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberFormat {
    parts: Vec<Part>,
}

impl NumberFormat {
    /// Parses a format; errors name `field`.
    pub fn parse(format: &str, field: &str) -> Result<Self> {
        let bad = |m: &str| CmmsError::invalid(field, m.to_string());
        if format.is_empty() || format.chars().count() > 40 {
            return Err(bad("must be 1 to 40 characters"));
        }
        if format.chars().any(char::is_control) {
            return Err(bad("must not contain control characters"));
        }
        let mut parts = Vec::new();
        let mut rest = format;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                if rest[..open].contains('}') {
                    return Err(bad("has a '}' without '{'"));
                }
                parts.push(Part::Literal(rest[..open].to_string()));
            }
            let close = rest[open..].find('}').ok_or_else(|| bad("has an unclosed '{'"))? + open;
            let token = &rest[open + 1..close];
            parts.push(match token {
                "YYYY" => Part::Year4,
                "YY" => Part::Year2,
                "MM" => Part::Month,
                "SITE" => Part::Site,
                "SEQ" => Part::Seq(1),
                t => match t.strip_prefix("SEQ:").and_then(|n| n.parse::<usize>().ok()) {
                    Some(n) if (1..=12).contains(&n) => Part::Seq(n),
                    _ => {
                        return Err(bad(
                            "knows only {YYYY}, {YY}, {MM}, {SITE}, {SEQ} and {SEQ:n}",
                        ));
                    }
                },
            });
            rest = &rest[close + 1..];
        }
        if !rest.is_empty() {
            if rest.contains('}') {
                return Err(bad("has a '}' without '{'"));
            }
            parts.push(Part::Literal(rest.to_string()));
        }
        if parts.iter().filter(|p| matches!(p, Part::Seq(_))).count() != 1 {
            return Err(bad("must contain {SEQ} exactly once"));
        }
        let has_year = parts.iter().any(|p| matches!(p, Part::Year4 | Part::Year2));
        if parts.contains(&Part::Month) && !has_year {
            // The counter restarts monthly; without the year, next January repeats numbers.
            return Err(bad(
                "uses {MM} without {YYYY} or {YY}, so numbers would repeat every year",
            ));
        }
        Ok(Self { parts })
    }

    /// Whether numbers carry the site's code (and each site code counts on its own).
    pub fn uses_site(&self) -> bool {
        self.parts.contains(&Part::Site)
    }

    /// The counter this format draws from at `at` for a record at the site coded `site`:
    /// `prefix`, plus the period it restarts in, plus the site when numbers carry it.
    pub fn counter_key(&self, prefix: &str, at: DateTime<Utc>, tz: Tz, site: &str) -> String {
        let local = at.with_timezone(&tz);
        let mut key = if self.parts.contains(&Part::Month) {
            format!("{prefix}:{:04}-{:02}", local.year(), local.month())
        } else if self.parts.iter().any(|p| matches!(p, Part::Year4 | Part::Year2)) {
            format!("{prefix}:{:04}", local.year())
        } else {
            prefix.to_string()
        };
        if self.uses_site() {
            // By code, not id: a code a site gives up and another takes keeps counting, so the
            // numbers it shows never repeat.
            key.push_str(":site=");
            key.push_str(site);
        }
        key
    }

    /// The number for counter value `seq` drawn at `at` for a record at the site coded `site`.
    pub fn render(&self, seq: i64, at: DateTime<Utc>, tz: Tz, site: &str) -> String {
        let local = at.with_timezone(&tz);
        self.parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.clone(),
                Part::Year4 => format!("{:04}", local.year()),
                Part::Year2 => format!("{:02}", local.year().rem_euclid(100)),
                Part::Month => format!("{:02}", local.month()),
                Part::Site => site.to_string(),
                Part::Seq(width) => format!("{seq:0width$}"),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn formats_are_checked() {
        for bad in [
            "",
            "WO-{YYYY}",
            "{SEQ}-{SEQ}",
            "WO-{SEQ",
            "WO-}{SEQ}",
            "{FOO}-{SEQ}",
            "{SEQ:0}",
            "{SEQ:13}",
        ] {
            let err = NumberFormat::parse(bad, "fmt").unwrap_err();
            assert_eq!(err.field_errors()[0].field, "fmt", "{bad}");
        }
        assert!(NumberFormat::parse("{SEQ}", "fmt").is_ok());
    }

    #[test]
    fn renders_and_keys_by_period_in_the_org_time_zone() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 2027-01-01 02:30 UTC is still 2026-12-31 in New York.
        let at = Utc.with_ymd_and_hms(2027, 1, 1, 2, 30, 0).unwrap();
        let f = NumberFormat::parse("R{YY}{MM}-{SEQ:3}", "f").unwrap();
        assert_eq!(f.render(7, at, ny, "P1"), "R2612-007");
        assert_eq!(f.counter_key("request", at, ny, "P1"), "request:2026-12");
        assert_eq!(f.render(7, at, chrono_tz::UTC, "P1"), "R2701-007");
        let plain = NumberFormat::parse("#{SEQ}", "f").unwrap();
        assert_eq!(plain.counter_key("work_order", at, ny, "P1"), "work_order");
        assert_eq!(plain.render(123_456, at, ny, "P1"), "#123456");
    }

    #[test]
    fn site_numbers_count_per_site_code_and_year() {
        let at = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        let f = NumberFormat::parse("{YY}-{SITE}-{SEQ:3}", "f").unwrap();
        assert!(f.uses_site());
        assert_eq!(f.render(42, at, chrono_tz::UTC, "HQ"), "26-HQ-042");
        let (a, b) = (
            f.counter_key("work_order", at, chrono_tz::UTC, "HQ"),
            f.counter_key("work_order", at, chrono_tz::UTC, "B2"),
        );
        assert_ne!(a, b);
        let next_year = Utc.with_ymd_and_hms(2027, 1, 2, 0, 0, 0).unwrap();
        assert_ne!(a, f.counter_key("work_order", next_year, chrono_tz::UTC, "HQ"));
    }
}
