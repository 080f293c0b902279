//! The OpenAPI 3.1 document, built from the route table and the JSON Schemas of core's types,
//! and a human docs page rendered from it on the server (no scripts, no CDN: works offline).

use crate::problem::Problem;
use crate::routes::{Op, api_ops};
use schemars::SchemaGenerator;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

/// The prefix every API path is served under.
pub const API_PREFIX: &str = "/api/v1";

fn path_params(path: &str) -> Vec<Value> {
    path.split('/')
        .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
        .collect()
}

fn query_params(op: &Op) -> Vec<Value> {
    let Some(f) = op.query else { return Vec::new() };
    let mut settings = SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    settings.meta_schema = None;
    let mut g = settings.into_generator();
    let schema = f(&mut g).to_value();
    let required: Vec<Value> =
        schema.get("required").and_then(Value::as_array).cloned().unwrap_or_default();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    props
        .iter()
        .map(|(name, prop)| {
            let mut p = json!({ "name": name, "in": "query", "required": required.contains(&json!(name)), "schema": prop });
            if prop.get("type").and_then(Value::as_str) == Some("array") {
                p["style"] = json!("form");
                p["explode"] = json!(true);
            }
            p
        })
        .collect()
}

fn problem_response(g: &mut SchemaGenerator, description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/problem+json": { "schema": g.subschema_for::<Problem>().to_value() } },
    })
}

fn operation(op: &Op, g: &mut SchemaGenerator) -> Value {
    let mut params = path_params(op.path);
    params.extend(query_params(op));
    let mut responses = Map::new();
    let success = match op.response {
        Some(f) => {
            json!({ "description": "success", "content": { op.media: { "schema": f(g).to_value() } } })
        }
        None if op.media != "application/json" => {
            json!({ "description": "success", "content": { op.media: {} } })
        }
        None => json!({ "description": "success, no content" }),
    };
    responses.insert(op.status.to_string(), success);
    // The statuses every operation may answer, then the ones by kind of operation.
    let mut errors: Vec<(u16, &str)> = vec![
        (400, "malformed request (not JSON, bad If-Match)"),
        (404, "unknown id, or another organization's"),
        (422, "validation failed: `errors` lists the fields"),
        (429, "rate limited: see Retry-After"),
        (503, "busy: see Retry-After"),
    ];
    if op.auth {
        errors.extend([(401, "missing, invalid or expired credentials"), (403, "forbidden")]);
    }
    if op.body.is_some() {
        errors.extend([
            (409, "conflict: stale version (`current_version`) or invalid transition"),
            (413, "body too large"),
            (415, "body not application/json"),
        ]);
    }
    if op.raw_body {
        errors.extend([
            (409, "conflict: a concurrent change; retry"),
            (
                413,
                "larger than the per-file limit or what the organization has left; nothing stored",
            ),
            (415, "the type sniffed from the bytes is not allowed; nothing stored"),
        ]);
    }
    if op.method == axum::http::Method::PATCH {
        errors.push((412, "If-Match names an older version (`current_version`)"));
        params.push(json!({
            "name": "If-Match", "in": "header", "required": false,
            "description": "The ETag (version) the change was made on; `*` for any.",
            "schema": { "type": "string" },
        }));
    }
    for (status, description) in errors {
        responses.insert(status.to_string(), problem_response(g, description));
    }
    responses
        .insert("default".into(), problem_response(g, "an error, as RFC 9457 problem details"));
    let mut o = json!({
        "operationId": op.id,
        "summary": op.summary,
        "tags": [op.tag],
        "parameters": params,
        "responses": responses,
    });
    if let Some(f) = op.body {
        o["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": f(g).to_value() } } });
    }
    if op.raw_body {
        let file = json!({ "type": "string", "contentMediaType": "application/octet-stream" });
        o["requestBody"] = json!({ "required": true, "content": {
            "application/octet-stream": { "schema": file },
            "multipart/form-data": { "schema": {
                "type": "object", "properties": { "file": file }, "required": ["file"],
            } },
        } });
    }
    o["security"] = if op.auth { json!([{ "bearer": [] }]) } else { json!([]) };
    o
}

/// The whole document.
pub fn document() -> Value {
    let mut settings = SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    let mut g = settings.into_generator();
    let mut paths: Map<String, Value> = Map::new();
    for op in api_ops() {
        let path = format!("{API_PREFIX}{}", op.path);
        let entry = paths.entry(path).or_insert_with(|| json!({}));
        entry[op.method.as_str().to_lowercase()] = operation(&op, &mut g);
    }
    for op in crate::ops::outside_ops() {
        let security = if op.auth { json!([{ "metricsToken": [] }]) } else { json!([]) };
        let mut responses =
            json!({ "200": { "description": "success", "content": { op.media: {} } } });
        if op.auth {
            responses["401"] = problem_response(&mut g, "the metrics token is missing or wrong");
        }
        let item = json!({
            "operationId": op.id,
            "summary": op.summary,
            "tags": ["operations"],
            "security": security,
            "responses": responses,
        });
        paths.insert(op.path.to_string(), json!({ "get": item }));
    }
    let schemas = g.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "cmms API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Maintenance management: organizations, sites, assets, work orders, requests, audit and events. Errors are RFC 9457 problem details with a stable `code`.",
        },
        "servers": [{ "url": "/" }],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": { "type": "http", "scheme": "bearer", "description": "An access token from /api/v1/auth/login, or an API key (cmms_...)." },
                "metricsToken": { "type": "http", "scheme": "bearer", "description": "The server's CMMS_METRICS_TOKEN." },
            },
        },
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The docs page: every operation by tag, with parameters and body and response types.
pub fn docs_html(doc: &Value) -> String {
    let mut by_tag: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    if let Some(paths) = doc["paths"].as_object() {
        for (path, methods) in paths {
            for (method, op) in methods.as_object().into_iter().flatten() {
                let tag = op["tags"][0].as_str().unwrap_or("other").to_string();
                let params: Vec<String> = op["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| {
                        format!(
                            "<code>{}</code> ({})",
                            escape(p["name"].as_str().unwrap_or("")),
                            escape(p["in"].as_str().unwrap_or(""))
                        )
                    })
                    .collect();
                let body = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .map(|r| r.rsplit('/').next().unwrap_or(r).to_string());
                let auth = if op["security"].as_array().is_some_and(|s| !s.is_empty()) {
                    "🔒 "
                } else {
                    ""
                };
                let mut item = format!(
                    "<li><span class=m>{}</span> <code>{}</code> — {auth}{}",
                    method.to_uppercase(),
                    escape(path),
                    escape(op["summary"].as_str().unwrap_or(""))
                );
                if !params.is_empty() {
                    item.push_str(&format!("<br><small>parameters: {}</small>", params.join(", ")));
                }
                if let Some(b) = body {
                    item.push_str(&format!(
                        "<br><small>body: <a href=\"#schema-{0}\">{0}</a></small>",
                        escape(&b)
                    ));
                }
                item.push_str("</li>");
                by_tag.entry(tag).or_default().push(item);
            }
        }
    }
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=utf-8><title>cmms API</title><style>\
         body{font-family:system-ui,sans-serif;max-width:70em;margin:2em auto;padding:0 1em}\
         code{background:#f3f3f3;padding:0 .2em}.m{display:inline-block;width:4.5em;font-weight:bold}\
         li{margin:.4em 0}pre{background:#f7f7f7;padding:.5em;overflow:auto}</style></head><body>\
         <h1>cmms API</h1><p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI 3.1). \
         Authenticate with <code>Authorization: Bearer &lt;token&gt;</code>. Errors are \
         <code>application/problem+json</code> with a stable <code>code</code>.</p>",
    );
    for (tag, items) in by_tag {
        html.push_str(&format!("<h2>{}</h2><ul>{}</ul>", escape(&tag), items.concat()));
    }
    html.push_str(
        "<h2 id=\"problems\">Problems</h2><p>Every error is <code>application/problem+json</code>: \
         <code>type</code> points here, <code>code</code> is stable, <code>errors</code> names \
         each invalid field, <code>request_id</code> identifies the request. Messages quote at \
         most a short excerpt of what was sent.</p><dl>",
    );
    for (code, meaning) in crate::problem::PROBLEM_CODES {
        html.push_str(&format!(
            "<dt id=\"problem-{0}\"><code>{0}</code></dt><dd>{1}</dd>",
            escape(code),
            escape(meaning)
        ));
    }
    html.push_str("</dl><h2>Schemas</h2>");
    for (name, schema) in doc["components"]["schemas"].as_object().into_iter().flatten() {
        let pretty = serde_json::to_string_pretty(schema).unwrap_or_default();
        html.push_str(&format!(
            "<h3 id=\"schema-{0}\">{0}</h3><pre>{1}</pre>",
            escape(name),
            escape(&pretty)
        ));
    }
    html.push_str("</body></html>");
    html
}
