//! Conformance: inventory and purchasing — the stock ledger and its invariants, one low-stock
//! event per crossing, parts on work orders (released when the work ends), concurrent issues
//! that never oversell, random movements that keep stock equal to its ledger, purchase orders
//! with approval limits, partial receipts and moving-average cost, and work-order cost.

use crate::CmmsError;
use crate::domain::asset::NewAsset;
use crate::domain::event::EventKind;
use crate::domain::inventory::{
    Money, MovementKind, NewPart, NewPoLine, NewPurchaseOrder, NewStockLocation, NewVendor,
    NewVendorPart, NewWorkOrderCost, Part, PartAction, PartsRequest, PoStatus, PoTransitionInput,
    Quantity, Receipt, ReceiptLine, StockLevels, StockLocation, StockStatus,
};
use crate::domain::labor::NewLabor;
use crate::domain::org::OrgPatch;
use crate::domain::status::WorkOrderStatus as S;
use crate::domain::work_order::NewWorkOrder;
use crate::ids::WorkOrderId;
use crate::service::{LowStockQuery, MovementFilter, StockFilter, StockInput, TransferInput};
use crate::testkit::TestDb;
use crate::testkit::fixtures::{Fx, assert_field, assert_forbidden, assert_not_found};
use std::sync::Arc;

fn q(s: &str) -> Quantity {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn m(s: &str) -> Money {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

async fn part(fx: &Fx, number: &str, reorder_point: Option<&str>) -> Part {
    let levels = StockLevels {
        reorder_point: reorder_point.map(q),
        reorder_quantity: reorder_point.map(|_| q("10")),
        ..StockLevels::default()
    };
    let input = NewPart {
        part_number: number.into(),
        name: format!("Part {number}"),
        unit_cost: Some(m("2.50")),
        levels,
        ..NewPart::default()
    };
    fx.cmms.create_part(&fx.storekeeper.actor, input).await.expect("part")
}

async fn storeroom(fx: &Fx, code: &str) -> StockLocation {
    let input = NewStockLocation {
        site_id: Some(fx.site.id),
        parent_id: None,
        code: code.into(),
        name: format!("Store {code}"),
    };
    fx.cmms.create_stock_location(&fx.storekeeper.actor, input).await.expect("location")
}

async fn receive(fx: &Fx, p: &Part, l: &StockLocation, qty: &str, cost: Option<&str>) {
    let input = StockInput {
        part_id: p.id,
        location_id: l.id,
        quantity: q(qty),
        unit_cost: cost.map(m),
        reason: None,
    };
    fx.cmms.receive_stock(&fx.storekeeper.actor, input).await.expect("receive");
}

fn parts(action: PartAction, p: &Part, l: &StockLocation, qty: Option<&str>) -> PartsRequest {
    PartsRequest { action, part_id: p.id, location_id: l.id, quantity: qty.map(q) }
}

async fn stock_of(fx: &Fx, p: &Part, l: &StockLocation) -> crate::domain::inventory::Stock {
    fx.cmms.get_stock(&fx.viewer.actor, p.id, l.id).await.expect("stock")
}

/// The sum of a stock row's ledger equals the row.
async fn assert_ledger_sums(fx: &Fx, p: &Part, l: &StockLocation) {
    let mut cursor = None;
    let (mut on_hand, mut reserved) = (Quantity::ZERO, Quantity::ZERO);
    loop {
        let filter = MovementFilter {
            part: Some(p.id),
            location: Some(l.id),
            limit: Some(500),
            cursor,
            ..MovementFilter::default()
        };
        let page = fx.cmms.list_stock_movements(&fx.viewer.actor, filter).await.expect("ledger");
        for mv in &page.items {
            on_hand += mv.on_hand_delta;
            reserved += mv.reserved_delta;
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let s = stock_of(fx, p, l).await;
    assert_eq!((s.on_hand, s.reserved), (on_hand, reserved), "stock equals the sum of its ledger");
}

pub async fn inventory_ledger_reservations_and_transfers(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let p = part(&fx, "HOSE-20", None).await;
    let main = storeroom(&fx, "MAIN").await;
    let van = storeroom(&fx, "VAN1").await;
    receive(&fx, &p, &main, "10.5", Some("4")).await;
    let s = stock_of(&fx, &p, &main).await;
    assert_eq!((s.on_hand, s.reserved, s.available()), (q("10.5"), q("0"), q("10.5")));
    assert_eq!(s.avg_cost, m("4"));

    // A technician reserves for work assigned to them, not for other work.
    let wo = fx.wo("Replace hose", vec![fx.tech.user.id]).await;
    let other = fx.wo("Someone else's", vec![fx.tech2.user.id]).await;
    let r = c
        .change_work_order_parts(
            &fx.tech.actor,
            other.id,
            parts(PartAction::Reserve, &p, &main, Some("1")),
        )
        .await;
    assert_forbidden(r, "reserve on work not assigned");
    let line = c
        .change_work_order_parts(
            &fx.tech.actor,
            wo.id,
            parts(PartAction::Reserve, &p, &main, Some("6")),
        )
        .await
        .expect("reserve");
    assert_eq!(line.reserved, q("6"));
    let s = stock_of(&fx, &p, &main).await;
    assert_eq!((s.on_hand, s.reserved, s.available()), (q("10.5"), q("6"), q("4.5")));

    // A reservation cannot exceed what is available, and nothing is written.
    let before = fx.snapshot().await;
    let r = c
        .change_work_order_parts(
            &fx.manager.actor,
            other.id,
            parts(PartAction::Reserve, &p, &main, Some("5")),
        )
        .await;
    match r {
        Err(CmmsError::InsufficientStock { available, requested, .. }) => {
            assert_eq!((available.as_str(), requested.as_str()), ("4.5", "5"));
        }
        other => panic!("expected insufficient stock, got {other:?}"),
    }
    fx.assert_unchanged(before, "refused reservation").await;

    // Issuing consumes the reservation first: 8 = the 6 reserved + 2 of the 4.5 available.
    let line = c
        .change_work_order_parts(
            &fx.tech.actor,
            wo.id,
            parts(PartAction::Issue, &p, &main, Some("8")),
        )
        .await
        .expect("issue");
    assert_eq!((line.reserved, line.issued), (q("0"), q("8")));
    let s = stock_of(&fx, &p, &main).await;
    assert_eq!((s.on_hand, s.reserved, s.available()), (q("2.5"), q("0"), q("2.5")));
    // More than available: refused with both numbers, nothing written.
    let before = fx.snapshot().await;
    let r = c
        .change_work_order_parts(
            &fx.tech.actor,
            wo.id,
            parts(PartAction::Issue, &p, &main, Some("3")),
        )
        .await;
    assert!(matches!(r, Err(CmmsError::InsufficientStock { .. })), "{r:?}");
    fx.assert_unchanged(before, "refused issue").await;
    // Returning more than was issued is refused; returning some works.
    let r = c
        .change_work_order_parts(
            &fx.tech.actor,
            wo.id,
            parts(PartAction::Return, &p, &main, Some("9")),
        )
        .await;
    assert_field(r, "quantity");
    let line = c
        .change_work_order_parts(
            &fx.tech.actor,
            wo.id,
            parts(PartAction::Return, &p, &main, Some("1.5")),
        )
        .await
        .expect("return");
    assert_eq!((line.issued, line.returned, line.used()), (q("8"), q("1.5"), q("6.5")));

    // Every movement names the actor, quantity, unit cost and the work order it was for.
    let filter = MovementFilter { work_order: Some(wo.id), ..MovementFilter::default() };
    let moves = c.list_stock_movements(&fx.viewer.actor, filter).await.expect("moves").items;
    let kinds: Vec<MovementKind> = moves.iter().map(|mv| mv.kind).collect();
    assert_eq!(kinds, [MovementKind::Reserve, MovementKind::Issue, MovementKind::Return]);
    for mv in &moves {
        assert_eq!(mv.actor_id, Some(fx.tech.user.id));
        assert_eq!(mv.unit_cost, Some(m("4")));
        assert_eq!(mv.work_order_id, Some(wo.id));
    }

    // A transfer keeps the total across locations.
    let (out, inn) = c
        .transfer_stock(
            &fx.storekeeper.actor,
            TransferInput {
                part_id: p.id,
                from_location_id: main.id,
                to_location_id: van.id,
                quantity: q("3"),
                reason: None,
            },
        )
        .await
        .expect("transfer");
    assert_eq!(
        (out.kind, inn.kind, out.transfer_id),
        (MovementKind::TransferOut, MovementKind::TransferIn, inn.transfer_id)
    );
    let (a, b) = (stock_of(&fx, &p, &main).await, stock_of(&fx, &p, &van).await);
    assert_eq!((a.on_hand, b.on_hand, a.on_hand + b.on_hand), (q("1"), q("3"), q("4")));
    assert_eq!(b.avg_cost, m("4"), "the destination takes the source's cost");

    // A cycle count turns the difference into an adjustment; adjustments need a reason.
    let count = StockInput {
        part_id: p.id,
        location_id: van.id,
        quantity: q("2"),
        unit_cost: None,
        reason: None,
    };
    let adj = c.count_stock(&fx.storekeeper.actor, count).await.expect("count");
    assert_eq!(
        (adj.kind, adj.on_hand_delta, adj.reason.as_deref()),
        (MovementKind::Adjust, q("-1"), Some("cycle count"))
    );
    let bad = StockInput {
        part_id: p.id,
        location_id: van.id,
        quantity: q("1"),
        unit_cost: None,
        reason: None,
    };
    assert_field(c.adjust_stock(&fx.storekeeper.actor, bad).await, "reason");
    // A viewer reads stock but moves none.
    let viewer_move = StockInput {
        part_id: p.id,
        location_id: van.id,
        quantity: q("1"),
        unit_cost: None,
        reason: Some("x".into()),
    };
    assert_forbidden(c.adjust_stock(&fx.viewer.actor, viewer_move).await, "viewer adjusts");
    assert_ledger_sums(&fx, &p, &main).await;
    assert_ledger_sums(&fx, &p, &van).await;
    // An inactive storeroom takes nothing in.
    let old = storeroom(&fx, "OLD").await;
    let off =
        crate::domain::inventory::StockLocationPatch { active: Some(false), ..Default::default() };
    c.update_stock_location(&fx.storekeeper.actor, old.id, off, None).await.expect("deactivate");
    let into_old = StockInput {
        part_id: p.id,
        location_id: old.id,
        quantity: q("1"),
        unit_cost: None,
        reason: None,
    };
    assert_field(c.receive_stock(&fx.storekeeper.actor, into_old).await, "location_id");
    let r = c
        .change_work_order_parts(
            &fx.tech.actor,
            wo.id,
            parts(PartAction::Reserve, &p, &old, Some("1")),
        )
        .await;
    assert_field(r, "location_id");
    // Stock by status.
    let low = StockFilter { status: Some(StockStatus::In), ..StockFilter::default() };
    assert_eq!(c.list_stock(&fx.viewer.actor, low).await.expect("stock").items.len(), 2);
}

pub async fn inventory_low_stock_event_once_per_crossing(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let p = part(&fx, "FILTER-1", Some("5")).await;
    let main = storeroom(&fx, "MAIN").await;
    receive(&fx, &p, &main, "10", None).await;
    let wo = fx.wo("Filters", vec![fx.tech.user.id]).await;
    let issue = |n: &'static str| {
        let req = parts(PartAction::Issue, &p, &main, Some(n));
        let actor = fx.tech.actor.clone();
        let c = c.clone();
        let id = wo.id;
        async move { c.change_work_order_parts(&actor, id, req).await.expect("issue") }
    };
    let lows = || async {
        let events = fx.db.store().events_since(fx.org.id, 0, 10_000).await.expect("events");
        events.iter().filter(|e| e.draft.kind == EventKind::LowStock).count()
    };
    issue("4").await; // 6 left: above the reorder point
    assert_eq!(lows().await, 0);
    issue("1").await; // 5: crosses
    assert_eq!(lows().await, 1);
    issue("1").await; // 4: still low, no second event
    assert_eq!(lows().await, 1);
    fx.tick();
    let list = c.low_stock(&fx.viewer.actor, LowStockQuery::default()).await.expect("low stock");
    let item = list.items.first().expect("one low item");
    assert_eq!((item.status, item.available, item.shortage), (StockStatus::Low, q("4"), q("11")));
    assert_eq!(item.consumed, q("6"));
    assert_eq!(item.days_until_stockout, Some(20), "4 left at 6 per 30 days");
    receive(&fx, &p, &main, "10", None).await; // 14: back above
    assert!(
        c.low_stock(&fx.viewer.actor, LowStockQuery::default())
            .await
            .expect("low")
            .items
            .is_empty()
    );
    issue("9").await; // 5: crosses again
    assert_eq!(lows().await, 2);
    // Reservations lower what is available too.
    receive(&fx, &p, &main, "5", None).await; // 10
    c.change_work_order_parts(
        &fx.tech.actor,
        wo.id,
        parts(PartAction::Reserve, &p, &main, Some("6")),
    )
    .await
    .expect("reserve");
    assert_eq!(lows().await, 3);
}

pub async fn inventory_concurrent_issues_never_oversell(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let p = part(&fx, "BOLT-M8", None).await;
    let main = storeroom(&fx, "MAIN").await;
    receive(&fx, &p, &main, "20", None).await;
    let wo = fx.wo("Bolting", vec![fx.tech.user.id]).await;
    let other = fx.wo("More bolting", vec![fx.tech.user.id]).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let c = fx.cmms.clone();
        let actor = fx.tech.actor.clone();
        // Half on one work order (its line contends too), half on another.
        let id: WorkOrderId = if i % 2 == 0 { wo.id } else { other.id };
        let req = parts(PartAction::Issue, &p, &main, Some("1"));
        tasks.push(tokio::spawn(async move { c.change_work_order_parts(&actor, id, req).await }));
    }
    let (mut ok, mut short) = (0, 0);
    for t in tasks {
        match t.await.expect("task") {
            Ok(_) => ok += 1,
            Err(CmmsError::InsufficientStock { .. }) => short += 1,
            Err(e) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!((ok, short), (20, 30));
    let s = stock_of(&fx, &p, &main).await;
    assert_eq!((s.on_hand, s.reserved), (q("0"), q("0")));
    assert_ledger_sums(&fx, &p, &main).await;
    let lines = fx.cmms.work_order_parts(&fx.viewer.actor, wo.id).await.expect("lines");
    let lines2 = fx.cmms.work_order_parts(&fx.viewer.actor, other.id).await.expect("lines");
    assert_eq!(lines[0].issued + lines2[0].issued, q("20"));
}

pub async fn inventory_random_movements_keep_the_ledger(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let p = part(&fx, "RND-1", Some("3")).await;
    let a = storeroom(&fx, "A").await;
    let b = storeroom(&fx, "B").await;
    let wo = fx.wo("Random", vec![fx.tech.user.id]).await;
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    for _ in 0..150 {
        let loc = if next(2) == 0 { &a } else { &b };
        let qty = Quantity::from_thousandths(1 + next(5_000) as i64);
        let sk = &fx.storekeeper.actor;
        let result = match next(7) {
            0 | 1 => c
                .receive_stock(
                    sk,
                    StockInput {
                        part_id: p.id,
                        location_id: loc.id,
                        quantity: qty,
                        unit_cost: Some(m("1.5")),
                        reason: None,
                    },
                )
                .await
                .map(drop),
            2 => c
                .adjust_stock(
                    sk,
                    StockInput {
                        part_id: p.id,
                        location_id: loc.id,
                        quantity: -qty,
                        unit_cost: None,
                        reason: Some("shrinkage".into()),
                    },
                )
                .await
                .map(drop),
            3 => c
                .change_work_order_parts(
                    sk,
                    wo.id,
                    parts(PartAction::Reserve, &p, loc, None).with(qty),
                )
                .await
                .map(drop),
            4 => c
                .change_work_order_parts(
                    sk,
                    wo.id,
                    parts(PartAction::Issue, &p, loc, None).with(qty),
                )
                .await
                .map(drop),
            5 => c
                .change_work_order_parts(
                    sk,
                    wo.id,
                    parts(PartAction::Return, &p, loc, None).with(qty),
                )
                .await
                .map(drop),
            _ => {
                let to = if loc.id == a.id { &b } else { &a };
                c.transfer_stock(
                    sk,
                    TransferInput {
                        part_id: p.id,
                        from_location_id: loc.id,
                        to_location_id: to.id,
                        quantity: qty,
                        reason: None,
                    },
                )
                .await
                .map(drop)
            }
        };
        match result {
            Ok(()) | Err(CmmsError::InsufficientStock { .. }) | Err(CmmsError::Validation(_)) => {}
            Err(e) => panic!("unexpected error: {e}"),
        }
        for l in [&a, &b] {
            let s = stock_of(&fx, &p, l).await;
            assert!(
                !s.on_hand.is_negative() && !s.reserved.is_negative() && s.reserved <= s.on_hand,
                "{s:?}"
            );
        }
    }
    assert_ledger_sums(&fx, &p, &a).await;
    assert_ledger_sums(&fx, &p, &b).await;
}

trait WithQty {
    fn with(self, q: Quantity) -> Self;
}

impl WithQty for PartsRequest {
    fn with(mut self, q: Quantity) -> Self {
        self.quantity = Some(q);
        self
    }
}

pub async fn inventory_work_that_ends_releases_its_reservations(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let p = part(&fx, "GASKET", None).await;
    let main = storeroom(&fx, "MAIN").await;
    receive(&fx, &p, &main, "10", None).await;
    let wo = fx.wo_in(S::InProgress).await;
    // Planning holds stock: as much of the plan as is available.
    let line = c
        .change_work_order_parts(
            &fx.tech.actor,
            wo.id,
            parts(PartAction::Plan, &p, &main, Some("4")),
        )
        .await
        .expect("plan");
    assert_eq!((line.planned, line.reserved), (q("4"), q("4")));
    let other = fx.wo_in(S::InProgress).await;
    let big = c
        .change_work_order_parts(
            &fx.tech.actor,
            other.id,
            parts(PartAction::Plan, &p, &main, Some("20")),
        )
        .await
        .expect("plan more than there is");
    assert_eq!((big.planned, big.reserved), (q("20"), q("6")));
    // Planning less gives back what is held beyond the plan.
    let small = c
        .change_work_order_parts(
            &fx.tech.actor,
            other.id,
            parts(PartAction::Plan, &p, &main, Some("2")),
        )
        .await
        .expect("plan less");
    assert_eq!(small.reserved, q("2"));
    assert_eq!(stock_of(&fx, &p, &main).await.reserved, q("6"), "4 + 2 held");
    fx.go(&fx.manager.actor, other.id, S::Cancelled, Some("merged")).await;
    assert_eq!(stock_of(&fx, &p, &main).await.reserved, q("4"), "the cancelled work let go");
    c.change_work_order_parts(
        &fx.tech.actor,
        wo.id,
        parts(PartAction::Issue, &p, &main, Some("1")),
    )
    .await
    .expect("issue");
    assert_eq!(stock_of(&fx, &p, &main).await.reserved, q("3"));
    fx.go(&fx.tech.actor, wo.id, S::Completed, None).await;
    let s = stock_of(&fx, &p, &main).await;
    assert_eq!((s.on_hand, s.reserved), (q("9"), q("0")));
    let line = &c.work_order_parts(&fx.viewer.actor, wo.id).await.expect("lines")[0];
    assert_eq!((line.planned, line.reserved, line.issued), (q("4"), q("0"), q("1")));
    // Completed work takes no new parts, but unused ones still come back.
    let r = c
        .change_work_order_parts(
            &fx.tech.actor,
            wo.id,
            parts(PartAction::Issue, &p, &main, Some("1")),
        )
        .await;
    assert_field(r, "action");
    c.change_work_order_parts(
        &fx.tech.actor,
        wo.id,
        parts(PartAction::Return, &p, &main, Some("1")),
    )
    .await
    .expect("return");
    // Work with parts is cancelled, never deleted.
    let open = fx.wo("Open", vec![]).await;
    c.change_work_order_parts(
        &fx.manager.actor,
        open.id,
        parts(PartAction::Reserve, &p, &main, Some("2")),
    )
    .await
    .expect("reserve");
    assert_field(c.delete_work_order(&fx.manager.actor, open.id, None).await, "parts");
    fx.go(&fx.manager.actor, open.id, S::Cancelled, Some("not needed")).await;
    assert_eq!(stock_of(&fx, &p, &main).await.reserved, q("0"));
    assert_ledger_sums(&fx, &p, &main).await;
}

pub async fn purchase_orders_approve_receive_and_cost(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let p = part(&fx, "MOTOR-5KW", Some("1")).await;
    let main = storeroom(&fx, "MAIN").await;
    let vendor = c
        .create_vendor(
            &fx.storekeeper.actor,
            NewVendor { name: "Acme Motors".into(), ..NewVendor::default() },
        )
        .await
        .expect("vendor");
    c.set_vendor_part(
        &fx.storekeeper.actor,
        vendor.id,
        NewVendorPart {
            part_id: p.id,
            vendor_part_number: Some("AM-5".into()),
            price: Some(m("400")),
            preferred: true,
        },
    )
    .await
    .expect("vendor part");
    let line =
        NewPoLine { part_id: p.id, location_id: main.id, quantity: q("4"), unit_price: None };
    let po = c
        .create_purchase_order(
            &fx.storekeeper.actor,
            NewPurchaseOrder {
                vendor_id: vendor.id,
                site_id: fx.site.id,
                notes: None,
                lines: vec![line],
            },
        )
        .await
        .expect("po");
    assert_eq!((po.order.status, po.order.total), (PoStatus::Draft, m("1600")));
    assert!(po.order.number.starts_with("PO-"), "{}", po.order.number);
    let sk = &fx.storekeeper.actor;
    let go = |actor, to, reason: Option<&str>| {
        let input = PoTransitionInput { reason: reason.map(Into::into), expected_version: None };
        c.transition_purchase_order(actor, po.order.id, to, input)
    };
    // Receiving is not a status change one can ask for; nor is skipping approval.
    assert!(matches!(
        go(sk, PoStatus::Received, None).await,
        Err(CmmsError::InvalidTransition { .. })
    ));
    assert!(matches!(
        go(sk, PoStatus::Ordered, None).await,
        Err(CmmsError::InvalidTransition { .. })
    ));
    go(sk, PoStatus::Submitted, None).await.expect("submit");
    // The storekeeper's approval limit (1000 by default) is below 1600; the manager's is not.
    assert_forbidden(go(sk, PoStatus::Approved, None).await, "approve above the limit");
    // Technicians do not even see purchase orders.
    assert_not_found(go(&fx.tech.actor, PoStatus::Approved, None).await, "purchase_order");
    let approved = go(&fx.manager.actor, PoStatus::Approved, None).await.expect("approve");
    assert_eq!(approved.order.approved_by, Some(fx.manager.user.id));
    go(sk, PoStatus::Ordered, None).await.expect("order");
    let line_id = approved.lines[0].id;
    // Over-receipt is refused unless the organization allows it.
    let over = Receipt {
        lines: vec![ReceiptLine { line_id, quantity: q("5"), unit_cost: None }],
        expected_version: None,
    };
    assert_field(c.receive_purchase_order(sk, po.order.id, over).await, "lines[0].quantity");
    // An opening balance of 2 at 300, then 1 received at the line's price (400).
    receive(&fx, &p, &main, "2", Some("300")).await;
    let part1 = Receipt {
        lines: vec![ReceiptLine { line_id, quantity: q("1"), unit_cost: None }],
        expected_version: None,
    };
    let after = c.receive_purchase_order(sk, po.order.id, part1).await.expect("partial receipt");
    assert_eq!(
        (after.order.status, after.lines[0].received),
        (PoStatus::PartiallyReceived, q("1"))
    );
    let s = stock_of(&fx, &p, &main).await;
    assert_eq!((s.on_hand, s.avg_cost.round(4)), (q("3"), m("333.3333")));
    let rest = Receipt {
        lines: vec![ReceiptLine { line_id, quantity: q("3"), unit_cost: Some(m("410")) }],
        expected_version: None,
    };
    let done = c.receive_purchase_order(sk, po.order.id, rest).await.expect("receipt");
    assert_eq!(done.order.status, PoStatus::Received);
    let s = stock_of(&fx, &p, &main).await;
    // (3 × 333.333… + 3 × 410) / 6 = 371.666…
    assert_eq!((s.on_hand, s.avg_cost.round(2)), (q("6"), m("371.67")));
    let moves = c
        .list_stock_movements(
            &fx.viewer.actor,
            MovementFilter { purchase_order: Some(po.order.id), ..MovementFilter::default() },
        )
        .await
        .expect("receipts");
    assert_eq!(moves.items.len(), 2);
    go(sk, PoStatus::Closed, None).await.expect("close");
    assert!(matches!(
        go(sk, PoStatus::Cancelled, Some("late")).await,
        Err(CmmsError::InvalidTransition { .. })
    ));

    // Suggested orders group low stock by preferred vendor.
    c.adjust_stock(
        sk,
        StockInput {
            part_id: p.id,
            location_id: main.id,
            quantity: q("-5.5"),
            unit_cost: None,
            reason: Some("damaged".into()),
        },
    )
    .await
    .expect("adjust");
    let suggested = c.suggest_purchase_orders(sk, None, true).await.expect("suggest");
    assert_eq!(suggested.len(), 1);
    assert_eq!(
        (suggested[0].vendor_id, suggested[0].lines[0].quantity),
        (Some(vendor.id), q("10"))
    );
    let draft =
        c.get_purchase_order(sk, suggested[0].created.expect("created")).await.expect("draft");
    assert_eq!((draft.order.status, draft.order.total), (PoStatus::Draft, m("4000")));
}

pub async fn work_order_cost_rolls_up_labor_parts_and_other(db: Arc<dyn TestDb>) {
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let patch = OrgPatch {
        currency: Some("EUR".into()),
        labor_rate: Some(Some(m("60"))),
        ..OrgPatch::default()
    };
    c.update_org(&fx.owner.actor, patch, None).await.expect("rates");
    let p = part(&fx, "BELT", None).await;
    let main = storeroom(&fx, "MAIN").await;
    receive(&fx, &p, &main, "5", Some("12.5")).await;
    let asset = c
        .create_asset(
            &fx.manager.actor,
            NewAsset {
                name: "Conveyor".into(),
                code: "CV-1".into(),
                site_id: Some(fx.site.id),
                ..NewAsset::default()
            },
        )
        .await
        .expect("asset");
    let input = NewWorkOrder {
        title: "Belt change".into(),
        asset_id: Some(asset.id),
        assignees: vec![fx.tech.user.id],
        ..NewWorkOrder::default()
    };
    let wo = c.create_work_order(&fx.manager.actor, input).await.expect("work order");
    fx.go(&fx.tech.actor, wo.id, S::InProgress, None).await;
    let labor = NewLabor { minutes: Some(90), ..NewLabor::default() };
    c.log_labor(&fx.tech.actor, wo.id, labor).await.expect("labor");
    c.change_work_order_parts(
        &fx.tech.actor,
        wo.id,
        parts(PartAction::Issue, &p, &main, Some("3")),
    )
    .await
    .expect("issue");
    c.change_work_order_parts(
        &fx.tech.actor,
        wo.id,
        parts(PartAction::Return, &p, &main, Some("1")),
    )
    .await
    .expect("return");
    c.add_work_order_cost(
        &fx.tech.actor,
        wo.id,
        NewWorkOrderCost { description: "Crane hire".into(), amount: m("200") },
    )
    .await
    .expect("other cost");
    let cost = c.work_order_cost(&fx.viewer.actor, wo.id).await.expect("cost");
    assert_eq!(cost.currency, "EUR");
    assert_eq!((cost.labor_hours, cost.labor), (q("1.5"), m("90")));
    assert_eq!(
        (cost.parts_issued, cost.parts_returned, cost.other),
        (m("37.5"), m("12.5"), m("200"))
    );
    assert_eq!(cost.total, m("315"));
    // The asset's cost sums its work orders (one more, with only an other cost).
    let input = NewWorkOrder {
        title: "Inspection".into(),
        asset_id: Some(asset.id),
        ..NewWorkOrder::default()
    };
    let second = c.create_work_order(&fx.manager.actor, input).await.expect("second");
    c.add_work_order_cost(
        &fx.manager.actor,
        second.id,
        NewWorkOrderCost { description: "Permit".into(), amount: m("35") },
    )
    .await
    .expect("permit");
    let total = c.asset_cost(&fx.viewer.actor, asset.id).await.expect("asset cost");
    assert_eq!((total.work_orders, total.total), (2, m("350")));
}

pub async fn pm_plans_plan_their_parts_on_generated_work(db: Arc<dyn TestDb>) {
    use crate::domain::inventory::PlannedPart;
    use crate::domain::pm::NewPmPlan;
    use crate::service::GenerateRequest;
    let fx = Fx::new(db).await;
    let c = &fx.cmms;
    let p = part(&fx, "FILTER-AIR", None).await;
    let main = storeroom(&fx, "MAIN").await;
    receive(&fx, &p, &main, "3", None).await;
    let mut assets = Vec::new();
    for code in ["AHU-1", "AHU-2"] {
        let input = NewAsset {
            name: code.into(),
            code: code.into(),
            site_id: Some(fx.site.id),
            ..NewAsset::default()
        };
        assets.push(c.create_asset(&fx.manager.actor, input).await.expect("asset").id);
    }
    let schedule = serde_json::json!({
        "triggers": [{ "kind": "calendar", "every": 1, "unit": "weeks", "time_of_day": "00:00:00" }],
        "starts_on": fx.cmms.now().date_naive().to_string(),
    });
    let needs = vec![PlannedPart { part_id: p.id, location_id: main.id, quantity: q("2") }];
    let plan = NewPmPlan {
        site_id: fx.site.id,
        title: "Change air filters".into(),
        description: None,
        wo_type: None,
        priority: None,
        estimated_hours: None,
        checklist: Vec::new(),
        parts: needs,
        assignees: Vec::new(),
        team_id: None,
        asset_ids: assets,
        category: None,
        schedule: serde_json::from_value(schedule).expect("schedule"),
        active: None,
    };
    // A plan naming a part that does not exist is refused.
    let mut bad = plan.clone();
    bad.parts[0].part_id = crate::ids::PartId::new();
    assert_field(c.create_pm_plan(&fx.manager.actor, bad).await, "parts[0].part_id");
    c.create_pm_plan(&fx.manager.actor, plan).await.expect("plan");
    let report =
        c.generate_due_pm(&fx.manager.actor, GenerateRequest::default()).await.expect("generate");
    assert_eq!(report.created.len(), 2);
    // Each work order plans two; the first holds both, the second the one that is left.
    let mut held = Vec::new();
    for work in &report.created {
        let lines = c.work_order_parts(&fx.viewer.actor, work.work_order_id).await.expect("lines");
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].planned, q("2"));
        held.push(lines[0].reserved);
    }
    held.sort();
    assert_eq!(held, [q("1"), q("2")]);
    let s = stock_of(&fx, &p, &main).await;
    assert_eq!((s.on_hand, s.reserved), (q("3"), q("3")));
    assert_ledger_sums(&fx, &p, &main).await;
}
