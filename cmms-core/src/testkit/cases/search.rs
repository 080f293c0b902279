//! Conformance: text search of work orders and requests gives exactly the answers of the
//! reference semantics (`crate::search::matches`), page by page and in counts.

use crate::domain::request::NewRequest;
use crate::domain::work_order::{NewWorkOrder, WorkOrder, WorkOrderPatch};
use crate::search;
use crate::store::{Count, RequestFilter, WorkOrderFilter};
use crate::testkit::TestDb;
use crate::testkit::fixtures::Fx;
use std::sync::Arc;

/// Titles and descriptions with accents, ß, ligatures, hyphens, numbers, CJK, emoji and
/// LIKE's wildcards.
const CORPUS: &[(&str, Option<&str>)] = &[
    ("Pump seal leaking", Some("Replace the mechanical seal of pump P-101")),
    ("Pumpe defekt", Some("Grüße aus der Halle 3")),
    ("Valves stuck", None),
    ("Valve inspection 50% off_sale", Some("Check every valve")),
    ("Électricité: tableau", Some("Disjoncteur déclenché")),
    ("Straße lighting", Some("Lamp post 12 dark")),
    ("Œuvre cleaning", Some("Café floor, ﬁrst level")),
    ("水泵 故障", Some("水泵 需要 检修")),
    ("Boiler 🔧 service", Some("Annual service 2026-03")),
    ("O'Brien's office AC", Some("AC-unit not cooling; R-410A")),
    ("Conveyor belt", Some("Belt slipping at drive pulley")),
    ("Impeller wear", Some("Impeller of pump P-102 worn")),
    ("Łódź warehouse door", None),
    ("Compressor noise", Some("Noisy compressor near dock 4")),
    ("Generator test run", Some("Monthly run of generator G1")),
    ("Fire extinguisher check", Some("Extinguishers in hall 3")),
];

/// Queries covering prefixes, several words, case and accent folding, numbers, punctuation,
/// CJK and words that match nothing.
const QUERIES: &[&str] = &[
    "pump",
    "PUMP",
    "pum",
    "ump",
    "pumpe",
    "seal pump",
    "pump seal leak",
    "valve",
    "valves",
    "VALVE check",
    "50% off_s",
    "off_sale",
    "electricite",
    "ÉLEC",
    "grusse",
    "grüße",
    "strasse",
    "oeuvre",
    "first",
    "水泵",
    "检修",
    "o'brien",
    "brien",
    "ac-unit",
    "p-10",
    "2026",
    "impeller",
    "lodz",
    "zeppelin",
    "pump zeppelin",
    "🔧",
    "%",
    "wo",
];

fn doc(w: &WorkOrder) -> String {
    search::document(&w.number, &w.title, w.description.as_deref())
}

/// For every query both the paged list and the count equal the reference filter, and pages of
/// a search are stable.
pub async fn search_matches_the_reference(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let mut all = Vec::new();
    for (title, description) in CORPUS {
        fx.tick();
        let wo = c
            .create_work_order(
                &fx.manager.actor,
                NewWorkOrder {
                    title: (*title).into(),
                    description: description.map(Into::into),
                    site_id: Some(fx.site.id),
                    ..NewWorkOrder::default()
                },
            )
            .await
            .unwrap();
        all.push(wo);
    }
    // An edit moves a work order out of one search and into another.
    let patch = WorkOrderPatch { title: Some("Gasket swapped".into()), ..Default::default() };
    all[2] = c.update_work_order(&fx.manager.actor, all[2].id, patch, None).await.unwrap();
    let mut newest_first = all.clone();
    newest_first.reverse();
    let queries = QUERIES.iter().copied().chain(["gasket", "stuck"]);
    for q in queries {
        let want: Vec<String> = newest_first
            .iter()
            .filter(|w| search::matches(&doc(w), q))
            .map(|w| w.number.clone())
            .collect();
        let mut got = Vec::new();
        let mut f = WorkOrderFilter {
            text: Some(q.into()),
            limit: Some(3),
            count: Some(Count::Exact),
            ..Default::default()
        };
        loop {
            let page = c.list_work_orders(&fx.owner.actor, f.clone()).await.unwrap();
            assert_eq!(page.total, Some(want.len() as u64), "count of {q:?}");
            got.extend(page.items.into_iter().map(|w| w.number));
            match page.next_cursor {
                Some(cursor) => f.cursor = Some(cursor),
                None => break,
            }
        }
        assert_eq!(got, want, "search {q:?}");
    }
    // A search is scoped like any list: a requester sees none of the manager's work.
    let page = c
        .list_work_orders(
            &fx.requester.actor,
            WorkOrderFilter { text: Some("pump".into()), ..Default::default() },
        )
        .await
        .unwrap();
    assert!(page.items.is_empty());
}

/// Requests are searched by the same rules.
pub async fn request_search_matches_the_reference(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let mut all = Vec::new();
    for (title, description) in CORPUS.iter().take(8) {
        fx.tick();
        let r = c
            .create_request(
                &fx.manager.actor,
                NewRequest {
                    title: (*title).into(),
                    description: description.map(Into::into),
                    site_id: Some(fx.site.id),
                    ..NewRequest::default()
                },
            )
            .await
            .unwrap();
        all.push(r);
    }
    all.reverse();
    for q in ["pump", "PUMPE", "valve", "grusse", "水泵", "REQ", "zeppelin", "ump"] {
        let want: Vec<String> = all
            .iter()
            .filter(|r| {
                search::matches(&search::document(&r.number, &r.title, r.description.as_deref()), q)
            })
            .map(|r| r.number.clone())
            .collect();
        let page = c
            .list_requests(
                &fx.manager.actor,
                RequestFilter {
                    text: Some(q.into()),
                    count: Some(Count::Exact),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        let got: Vec<String> = page.items.into_iter().map(|r| r.number).collect();
        assert_eq!(got, want, "request search {q:?}");
        assert_eq!(page.total, Some(want.len() as u64), "request count {q:?}");
    }
}
