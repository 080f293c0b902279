//! docs/http.md is a contract: its walkthrough is replayed here against the real server on each
//! store, exchange by exchange, and its table of problem codes is the server's.
//!
//! Format of the walkthrough: an `http` block holding a request (`METHOD /path`, headers, a
//! blank line, a JSON body) followed by an `http` block holding the answer (`HTTP/1.1 <status>
//! <reason>`, headers, a blank line, JSON). Answers are abridged: shown object fields must
//! match, others are ignored; `…` inside a string matches anything; a string that is just
//! `<name>` binds a variable the first time and must equal it afterwards; requests use `<name>`
//! to insert a bound variable. `<access_token>` once bound is sent as the bearer token.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{Kind, PW, start};
use reqwest::Method;
use serde_json::Value;
use std::collections::HashMap;

const GUIDE: &str = include_str!("../../docs/http.md");
const INVENTORY: &str = include_str!("../../docs/inventory.md");
const NOTIFICATIONS: &str = include_str!("../../docs/notifications.md");
const WEBHOOKS: &str = include_str!("../../docs/webhooks.md");

/// The fenced blocks of one language, in order.
fn blocks(text: &str, lang: &str) -> Vec<String> {
    let fence = format!("```{lang}\n");
    text.split(&fence).skip(1).map(|b| b.split("```").next().unwrap_or("").to_string()).collect()
}

/// Head lines (first line and headers) and the body after the first blank line.
fn split_message(block: &str) -> (Vec<&str>, &str) {
    let (head, body) = block.split_once("\n\n").unwrap_or((block, ""));
    (head.lines().collect(), body.trim())
}

fn substitute(text: &str, vars: &HashMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find('<') {
        let Some(len) = rest[start..].find('>') else { break };
        let name = &rest[start + 1..start + len];
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            out.push_str(&rest[..=start]);
            rest = &rest[start + 1..];
            continue;
        }
        let value = vars.get(name).unwrap_or_else(|| panic!("<{name}> is used before it is bound"));
        out.push_str(&rest[..start]);
        out.push_str(value);
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// `…` matches any run of characters.
fn glob(pattern: &str, actual: &str) -> bool {
    let parts: Vec<&str> = pattern.split('…').collect();
    if parts.len() == 1 {
        return pattern == actual;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !actual.starts_with(first) || !actual[first.len()..].ends_with(last) {
        return false;
    }
    let mut middle = &actual[first.len()..actual.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match middle.find(part) {
            Some(i) => middle = &middle[i + part.len()..],
            None => return false,
        }
    }
    true
}

fn variable(s: &str) -> Option<&str> {
    let name = s.strip_prefix('<')?.strip_suffix('>')?;
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')).then_some(name)
}

/// Checks `actual` against the abridged `shown`; returns where they differ.
fn check(
    shown: &Value,
    actual: &Value,
    at: &str,
    vars: &mut HashMap<String, String>,
) -> Result<(), String> {
    let differ = || Err(format!("{at}: the guide shows {shown}, the server answered {actual}"));
    match (shown, actual) {
        (Value::String(s), _) if variable(s).is_some() => {
            let name = variable(s).unwrap_or_default();
            let Some(value) = actual.as_str() else { return differ() };
            match vars.get(name) {
                Some(bound) if bound != value => differ(),
                Some(_) => Ok(()),
                None => {
                    vars.insert(name.to_string(), value.to_string());
                    Ok(())
                }
            }
        }
        (Value::String(s), Value::String(a)) => {
            if glob(s, a) {
                Ok(())
            } else {
                differ()
            }
        }
        (Value::Object(s), Value::Object(a)) => {
            for (k, v) in s {
                let Some(av) = a.get(k) else {
                    return Err(format!("{at}.{k}: shown in the guide, missing in {actual}"));
                };
                check(v, av, &format!("{at}.{k}"), vars)?;
            }
            Ok(())
        }
        (Value::Array(s), Value::Array(a)) => {
            let abridged = s.last() == Some(&Value::String("…".into()));
            let shown_items = if abridged { &s[..s.len() - 1] } else { &s[..] };
            if a.len() < shown_items.len() || (!abridged && a.len() != s.len()) {
                return differ();
            }
            for (i, (sv, av)) in shown_items.iter().zip(a).enumerate() {
                check(sv, av, &format!("{at}[{i}]"), vars)?;
            }
            Ok(())
        }
        _ if shown == actual => Ok(()),
        _ => differ(),
    }
}

async fn walkthrough(kind: Kind) {
    replay(kind, GUIDE, 20).await;
}

/// docs/inventory.md's walkthrough: a part's life from receipt to purchase order.
async fn inventory_walkthrough(kind: Kind) {
    replay(kind, INVENTORY, 30).await;
}

/// docs/notifications.md's walkthrough: watching, the (empty) list and preferences.
async fn notifications_walkthrough(kind: Kind) {
    replay(kind, NOTIFICATIONS, 10).await;
}

/// docs/webhooks.md's walkthrough: a subscription's life (the secret shown once).
async fn webhooks_walkthrough(kind: Kind) {
    replay(kind, WEBHOOKS, 10).await;
}

/// Replays a guide's `http` exchanges (at least `min` blocks) against a fresh server.
async fn replay(kind: Kind, guide: &str, min: usize) {
    let srv = start(kind).await;
    cmms_server::bootstrap::create_org_with_owner(
        srv.state.cmms(),
        "Acme",
        "Owner",
        "admin@example.com",
        Some(PW),
    )
    .await
    .unwrap();
    let blocks = blocks(guide, "http");
    assert!(blocks.len() >= min, "the walkthrough has its exchanges");
    assert_eq!(blocks.len() % 2, 0, "every request in the guide is followed by its answer");
    let mut vars = HashMap::new();
    for pair in blocks.chunks(2) {
        let (request, answer) = (&pair[0], &pair[1]);
        let (head, body) = split_message(request);
        let (method, path) = head[0].split_once(' ').expect("METHOD /path");
        assert!(!method.starts_with("HTTP/"), "an answer without a request:\n{request}");
        let mut rb = srv.http.request(
            Method::from_bytes(method.as_bytes()).unwrap(),
            srv.url(&substitute(path, &vars)),
        );
        for h in &head[1..] {
            let (name, value) = h.split_once(": ").expect("Header: value");
            rb = rb.header(name, substitute(value, &vars));
        }
        if let Some(token) = vars.get("access_token") {
            rb = rb.bearer_auth(token);
        }
        if !body.is_empty() {
            let json: Value = serde_json::from_str(&substitute(body, &vars))
                .unwrap_or_else(|e| panic!("request body in the guide is not JSON ({e}):\n{body}"));
            rb = rb.json(&json);
        }
        let res = common::into_res(rb.send().await.unwrap()).await;

        let (ahead, abody) = split_message(answer);
        let mut status_line = ahead[0].splitn(3, ' ');
        assert_eq!(status_line.next(), Some("HTTP/1.1"), "{answer}");
        let status: u16 = status_line.next().and_then(|s| s.parse().ok()).expect("a status");
        let exchange = format!("{method} {path}");
        assert_eq!(res.status.as_u16(), status, "{exchange}: {}", res.text);
        assert_eq!(status_line.next(), res.status.canonical_reason(), "{exchange}: reason phrase");
        for h in &ahead[1..] {
            let (name, value) = h.split_once(": ").expect("Header: value");
            let actual = res.header(name).unwrap_or_else(|| panic!("{exchange}: no {name} header"));
            assert!(glob(value, actual), "{exchange}: {name} is {actual}, the guide shows {value}");
        }
        if !abody.is_empty() {
            let shown: Value = serde_json::from_str(abody)
                .unwrap_or_else(|e| panic!("answer in the guide is not JSON ({e}):\n{abody}"));
            if let Err(e) = check(&shown, &res.body, "body", &mut vars) {
                panic!("{exchange}: {e}");
            }
        }
    }
    srv.shutdown().await;
}

both_stores!(walkthrough, inventory_walkthrough, notifications_walkthrough, webhooks_walkthrough);

#[test]
fn the_guide_lists_exactly_the_servers_problem_codes() {
    let table = GUIDE.split("| code | status | meaning |\n").nth(1).expect("the code table");
    let table = table.split("\n\n").next().unwrap_or_default();
    let mut listed: Vec<&str> =
        table.lines().skip(1).filter_map(|row| row.split('`').nth(1)).collect();
    let mut served: Vec<&str> =
        cmms_server::problem::PROBLEM_CODES.iter().map(|(c, _)| *c).collect();
    listed.sort_unstable();
    served.sort_unstable();
    assert_eq!(listed, served, "docs/http.md's problem codes and the server's differ");
}

/// docs/server.md's configuration table names exactly the variables the `cmms` command reads.
#[test]
fn the_server_guide_lists_every_variable() {
    use clap::CommandFactory;
    fn envs(cmd: &clap::Command, out: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            if let Some(env) = arg.get_env() {
                out.push(env.to_string_lossy().into_owned());
            }
        }
        for sub in cmd.get_subcommands() {
            envs(sub, out);
        }
    }
    let mut read = Vec::new();
    envs(&cmms_server::config::Cli::command(), &mut read);
    read.sort_unstable();
    read.dedup();
    let guide = include_str!("../../docs/server.md");
    let mut listed: Vec<String> = guide
        .lines()
        .filter_map(|l| l.strip_prefix("| `CMMS_"))
        .flat_map(|l| l.split(" | ").next().unwrap_or_default().split(" / "))
        .map(|v| format!("CMMS_{}", v.trim_start_matches("`CMMS_").trim_matches('`')))
        .collect();
    listed.sort_unstable();
    assert_eq!(listed, read, "docs/server.md's variables and the command's differ");
}

#[test]
fn the_matcher_can_fail() {
    let mut vars = HashMap::new();
    let shown: Value = serde_json::json!({"a": "x…z", "b": ["<v>", "…"], "c": 1});
    let good = serde_json::json!({"a": "xyz", "b": ["id", 2], "c": 1, "d": 0});
    assert!(check(&shown, &good, "body", &mut vars).is_ok());
    assert_eq!(vars["v"], "id");
    for bad in [
        serde_json::json!({"a": "xy", "b": ["id"], "c": 1}),
        serde_json::json!({"a": "xyz", "b": ["other"], "c": 1}),
        serde_json::json!({"a": "xyz", "b": ["id"], "c": 2}),
        serde_json::json!({"a": "xyz", "c": 1}),
    ] {
        assert!(check(&shown, &bad, "body", &mut vars).is_err(), "{bad}");
    }
    assert!(glob("…-NP-001", "26-NP-001") && !glob("…-NP-001", "26-NP-002"));
}
