//! Meters and preventive maintenance over HTTP, on both stores: every route of the area, as a
//! planner and a technician use them, and the iCalendar feed a calendar app subscribes to.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{Kind, start, start_with};
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
    let one = s.call(Method::GET, &format!("/api/v1/meters/{mid}"), Some(t), None).await;
    let etag = one.header("etag").map(str::to_string);
    let one = one.expect(200);
    assert_eq!(etag, Some(format!("\"{}\"", one["version"])), "readings move its version");
    assert_eq!((one["name"].as_str(), one["last_value"].as_f64()), (Some("Run hours"), Some(50.0)));
    s.get(&format!("/api/v1/meters/{}", uuid::Uuid::now_v7()), t).await.problem(404, "not_found");
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
    // `from=` moves the window: every due lies in the three days after it.
    let later = now + chrono::TimeDelta::days(10);
    let q = format!("/api/v1/pm-plans/{pid}/forecast?from={}&days=3", enc(&later.to_rfc3339()));
    let window = s.get(&q, t).await.expect(200);
    let ats: Vec<chrono::DateTime<chrono::Utc>> = window
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["at"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!((2..=4).contains(&ats.len()), "{window}");
    assert!(ats.iter().all(|at| *at >= later && *at <= later + chrono::TimeDelta::days(3)));

    // `through=` bounds what is due: today's slot, but nothing by three days ago.
    assert_eq!(s.get("/api/v1/pm/due", t).await.expect(200).as_array().unwrap().len(), 1);
    let past = enc(&(now - chrono::TimeDelta::days(3)).to_rfc3339());
    let none = s.get(&format!("/api/v1/pm/due?through={past}"), t).await.expect(200);
    assert_eq!(none, json!([]));

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
    // `site=` narrows it: the plan's site counts it, another site has nothing.
    let here: Value = s.get(&format!("{q}&site={site}"), t).await.expect(200);
    assert_eq!((here["due"].as_u64(), here["plans"].as_u64()), (Some(1), Some(1)));
    let elsewhere = s.site(&org, "SP").await;
    let there: Value = s.get(&format!("{q}&site={elsewhere}"), t).await.expect(200);
    assert_eq!((there["due"].as_u64(), there["plans"].as_u64()), (Some(0), Some(0)));

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

    // Delete: refused while its work is open, then with If-Match; its work order stays.
    let plan_url = format!("/api/v1/pm-plans/{pid}");
    let open = s.delete(&plan_url, t).await.problem(409, "conflict");
    assert_eq!(open["errors"][0]["field"], "work_orders", "{open}");
    let version = s.call(Method::GET, &plan_url, Some(t), None).await;
    let etag = version.header("etag").unwrap().to_string();
    let if_match = |tag: &str| {
        s.http.delete(s.url(&plan_url)).bearer_auth(t).header("if-match", tag.to_string()).send()
    };
    let stale = common::into_res(if_match("\"99\"").await.unwrap()).await;
    stale.problem(412, "conflict");
    let cancel = json!({ "to": "cancelled", "reason": "replaced by a new plan" });
    s.post(&format!("/api/v1/work-orders/{wo_id}/transitions"), t, cancel).await.expect(200);
    let gone = common::into_res(if_match(&etag).await.unwrap()).await;
    assert_eq!(gone.status, 204, "{}", gone.text);
    s.get(&plan_url, t).await.problem(404, "not_found");
    s.delete(&plan_url, t).await.problem(404, "not_found");
    let kept = s.get(&format!("/api/v1/work-orders/{wo_id}"), t).await.expect(200);
    assert_eq!(
        (kept["status"].as_str(), kept["pm_plan_id"].as_str()),
        (Some("cancelled"), Some(pid))
    );
    s.shutdown().await;
}

/// The server's background job generates the PM work that is due with nobody asking (every
/// `CMMS_JOB_INTERVAL`, here one second) and records its metrics.
async fn the_job_generates_pm_and_counts_it(kind: Kind) {
    let s = start_with(kind, |a| {
        a.job_interval_secs = 1;
        a.metrics_token = Some("metrics-secret".into());
    })
    .await;
    let org = s.org("Jobs").await;
    let t = org.owner.as_str();
    let site = s.site(&org, "JB").await;
    let asset = s
        .post("/api/v1/assets", t, json!({ "site_id": site, "name": "Fan", "code": "F-1" }))
        .await
        .expect(201);
    let today = chrono::Utc::now().date_naive().to_string();
    let plan = s
        .post(
            "/api/v1/pm-plans",
            t,
            json!({
                "site_id": site, "title": "Clean fan", "asset_ids": [asset["id"]],
                "schedule": { "starts_on": today, "triggers": [
                    { "kind": "calendar", "every": 1, "unit": "days", "time_of_day": "00:00:00" }
                ]}
            }),
        )
        .await
        .expect(201);
    let history = format!("/api/v1/pm-plans/{}/history", plan["id"].as_str().unwrap());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let slot = loop {
        let page = s.get(&history, t).await.expect(200);
        if let Some(slot) = page["items"].as_array().and_then(|items| items.first()) {
            break slot.clone();
        }
        assert!(std::time::Instant::now() < deadline, "the job generated nothing in 20 s");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    let wo_url = format!("/api/v1/work-orders/{}", slot["work_order_id"].as_str().unwrap());
    let wo = s.get(&wo_url, t).await.expect(200);
    assert_eq!(
        (wo["pm_plan_id"].as_str(), wo["type"].as_str()),
        (plan["id"].as_str(), Some("preventive"))
    );
    // Metrics are process-wide (other tests' servers count too): at least this run is there.
    let text = s.get("/metrics", "metrics-secret").await.text;
    let value = |series: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(series))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .unwrap_or_else(|| panic!("{series} is missing: {text}"))
    };
    assert!(value("job_runs_total{job=\"pm_generate\"}") >= 2.0, "runs every second");
    assert!(value("job_items_total{job=\"pm_generate\"}") >= 1.0, "the work it created");
    assert!(value("job_duration_seconds_count{job=\"pm_generate\"}") >= 1.0, "its duration");
    s.shutdown().await;
}

fn enc(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

both_stores!(pm_over_http, the_job_generates_pm_and_counts_it);
