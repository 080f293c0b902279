//! Pages and cursors: the opaque keyset cursor every list hands out, checked against the sort
//! it came from before a store sees it.

use crate::error::{CmmsError, Result};
use base64::Engine;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Default page size of every list: paged lists, an asset's children and history, readings, a
/// plan's history, audit entries and the event outbox alike; the HTTP API and the Python
/// bindings use it too, so a list without `limit` answers the same number of rows at every door.
pub const DEFAULT_LIMIT: u32 = 50;
/// Largest page size of every list (the same lists as [`DEFAULT_LIMIT`]). One bound for all of
/// them, so a caller learns one number; walking everything is done with cursors (or `after`),
/// never with a bigger page.
pub const MAX_LIMIT: u32 = 500;

/// One page of a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[cfg_attr(feature = "schemars", schemars(rename = "{T}Page"))]
pub struct Page<T> {
    /// The rows.
    pub items: Vec<T>,
    /// Pass this as `cursor` to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
    /// Every row the list shows over all its pages, when asked for (`count=exact`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// A position in a sorted list: the last row's sort key and id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct SortKey {
    /// The key value (`None` for a NULL due date).
    pub value: Option<KeyValue>,
    /// The row id (tie-break).
    pub id: Uuid,
}

/// A sort key value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(untagged)]
pub enum KeyValue {
    /// Integers: timestamps in microseconds, priority ranks.
    Int(i64),
    /// Text (names).
    Text(String),
}

#[derive(Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
struct CursorWire {
    s: String,
    k: Option<KeyValue>,
    i: Uuid,
}

/// Encodes an opaque cursor for `sort` positioned at `key`.
pub fn encode_cursor(sort: &str, key: &SortKey) -> String {
    let wire = CursorWire { s: sort.to_string(), k: key.value.clone(), i: key.id };
    let json = serde_json::to_vec(&wire).unwrap_or_default();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
}

/// What a list's sort keys are, so a cursor can be checked before it reaches a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyType {
    /// Integers, never null.
    Int,
    /// Integers or null.
    NullableInt,
    /// Timestamps in microseconds, never null.
    Time,
    /// Timestamps in microseconds, or null (due dates).
    NullableTime,
    /// Text, never null.
    Text,
}

/// Decodes a cursor made by `encode_cursor` for the same `sort`, whose keys are of type `key`.
pub fn decode_cursor(sort: &str, cursor: &str, key: KeyType) -> Result<SortKey> {
    let bad =
        || CmmsError::invalid("cursor", "is not a cursor from this list (or its sort changed)");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| bad())?;
    let wire: CursorWire = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    // Years 1 to 9999: what every store can hold, so a forged key is refused here rather than
    // by a database.
    const TIME_RANGE: std::ops::RangeInclusive<i64> =
        -62_135_596_800_000_000..=253_402_300_799_999_999;
    let kind_ok = match (&wire.k, key) {
        (None, KeyType::NullableInt | KeyType::NullableTime) => true,
        (Some(KeyValue::Text(_)), KeyType::Text) => true,
        (Some(KeyValue::Int(_)), KeyType::Int | KeyType::NullableInt) => true,
        (Some(KeyValue::Int(v)), KeyType::Time | KeyType::NullableTime) => TIME_RANGE.contains(v),
        _ => false,
    };
    if wire.s != sort || !kind_ok {
        return Err(bad());
    }
    Ok(SortKey { value: wire.k, id: wire.i })
}

/// Checks a requested page size: `None` is [`DEFAULT_LIMIT`], 1 to [`MAX_LIMIT`] pass.
pub fn check_limit(limit: Option<u32>) -> Result<u32> {
    match limit.unwrap_or(DEFAULT_LIMIT) {
        0 => Err(CmmsError::invalid("limit", "must be at least 1")),
        n if n > MAX_LIMIT => {
            Err(CmmsError::invalid("limit", format!("must be at most {MAX_LIMIT}")))
        }
        n => Ok(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_one_sort() {
        let key = SortKey { value: Some(KeyValue::Text("Pump".into())), id: Uuid::now_v7() };
        let c = encode_cursor("name", &key);
        assert_eq!(decode_cursor("name", &c, KeyType::Text).unwrap(), key);
        assert!(decode_cursor("email", &c, KeyType::Text).is_err());
        assert!(decode_cursor("name", &c, KeyType::Int).is_err());
        assert!(decode_cursor("name", "%%%", KeyType::Text).is_err());
        let null = SortKey { value: None, id: Uuid::now_v7() };
        assert_eq!(
            decode_cursor("due:asc", &encode_cursor("due:asc", &null), KeyType::NullableInt)
                .unwrap(),
            null
        );
    }

    #[test]
    fn limits_are_bounded() {
        assert_eq!(check_limit(None).unwrap(), DEFAULT_LIMIT);
        assert_eq!(check_limit(Some(500)).unwrap(), 500);
        assert!(check_limit(Some(0)).is_err() && check_limit(Some(501)).is_err());
    }

    #[test]
    fn null_keys_only_for_nullable_sorts() {
        let null = SortKey { value: None, id: Uuid::now_v7() };
        let c = encode_cursor("created:desc", &null);
        assert!(decode_cursor("created:desc", &c, KeyType::Int).is_err());
        assert!(decode_cursor("created:desc", &c, KeyType::Time).is_err());
        let far = SortKey { value: Some(KeyValue::Int(i64::MAX)), id: Uuid::now_v7() };
        let c = encode_cursor("created:desc", &far);
        assert!(decode_cursor("created:desc", &c, KeyType::Time).is_err());
        assert!(decode_cursor("created:desc", &c, KeyType::Int).is_ok());
    }
}
