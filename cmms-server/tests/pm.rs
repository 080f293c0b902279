//! Meters and preventive maintenance over HTTP, on both stores: every route of the area, as a
//! planner and a technician use them, and the iCalendar feed a calendar app subscribes to.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{Kind, start};
use reqwest::Method;
use serde_json::{Value, json};

async fn pm_over_http(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Plant").await;
    let t = org.owner.as_str();
    let site = s.site(&org, "NP").await;
    let asset = s
        .post("/api/v1/assets", t, json!({ "site_id": site, "name": "Compressor", "code": "C-1" }))
        .await
        .expect(201);
    let asset_id = asset["id"].as_str().unwrap();

    // Meters and readings: one, a batch out of order, a refused one, paging by time.
    let meter = s
        .post(
            "/api/v1/meters",
            t,
            json!({ "asset_id": asset_id, "name": "Run hours", "unit": "h", "kind": "accumulating" }),
        )
        .await
        .expect(201);
    let mid = meter["id"].as_str().unwrap();
    let readings = format!("/api/v1/meters/{mid}/readings");
    let now = chrono::Utc::now();
    let at = |h: i64| (now - chrono::TimeDelta::hours(h)).to_rfc3339();
    let one = s.post(&readings, t, json!({ "value": 10.0, "taken_at": at(30) })).await.expect(200);
    assert_eq!(one["recorded"].as_array().unwrap().len(), 1);
    let batch = json!({ "readings": [
        { "value": 40.0, "taken_at": at(10) }, { "value": 20.0, "taken_at": at(20) }
    ]});
    let b = s.post(&readings, t, batch).await.expect(200);
    assert_eq!(b["meters"][0]["last_value"], 40.0);
    let low = s.post(&readings, t, json!({ "value": 5.0 })).await.problem(422, "validation_failed");
    assert_eq!(low["errors"][0]["field"], "readings[0].value");
    s.post(&readings, t, json!({ "value": 5.0, "readings": [] }))
        .await
        .problem(422, "validation_failed");
    let cross = json!({ "readings": [{ "meter_id": mid, "value": 50.0, "taken_at": at(5) }] });
    s.post("/api/v1/readings", t, cross).await.expect(200);
    let page = s.get(&format!("{readings}?newest_first=true&limit=2"), t).await.expect(200);
    let values: Vec<f64> =
        page["items"].as_array().unwrap().iter().map(|r| r["value"].as_f64().unwrap()).collect();
    assert_eq!(values, [50.0, 40.0]);
    let next = page["next_cursor"].as_str().unwrap();
    let rest = s.get(&format!("{readings}?newest_first=true&cursor={next}"), t).await.expect(200);
    assert_eq!(rest["items"].as_array().unwrap().len(), 2);
    let listed = s.get(&format!("/api/v1/meters?asset={asset_id}"), t).await.expect(200);
    assert_eq!(listed["items"][0]["id"], mid);
    let renamed =
        s.patch(&format!("/api/v1/meters/{mid}"), t, json!({ "unit": "hours" })).await.expect(200);
    assert_eq!(
        (renamed["unit"].as_str(), renamed["name"].as_str()),
        (Some("hours"), Some("Run hours"))
    );

    // A plan: daily at 08:00 from today, or every 250 hours, whichever first.
    let today = now.date_naive().to_string();
    let plan = s
        .post(
            "/api/v1/pm-plans",
            t,
            json!({
                "site_id": site, "title": "Service compressor", "asset_ids": [asset_id],
                "checklist": [{ "label": "Drain condensate", "mandatory": true }],
                "schedule": { "starts_on": today, "triggers": [
                    { "kind": "calendar", "every": 1, "unit": "days", "time_of_day": "00:00:00" },
                    { "kind": "meter_interval", "meter": "Run hours", "every": 250.0 }
                ]}
            }),
        )
        .await
        .expect(201);
    let pid = plan["id"].as_str().unwrap();
    let typo = json!({ "site_id": site, "title": "x", "asset_ids": [asset_id], "shedule": {} });
    s.post("/api/v1/pm-plans", t, typo).await.problem(422, "validation_failed");
    let patched = s
        .patch(&format!("/api/v1/pm-plans/{pid}"), t, json!({ "priority": "high" }))
        .await
        .expect(200);
    assert_eq!(patched["title"], "Service compressor", "a merge patch keeps the rest");
    assert_eq!(s.get("/api/v1/pm-plans", t).await.expect(200).as_array().unwrap().len(), 1);
    s.get(&format!("/api/v1/pm-plans/{pid}"), t).await.expect(200);
    let forecast = s.get(&format!("/api/v1/pm-plans/{pid}/forecast?days=7"), t).await.expect(200);
    assert!(forecast.as_array().unwrap().len() >= 6, "{forecast}");

    // Generate: today's work order exists once, however often it runs.
    let g = s.post("/api/v1/pm/generate", t, json!({})).await.expect(200);
    assert_eq!(g["created"].as_array().unwrap().len(), 1, "{g}");
    let again = s.post("/api/v1/pm/generate", t, json!({ "plan_ids": [pid] })).await.expect(200);
    assert!(again["created"].as_array().unwrap().is_empty());
    let wo_id = g["created"][0]["work_order_id"].as_str().unwrap();
    let wo = s.get(&format!("/api/v1/work-orders/{wo_id}"), t).await.expect(200);
    assert_eq!((wo["type"].as_str(), wo["pm_plan_id"].as_str()), (Some("preventive"), Some(pid)));
    let due = s.get("/api/v1/pm/due", t).await.expect(200);
    assert_eq!(due[0]["open_work_order_id"], wo_id);
    let history = s.get(&format!("/api/v1/pm-plans/{pid}/history"), t).await.expect(200);
    assert_eq!(history["items"][0]["status"], "open");
    let from = (now - chrono::TimeDelta::days(30)).to_rfc3339();
    let to = (now + chrono::TimeDelta::days(1)).to_rfc3339();
    let q = format!("/api/v1/pm/compliance?from={}&to={}", enc(&from), enc(&to));
    let c: Value = s.get(&q, t).await.expect(200);
    assert_eq!((c["due"].as_u64(), c["plans"].as_u64()), (Some(1), Some(1)));
    s.get("/api/v1/pm/compliance", t).await.problem(422, "validation_failed");

    // The feed: with a header, or an API key in the URL (what a calendar app has).
    let feed = s.call(Method::GET, "/api/v1/pm/forecast.ics?days=3", Some(t), None).await;
    assert_eq!(feed.status, 200);
    assert!(feed.header("content-type").unwrap().starts_with("text/calendar"));
    assert!(feed.text.starts_with("BEGIN:VCALENDAR\r\n") && feed.text.contains("BEGIN:VEVENT\r\n"));
    let key = s
        .post("/api/v1/api-keys", t, json!({ "name": "calendar", "role": { "builtin": "viewer" } }))
        .await
        .expect(201);
    let secret = key["token"].as_str().unwrap();
    let by_key =
        s.call(Method::GET, &format!("/api/v1/pm/forecast.ics?key={secret}"), None, None).await;
    assert_eq!(by_key.status, 200, "{}", by_key.text);
    let anon = s.call(Method::GET, "/api/v1/pm/forecast.ics?key=cmms_nope", None, None).await;
    anon.problem(401, "unauthenticated");
    s.shutdown().await;
}

fn enc(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

both_stores!(pm_over_http);
