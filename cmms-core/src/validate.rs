//! Input checks shared by every use case: trimmed text with length limits, JSON objects.

use crate::error::Problems;

/// Trims `value` and checks its length in characters; records a problem when out of range.
pub(crate) fn text(p: &mut Problems, field: &str, value: &str, min: usize, max: usize) -> String {
    let trimmed = value.trim();
    let len = trimmed.chars().count();
    if has_control(trimmed) {
        p.add(field, "must not contain control characters");
    }
    if len < min {
        if min == 1 {
            p.add(field, "must not be empty");
        } else {
            p.add(field, format!("must be at least {min} characters"));
        }
    } else if len > max {
        p.add(field, format!("must be at most {max} characters (got {len})"));
    }
    trimmed.to_string()
}

/// Like `text`, for an optional field: blank becomes `None`.
pub(crate) fn opt_text(
    p: &mut Problems,
    field: &str,
    value: Option<&str>,
    max: usize,
) -> Option<String> {
    let v = value?.trim();
    if v.is_empty() {
        return None;
    }
    Some(text(p, field, v, 1, max))
}

/// Checks that a JSON value is an object (or null, read as an empty object).
pub(crate) fn json_object(
    p: &mut Problems,
    field: &str,
    value: serde_json::Value,
) -> serde_json::Value {
    match value {
        serde_json::Value::Null => serde_json::Value::Object(Default::default()),
        v @ serde_json::Value::Object(_) => {
            if let Some(problem) = json_problem(&v) {
                p.add(field, problem);
            } else if v.to_string().len() > 64 * 1024 {
                p.add(field, "must be at most 64 KiB of JSON");
            }
            v
        }
        _ => {
            p.add(field, "must be a JSON object");
            serde_json::Value::Object(Default::default())
        }
    }
}

/// Deepest nesting accepted in JSON fields (values built in process, unlike parsed text, have
/// no depth limit of their own, and deep recursion would exhaust the stack).
pub(crate) const MAX_JSON_DEPTH: usize = 32;

/// What is wrong with a JSON document that parsing would not catch: nesting deeper than
/// `MAX_JSON_DEPTH` (checked without recursing), or a NUL character, which PostgreSQL cannot
/// store in text or jsonb.
fn json_problem(v: &serde_json::Value) -> Option<String> {
    let mut stack = vec![(v, 1usize)];
    while let Some((v, depth)) = stack.pop() {
        match v {
            serde_json::Value::Object(m) => {
                if m.keys().any(|k| k.contains('\0')) {
                    return Some("must not contain NUL characters".into());
                }
                stack.extend(m.values().map(|c| (c, depth + 1)));
            }
            serde_json::Value::Array(a) => stack.extend(a.iter().map(|c| (c, depth + 1))),
            serde_json::Value::String(text) if text.contains('\0') => {
                return Some("must not contain NUL characters".into());
            }
            _ => {}
        }
        if depth > MAX_JSON_DEPTH {
            return Some(format!("must be nested at most {MAX_JSON_DEPTH} levels deep"));
        }
    }
    None
}

/// Normalises an email address (trimmed, lowercased) and checks its basic shape.
pub(crate) fn email(p: &mut Problems, field: &str, value: &str) -> String {
    let v = crate::domain::user::normalize_email(value);
    let ok = v.len() <= 254
        && v.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !v.chars().any(|c| c.is_whitespace() || c.is_control());
    if !ok {
        p.add(field, "must be a valid email address");
    }
    v
}

/// Whether `s` holds control characters other than tab, newline and carriage return (NUL and
/// friends: PostgreSQL cannot store NUL, and no field needs the others).
pub(crate) fn has_control(s: &str) -> bool {
    s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
}
