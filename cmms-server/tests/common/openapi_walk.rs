//! Walking the served OpenAPI document: every operation with its path, method, body schema and
//! query parameters, and real ids to put in its path. The reliability tests (fuzzing,
//! isolation) read the document instead of a hand list, so every route a later change adds is
//! covered without editing them.

use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One documented operation.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: reqwest::Method,
    pub path: String,
    pub body: Option<Value>,
    pub query: Vec<String>,
    pub streams: bool,
}

/// Every operation under `/api/v1`.
pub fn operations(doc: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let body = op["requestBody"]["content"]["application/json"]["schema"].clone();
            let query = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|p| p["in"] == "query")
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect();
            let media: Vec<&String> = op["responses"]
                .as_object()
                .into_iter()
                .flatten()
                .flat_map(|(_, r)| r["content"].as_object().into_iter().flatten().map(|(m, _)| m))
                .collect();
            out.push(Operation {
                method: reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                path: path.clone(),
                body: (!body.is_null()).then_some(body),
                query,
                streams: media.iter().any(|m| m.as_str() == "text/event-stream")
                    || path.ends_with("/ws"),
            });
        }
    }
    out
}

/// The schema a `$ref` names, or the schema itself.
pub fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema["$ref"].as_str() {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            &doc["components"]["schemas"][name]
        }
        None => schema,
    }
}

/// The property names of an object schema (following `$ref`, `allOf` and `anyOf`).
pub fn properties(doc: &Value, schema: &Value) -> Vec<String> {
    let s = resolve(doc, schema);
    let mut out: Vec<String> =
        s["properties"].as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
    for key in ["allOf", "anyOf", "oneOf"] {
        for sub in s[key].as_array().into_iter().flatten() {
            out.extend(properties(doc, sub));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Ids of one organization's records, by the path segment that names their collection
/// (`work-orders`, `sites`, ...), and for `{item_id}` (a checklist item).
pub type Ids = BTreeMap<&'static str, String>;

/// `path` with its parameters filled from `ids` (by the collection before each parameter);
/// `None` when a collection has no id here, so the caller can name it.
pub fn concrete(path: &str, ids: &Ids) -> Result<String, String> {
    let mut out = String::new();
    let mut last = "";
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        if seg.starts_with('{') {
            let key = if seg == "{item_id}" { "checklist" } else { last };
            let id = ids.get(key).ok_or_else(|| format!("no id for {{...}} after '{key}'"))?;
            out.push_str(id);
        } else {
            out.push_str(seg);
            last = seg;
        }
    }
    Ok(out)
}

/// A body that has the right shape for nothing in particular: the fuzzer's starting point.
pub fn empty_object() -> Value {
    json!({})
}
