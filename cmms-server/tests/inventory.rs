//! Inventory and purchasing over HTTP, on both stores: every route of the area as a storekeeper,
//! a technician and a manager use them — decimal strings in and out, insufficient stock as a
//! 409 problem that names its numbers, If-Match on changes, cursors on lists.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{Kind, start};
use reqwest::Method;
use serde_json::{Value, json};

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

async fn inventory_over_http(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Stores").await;
    let t = org.owner.as_str();
    let site = s.site(&org, "ST").await;
    let (_, sk) = s.user(&org, "storekeeper", None).await;
    let (tech_id, tech) = s.user(&org, "technician", None).await;
    let (_, viewer) = s.user(&org, "viewer", None).await;

    // Catalogue: parts (unique numbers), storerooms and bins.
    let part = s
        .post(
            "/api/v1/parts",
            &sk,
            json!({ "part_number": "BRG-6204", "name": "Bearing 6204", "unit_cost": "12.40",
                    "levels": { "reorder_point": 4, "reorder_quantity": "10" } }),
        )
        .await
        .expect(201);
    let pid = id(&part);
    assert_eq!(part["levels"]["reorder_point"], "4", "quantities come back as decimal strings");
    let dup = s.post("/api/v1/parts", &sk, json!({ "part_number": "BRG-6204", "name": "Again" }));
    dup.await.problem(409, "conflict");
    s.post("/api/v1/parts", &sk, json!({ "part_number": "", "name": "x", "unit_cost": "-1" }))
        .await
        .problem(422, "validation_failed");
    s.post("/api/v1/parts", &viewer, json!({ "part_number": "V-1", "name": "x" }))
        .await
        .problem(403, "forbidden");
    let got = s.get(&format!("/api/v1/parts/{pid}"), &tech).await;
    assert_eq!(got.header("etag"), Some("\"1\""));
    let renamed = s
        .call(
            Method::PATCH,
            &format!("/api/v1/parts/{pid}"),
            Some(&sk),
            Some(json!({ "name": "Ball bearing 6204", "version": 1 })),
        )
        .await
        .expect(200);
    assert_eq!(renamed["version"], 2);
    s.patch(&format!("/api/v1/parts/{pid}"), &sk, json!({ "name": "Stale", "version": 1 }))
        .await
        .problem(409, "conflict");
    let listed = s.get("/api/v1/parts?limit=1", &viewer).await.expect(200);
    assert_eq!(listed["items"][0]["id"], pid.as_str());
    let store = s
        .post(
            "/api/v1/stock-locations",
            &sk,
            json!({ "site_id": site, "code": "MAIN", "name": "Main store" }),
        )
        .await
        .expect(201);
    let main = id(&store);
    let bin = s
        .post(
            "/api/v1/stock-locations",
            &sk,
            json!({ "parent_id": main, "code": "MAIN-A1", "name": "Shelf A1" }),
        )
        .await
        .expect(201);
    assert_eq!((bin["kind"].as_str(), bin["site_id"].as_str()), (Some("bin"), Some(site.as_str())));
    let locs = s.get(&format!("/api/v1/stock-locations?site={site}"), &viewer).await.expect(200);
    assert_eq!(locs["items"].as_array().unwrap().len(), 2);
    s.get(&format!("/api/v1/stock-locations/{main}"), &viewer).await.expect(200);
    s.patch(&format!("/api/v1/stock-locations/{main}"), &sk, json!({ "name": "Main storeroom" }))
        .await
        .expect(200);

    // Stock: receive 2.5 at a time, adjust, count, transfer, levels.
    let recv =
        json!({ "part_id": pid, "location_id": main, "quantity": "10.5", "unit_cost": "12" });
    let moved = s.post("/api/v1/stock/receive", &sk, recv).await.expect(201);
    assert_eq!(
        (moved["kind"].as_str(), moved["quantity"].as_str()),
        (Some("receive"), Some("10.5"))
    );
    let adj =
        json!({ "part_id": pid, "location_id": main, "quantity": "-0.5", "reason": "damaged" });
    s.post("/api/v1/stock/adjust", &sk, adj).await.expect(201);
    let no_reason = json!({ "part_id": pid, "location_id": main, "quantity": "-1" });
    s.post("/api/v1/stock/adjust", &sk, no_reason).await.problem(422, "validation_failed");
    let count = json!({ "part_id": pid, "location_id": main, "quantity": "10" });
    s.post("/api/v1/stock/count", &sk, count).await.expect(201);
    let tr = json!({ "part_id": pid, "from_location_id": main, "to_location_id": id(&bin), "quantity": "2" });
    let pair = s.post("/api/v1/stock/transfer", &sk, tr).await.expect(201);
    assert_eq!(pair["out"]["transfer_id"], pair["in"]["transfer_id"]);
    let levels = json!({ "part_id": pid, "location_id": id(&bin), "levels": { "min": "1" } });
    let row =
        s.call(Method::PUT, "/api/v1/stock/levels", Some(&sk), Some(levels)).await.expect(200);
    assert_eq!(
        (row["own_levels"].as_bool(), row["levels"]["min"].as_str()),
        (Some(true), Some("1"))
    );
    let stock =
        s.get(&format!("/api/v1/stock?part={pid}&location={main}"), &viewer).await.expect(200);
    assert_eq!(stock["items"][0]["on_hand"], "8");
    let ledger =
        s.get(&format!("/api/v1/stock/movements?part={pid}&limit=2"), &viewer).await.expect(200);
    assert_eq!(ledger["items"].as_array().unwrap().len(), 2);
    let next = ledger["next_cursor"].as_str().unwrap();
    let rest = s.get(&format!("/api/v1/stock/movements?part={pid}&cursor={next}"), &viewer).await;
    assert_eq!(rest.expect(200)["items"].as_array().unwrap().len(), 3);

    // Parts on a work order: a technician on work assigned to them.
    let wo = s
        .work_order(t, json!({ "title": "Bearing swap", "site_id": site, "assignees": [tech_id] }))
        .await;
    let wid = id(&wo);
    let parts = format!("/api/v1/work-orders/{wid}/parts");
    let line = s
        .post(
            &parts,
            &tech,
            json!({ "action": "reserve", "part_id": pid, "location_id": main, "quantity": "3" }),
        )
        .await
        .expect(200);
    assert_eq!(line["reserved"], "3");
    let short = s
        .post(
            &parts,
            &tech,
            json!({ "action": "issue", "part_id": pid, "location_id": main, "quantity": "99" }),
        )
        .await
        .problem(409, "insufficient_stock");
    assert!(short["detail"].as_str().unwrap().contains("99 requested"), "{short}");
    let issued = s
        .post(
            &parts,
            &tech,
            json!({ "action": "issue", "part_id": pid, "location_id": main, "quantity": "5" }),
        )
        .await
        .expect(200);
    assert_eq!((issued["reserved"].as_str(), issued["issued"].as_str()), (Some("0"), Some("5")));
    s.post(
        &parts,
        &tech,
        json!({ "action": "return", "part_id": pid, "location_id": main, "quantity": "1" }),
    )
    .await
    .expect(200);
    let lines = s.get(&parts, &viewer).await.expect(200);
    assert_eq!(lines[0]["returned"], "1");
    // Low stock: 8 - 5 + 1 = 4 at the reorder point of 4.
    let low = s.get("/api/v1/inventory/low-stock", &viewer).await.expect(200);
    assert_eq!(
        (low["items"][0]["available"].as_str(), low["items"][0]["status"].as_str()),
        (Some("4"), Some("low"))
    );
    // Costs.
    s.post(
        &format!("/api/v1/work-orders/{wid}/costs"),
        &tech,
        json!({ "description": "Crane", "amount": "50" }),
    )
    .await
    .expect(201);
    let costs = s.get(&format!("/api/v1/work-orders/{wid}/costs"), &viewer).await.expect(200);
    assert_eq!(costs.as_array().unwrap().len(), 1);
    let cost = s.get(&format!("/api/v1/work-orders/{wid}/cost"), &viewer).await.expect(200);
    // 5 issued and 1 returned at 12 each, plus 50.
    assert_eq!((cost["parts_issued"].as_str(), cost["total"].as_str()), (Some("60"), Some("98")));
    let asset = s
        .post("/api/v1/assets", t, json!({ "site_id": site, "name": "Fan", "code": "F-1" }))
        .await
        .expect(201);
    let ac = s.get(&format!("/api/v1/assets/{}/cost", id(&asset)), &viewer).await.expect(200);
    assert_eq!((ac["work_orders"].as_u64(), ac["total"].as_str()), (Some(0), Some("0")));

    // Vendors and purchase orders.
    let vendor = s
        .post("/api/v1/vendors", &sk, json!({ "name": "Acme", "currency": "EUR" }))
        .await
        .expect(201);
    let vid = id(&vendor);
    s.call(
        Method::PUT,
        &format!("/api/v1/vendors/{vid}"),
        Some(&sk),
        Some(json!({ "name": "Acme Bearings", "currency": "EUR", "version": 1 })),
    )
    .await
    .expect(200);
    s.call(
        Method::PUT,
        &format!("/api/v1/vendors/{vid}/parts"),
        Some(&sk),
        Some(json!({ "part_id": pid, "price": "11.50", "preferred": true })),
    )
    .await
    .expect(200);
    let vparts = s.get(&format!("/api/v1/vendors/{vid}/parts"), &viewer).await.expect(200);
    assert_eq!(vparts[0]["price"], "11.5");
    s.get("/api/v1/vendors", &viewer).await.expect(200);
    s.get(&format!("/api/v1/vendors/{vid}"), &viewer).await.expect(200);
    let suggested =
        s.post("/api/v1/purchase-orders/suggest", &sk, json!({ "create": true })).await.expect(200);
    assert_eq!(suggested[0]["lines"][0]["quantity"], "10");
    let po_id = suggested[0]["created"].as_str().unwrap().to_string();
    let po = format!("/api/v1/purchase-orders/{po_id}");
    let draft = s.get(&po, &sk).await.expect(200);
    assert_eq!((draft["status"].as_str(), draft["total"].as_str()), (Some("draft"), Some("115")));
    let line_id = id(&draft["lines"][0]);
    let replaced = s
        .call(
            Method::PUT,
            &po,
            Some(&sk),
            Some(json!({ "vendor_id": vid, "site_id": site, "lines": [
                { "part_id": pid, "location_id": main, "quantity": "20", "unit_price": "11" }
            ]})),
        )
        .await
        .expect(200);
    assert_eq!(replaced["total"], "220");
    assert_ne!(id(&replaced["lines"][0]), line_id, "a draft's lines are replaced");
    let go = |to: &str| json!({ "to": to });
    let tr = format!("{po}/transitions");
    s.post(&tr, &sk, go("received")).await.problem(409, "invalid_transition");
    s.post(&tr, &sk, go("submitted")).await.expect(200);
    // 220 is within the storekeeper's default limit of 1,000; make it bigger than that.
    s.post(&tr, &sk, go("draft")).await.expect(200);
    let big = json!({ "vendor_id": vid, "site_id": site, "lines": [
        { "part_id": pid, "location_id": main, "quantity": "200", "unit_price": "11" }
    ]});
    let big = s.call(Method::PUT, &po, Some(&sk), Some(big)).await.expect(200);
    let line_id = id(&big["lines"][0]);
    s.post(&tr, &sk, go("submitted")).await.expect(200);
    s.post(&tr, &sk, go("approved")).await.problem(403, "forbidden");
    let listed = s.get("/api/v1/purchase-orders?status=submitted", &viewer).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    s.post(&tr, t, go("approved")).await.expect(200);
    s.post(&tr, &sk, go("ordered")).await.expect(200);
    let rec = format!("{po}/receipts");
    let over = json!({ "lines": [{ "line_id": line_id, "quantity": "201" }] });
    s.post(&rec, &sk, over).await.problem(422, "validation_failed");
    let partial = json!({ "lines": [{ "line_id": line_id, "quantity": "5" }] });
    let after = s.post(&rec, &sk, partial).await.expect(200);
    assert_eq!(after["status"], "partially_received");
    let receipts = s.get(&rec, &sk).await.expect(200);
    assert_eq!(receipts["items"][0]["quantity"], "5");
    s.post(&tr, &sk, json!({ "to": "closed" })).await.problem(422, "validation_failed");
    s.post(&tr, t, json!({ "to": "closed", "reason": "rest back-ordered elsewhere" }))
        .await
        .expect(200);
    // Technicians see neither orders nor their receipts.
    s.get(&po, &tech).await.problem(404, "not_found");
    s.get(&rec, &tech).await.problem(404, "not_found");
}

both_stores!(inventory_over_http);
