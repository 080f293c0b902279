//! The inventory bench's data and raw baselines (issue 14). [`seed`] makes one organization
//! with `parts` parts stocked at each of `locations` stock locations (100,000 × 10 = 1M stock
//! rows in the bench) through `Store::commit`, in changesets of thousands of inserts; 1% of the
//! rows are at or below their reorder point, each with two recent issues in the ledger, and the
//! first [`BENCH_PARTS`] parts hold plenty at the first location for the issue bench to take
//! from. [`sqlite`] and [`pg`] are what a hand-written application would run for the same two
//! jobs: issue a part to a work order (one transaction: check the work order's status, take the
//! stock with a non-negative guard, write the movement, add to the line, append audit and
//! events) and the first page of a location's low-stock list (one query with the store's
//! predicate, the part and the consumption of the last 30 days joined in).

use crate::fixture::{Org, make_org};
use chrono::{DateTime, Utc};
use cmms_core::domain::audit::AuditDraft;
use cmms_core::domain::event::{EventAudience, EventDraft, EventKind};
use cmms_core::domain::inventory::{
    MovementKind, NewPart, NewStockLocation, Part, Quantity, Stock, StockLevels, StockLocation,
    StockMovement, WorkOrderPart,
};
use cmms_core::domain::work_order::WorkOrder;
use cmms_core::domain::{EntityKind, EntityRef};
use cmms_core::rbac::Permission;
use cmms_core::{Changeset, OrgId, PartId, StockId, StockMovementId, Store, UserId, Write};
use std::sync::Arc;
use uuid::Uuid;

/// Parts with plenty of stock at the first location (the issue bench takes one unit a time).
pub const BENCH_PARTS: usize = 2;
/// Parts per commit while seeding (each with its stock rows: 22,000 rows at 10 locations).
const PARTS_PER_COMMIT: usize = 2_000;
/// The part's levels (units): low at 10 or less.
const REORDER_POINT: i64 = 10;

/// Whether the stock of part `p` at location `l` is seeded low: one row in a hundred, the
/// same number at every location.
pub fn is_low(p: usize, l: usize) -> bool {
    (p + 7 * l) % 100 == 50
}

/// What the seed made.
#[derive(Debug, Clone)]
pub struct Inventory {
    /// The organization (owner and technicians).
    pub org: Org,
    /// The stock locations (storerooms, spread over the sites).
    pub locations: Vec<StockLocation>,
    /// Every part id, in part-number order.
    pub parts: Vec<PartId>,
}

/// Seeds `parts` × `locations` stock rows in a migrated, empty store (see the module doc).
pub async fn seed(store: Arc<dyn Store>, parts: usize, locations: usize) -> Inventory {
    let org = make_org(store.clone(), "Inventory Plant", 5).await;
    let now = cmms_core::clock::truncate_micros(Utc::now());
    let mut cs = Changeset::new();
    let mut locs = Vec::new();
    for l in 0..locations {
        let site = org.sites[l % org.sites.len()];
        let input = NewStockLocation {
            site_id: Some(site),
            parent_id: None,
            code: format!("STORE-{l}"),
            name: format!("Storeroom {l}"),
        };
        let loc = StockLocation::create(org.id, site, None, input, now).expect("location");
        cs.push(Write::insert(loc.clone()));
        locs.push(loc);
    }
    store.commit(org.id, cs).await.expect("locations");
    let levels = StockLevels {
        min: Some(Quantity::units(5)),
        max: Some(Quantity::units(100)),
        reorder_point: Some(Quantity::units(REORDER_POINT)),
        reorder_quantity: Some(Quantity::units(50)),
    };
    let cost = "12.50".parse().expect("money");
    let actor = org.owner_id();
    let mut ids = Vec::with_capacity(parts);
    let mut start = 0;
    while start < parts {
        let end = (start + PARTS_PER_COMMIT).min(parts);
        let mut cs = Changeset::new();
        for p in start..end {
            let input = NewPart {
                part_number: format!("P-{p:06}"),
                name: format!("Bearing 62{:02}-2RS, size {}", p % 40, p % 7),
                unit: Some("each".into()),
                category: Some(["bearings", "seals", "filters", "belts"][p % 4].into()),
                unit_cost: Some(cost),
                levels,
                ..NewPart::default()
            };
            let part = Part::create(org.id, input, now).expect("part");
            ids.push(part.id);
            for (l, loc) in locs.iter().enumerate() {
                let units = if p < BENCH_PARTS && l == 0 {
                    1_000_000
                } else if is_low(p, l) {
                    8
                } else {
                    60
                };
                let stock = Stock {
                    id: StockId::new(),
                    org_id: org.id,
                    part_id: part.id,
                    location_id: loc.id,
                    on_hand: Quantity::units(units),
                    reserved: Quantity::ZERO,
                    avg_cost: cost,
                    levels,
                    own_levels: false,
                    updated_at: now,
                    version: 1,
                };
                if is_low(p, l) {
                    // Two issues in the last 30 days: the list's consumption has work to do.
                    for days in [3, 12] {
                        cs.push(Write::insert(StockMovement {
                            id: StockMovementId::new(),
                            org_id: org.id,
                            part_id: part.id,
                            location_id: loc.id,
                            kind: MovementKind::Issue,
                            quantity: Quantity::units(1),
                            on_hand_delta: Quantity::units(-1),
                            reserved_delta: Quantity::ZERO,
                            unit_cost: Some(cost),
                            work_order_id: None,
                            purchase_order_id: None,
                            transfer_id: None,
                            reason: None,
                            actor_id: Some(actor),
                            at: now - chrono::TimeDelta::days(days),
                        }));
                    }
                }
                cs.push(Write::insert(stock));
            }
            cs.push(Write::insert(part));
        }
        store.commit(org.id, cs).await.expect("parts and stock");
        start = end;
    }
    Inventory { org, locations: locs, parts: ids }
}

/// The store's low-stock SELECT for one location (`Select::new(&STOCK).condition(LOW_STOCK)
/// .eq("location_id", ..)` with the first page's limit), as `cmms_core::store::record::sql`
/// writes it, for EXPLAIN. `?n` placeholders; PostgreSQL takes them as `$n`.
pub const STORE_LOW_STOCK_SQL: &str = "SELECT t.org_id, t.id, t.part_id, t.location_id, t.on_hand, \
    t.reserved, t.avg_cost, t.min_qty, t.max_qty, t.reorder_point, t.reorder_qty, t.own_levels, \
    t.updated_at, t.version FROM stock t WHERE t.org_id = ?1 AND (t.on_hand - t.reserved <= \
    COALESCE(t.reorder_point, t.min_qty)) AND t.location_id = ?2 ORDER BY t.id ASC LIMIT ?3";

/// The store's read of the stock row an issue decides on (`stock_row`: `find` with part and
/// location, limit 1), for EXPLAIN. `?n` placeholders.
pub const STORE_STOCK_ROW_SQL: &str = "SELECT t.org_id, t.id, t.part_id, t.location_id, \
    t.on_hand, t.reserved, t.avg_cost, t.min_qty, t.max_qty, t.reorder_point, t.reorder_qty, \
    t.own_levels, t.updated_at, t.version FROM stock t WHERE t.org_id = ?1 AND t.part_id = ?2 \
    AND t.location_id = ?3 ORDER BY t.id ASC LIMIT ?4";

/// The store's read of one low-stock row's recent movements (`consumed_since`:
/// `Select::new(StockMovement::TABLE).eq("part_id", ..).eq("location_id", ..).cmp("at", Ge, ..)`),
/// one per row of the page, for EXPLAIN. `?n` placeholders.
pub const STORE_CONSUMED_SQL: &str = "SELECT t.org_id, t.id, t.part_id, t.location_id, t.kind, \
    t.quantity, t.on_hand_delta, t.reserved_delta, t.unit_cost, t.work_order_id, \
    t.purchase_order_id, t.transfer_id, t.reason, t.actor_id, t.at FROM stock_movements t \
    WHERE t.org_id = ?1 AND t.part_id = ?2 AND t.location_id = ?3 AND t.at >= ?4 \
    ORDER BY t.id ASC";

/// The raw low-stock page: the store's predicate, the part joined in, and the issues minus
/// returns since `?3` per row, 50 rows in id order. `?n` placeholders. `hint` goes after the
/// movements' table name: SQLite without statistics (the store never runs `ANALYZE`) reads a
/// part's movements through `stock_movements_location`, every movement at the location, so
/// the SQLite baseline names `stock_movements_part`, as a hand-written app that read its plan
/// would.
pub fn raw_low_stock_sql(hint: &str) -> String {
    format!(
        "SELECT s.id, s.part_id, s.on_hand, s.reserved, s.min_qty, s.max_qty, s.reorder_point, \
         s.reorder_qty, p.part_number, p.name, p.unit, \
         (SELECT CAST(COALESCE(SUM(CASE m.kind WHEN 'issue' THEN m.quantity WHEN 'return' \
         THEN -m.quantity ELSE 0 END), 0) AS BIGINT) FROM stock_movements m{hint} \
         WHERE m.org_id = s.org_id AND m.part_id = s.part_id AND m.location_id = s.location_id \
         AND m.at >= ?3) AS consumed \
         FROM stock s JOIN parts p ON p.org_id = s.org_id AND p.id = s.part_id \
         WHERE s.org_id = ?1 AND s.location_id = ?2 \
         AND s.on_hand - s.reserved <= COALESCE(s.reorder_point, s.min_qty) \
         ORDER BY s.id LIMIT 50"
    )
}

/// The SQLite baseline's hint (see [`raw_low_stock_sql`]).
pub const SQLITE_HINT: &str = " INDEXED BY stock_movements_part";

/// A parameter of a statement to EXPLAIN.
#[derive(Debug, Clone, Copy)]
pub enum PlanParam {
    /// A uuid.
    Uuid(Uuid),
    /// A bigint (a limit).
    Int(i64),
    /// A timestamp.
    Time(DateTime<Utc>),
}

/// `?n` → `$n` (the statements above for PostgreSQL).
pub fn dollar(sql: &str) -> String {
    sql.replace('?', "$")
}

/// One line of the raw low-stock page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowRow {
    /// The stock row.
    pub stock_id: Uuid,
    /// The part's number.
    pub part_number: String,
    /// Available (thousandths).
    pub available: i64,
    /// Issued minus returned in the window (thousandths).
    pub consumed: i64,
}

/// What the raw issue needs to know besides the request: the work order (for its events'
/// audience) and who does it.
#[derive(Debug, Clone)]
pub struct IssueTarget {
    /// The work order (in progress).
    pub wo: WorkOrder,
    /// The part.
    pub part: PartId,
    /// The location.
    pub location: StockLocation,
    /// Who issues.
    pub actor: UserId,
}

/// The audit entry and events of an issue, built from what the statements returned: the
/// line before and after, the movement, and the stock row's id; plus the low-stock event when
/// available stock went across `threshold`.
fn trail(
    t: &IssueTarget,
    before: &WorkOrderPart,
    after: &WorkOrderPart,
    movement: &StockMovement,
    stock_id: Uuid,
    crossed: Option<Quantity>,
) -> (Vec<AuditDraft>, Vec<EventDraft>) {
    let at = movement.at;
    let actor = Some(t.actor);
    let line = serde_json::to_value(after).expect("json");
    let audit = vec![AuditDraft {
        at,
        actor_id: actor,
        action: "work_order.parts.issue".into(),
        entity: EntityRef::new(EntityKind::WorkOrderPart, after.id),
        before: (before.version > 0).then(|| serde_json::to_value(before).expect("json")),
        after: Some(line.clone()),
        request_id: None,
    }];
    let inventory = EventAudience {
        permission: Some(Permission::InventoryRead),
        site_id: Some(t.location.site_id),
        ..EventAudience::default()
    };
    let stock = EntityRef::new(EntityKind::Stock, stock_id);
    let mut events = vec![EventDraft {
        kind: EventKind::StockMoved,
        entity: stock,
        actor_id: actor,
        audience: inventory.clone(),
        payload: serde_json::to_value(movement).expect("json"),
        at,
    }];
    if let Some(threshold) = crossed {
        events.push(EventDraft {
            kind: EventKind::LowStock,
            entity: stock,
            actor_id: actor,
            audience: inventory,
            payload: serde_json::json!({
                "part_id": t.part, "location_id": t.location.id,
                "location_code": t.location.code, "reorder_point": threshold,
            }),
            at,
        });
    }
    events.push(EventDraft {
        kind: EventKind::WorkOrderPartsChanged,
        entity: EntityRef::new(EntityKind::WorkOrder, t.wo.id),
        actor_id: actor,
        audience: crate::fixture::audience(&t.wo),
        payload: serde_json::json!({
            "work_order_id": t.wo.id, "number": t.wo.number, "action": "issue", "line": line,
        }),
        at,
    });
    (audit, events)
}

/// The movement of an issue of `quantity` at `unit_cost` (as the stock row's average).
fn movement(
    org: OrgId,
    t: &IssueTarget,
    quantity: Quantity,
    unit_cost: &str,
    at: DateTime<Utc>,
) -> StockMovement {
    StockMovement {
        id: StockMovementId::new(),
        org_id: org,
        part_id: t.part,
        location_id: t.location.id,
        kind: MovementKind::Issue,
        quantity,
        on_hand_delta: -quantity,
        reserved_delta: Quantity::ZERO,
        unit_cost: Some(unit_cost.parse().expect("average cost")),
        work_order_id: Some(t.wo.id),
        purchase_order_id: None,
        transfer_id: None,
        reason: None,
        actor_id: Some(t.actor),
        at,
    }
}

/// The line as the upsert returned it, and as it was before (`issued - quantity`).
#[allow(clippy::too_many_arguments)]
fn lines(
    org: OrgId,
    t: &IssueTarget,
    id: Uuid,
    planned: i64,
    reserved: i64,
    issued: i64,
    returned: i64,
    created_at: DateTime<Utc>,
    at: DateTime<Utc>,
    version: i64,
    quantity: Quantity,
) -> (WorkOrderPart, WorkOrderPart) {
    let after = WorkOrderPart {
        id: id.into(),
        org_id: org,
        work_order_id: t.wo.id,
        part_id: t.part,
        location_id: t.location.id,
        planned: Quantity::from_thousandths(planned),
        reserved: Quantity::from_thousandths(reserved),
        issued: Quantity::from_thousandths(issued),
        returned: Quantity::from_thousandths(returned),
        created_at,
        updated_at: at,
        version,
    };
    let before =
        WorkOrderPart { issued: after.issued - quantity, version: version - 1, ..after.clone() };
    (before, after)
}

/// Whether available stock went from above `threshold` to at or below it.
fn crossed(threshold: Option<i64>, available_after: i64, quantity: Quantity) -> Option<Quantity> {
    let t = threshold?;
    let before = available_after + quantity.thousandths();
    (before > t && available_after <= t).then(|| Quantity::from_thousandths(t))
}

/// The raw SQLite baseline (rusqlite on the calling thread, `BEGIN IMMEDIATE`).
pub mod sqlite {
    use super::{IssueTarget, LowRow, crossed, lines, movement, trail};
    use crate::sqlite_raw::{append_audit, append_events};
    use chrono::{DateTime, Utc};
    use cmms_core::domain::inventory::wo_parts::check_status;
    use cmms_core::domain::inventory::{PartAction, Quantity, WorkOrderPart};
    use cmms_core::domain::status::WorkOrderStatus;
    use rusqlite::{Connection, TransactionBehavior, params};
    use uuid::Uuid;

    /// Issues `quantity` of the target's part to its work order in one transaction.
    pub fn issue(c: &mut Connection, t: &IssueTarget, quantity: Quantity) -> WorkOrderPart {
        let org = t.wo.org_id;
        let at = cmms_core::clock::truncate_micros(Utc::now());
        let micros = at.timestamp_micros();
        let q = quantity.thousandths();
        let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).expect("begin");
        let status: String = tx
            .prepare_cached("SELECT status FROM work_orders WHERE org_id = ?1 AND id = ?2")
            .expect("prepare")
            .query_row(params![org.0, t.wo.id.0], |r| r.get(0))
            .expect("work order");
        let status: WorkOrderStatus = status.parse().expect("status");
        check_status(PartAction::Issue, status).expect("open for issues");
        let (stock_id, on_hand, reserved, avg_cost, low_point): (
            Uuid,
            i64,
            i64,
            String,
            Option<i64>,
        ) = tx
            .prepare_cached(
                "UPDATE stock SET on_hand = on_hand - ?4, updated_at = ?5, version = version + 1 \
                 WHERE org_id = ?1 AND part_id = ?2 AND location_id = ?3 \
                 AND on_hand - reserved >= ?4 \
                 RETURNING id, on_hand, reserved, avg_cost, COALESCE(reorder_point, min_qty)",
            )
            .expect("prepare")
            .query_row(params![org.0, t.part.0, t.location.id.0, q, micros], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .expect("enough stock");
        let m = movement(org, t, quantity, &avg_cost, at);
        tx.prepare_cached(
            "INSERT INTO stock_movements (org_id, id, part_id, location_id, kind, quantity, \
             on_hand_delta, reserved_delta, unit_cost, work_order_id, purchase_order_id, \
             transfer_id, reason, actor_id, at) \
             VALUES (?1, ?2, ?3, ?4, 'issue', ?5, ?6, 0, ?7, ?8, NULL, NULL, NULL, ?9, ?10)",
        )
        .expect("prepare")
        .execute(params![
            org.0,
            m.id.0,
            t.part.0,
            t.location.id.0,
            q,
            -q,
            avg_cost,
            t.wo.id.0,
            t.actor.0,
            micros
        ])
        .expect("movement");
        let row: (Uuid, i64, i64, i64, i64, i64, i64) = tx
            .prepare_cached(
                "INSERT INTO work_order_parts (org_id, id, work_order_id, part_id, location_id, \
                 planned, reserved, issued, returned, created_at, updated_at, version) \
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6, 0, ?7, ?7, 1) \
                 ON CONFLICT (org_id, work_order_id, part_id, location_id) DO UPDATE SET \
                 issued = issued + excluded.issued, updated_at = excluded.updated_at, \
                 version = version + 1 \
                 RETURNING id, planned, reserved, issued, returned, created_at, version",
            )
            .expect("prepare")
            .query_row(
                params![org.0, Uuid::now_v7(), t.wo.id.0, t.part.0, t.location.id.0, q, micros],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                },
            )
            .expect("line");
        let created = DateTime::from_timestamp_micros(row.5).expect("created_at");
        let (before, after) =
            lines(org, t, row.0, row.1, row.2, row.3, row.4, created, at, row.6, quantity);
        let cross = crossed(low_point, on_hand - reserved, quantity);
        let (audit, events) = trail(t, &before, &after, &m, stock_id, cross);
        append_audit(&tx, org, &audit).expect("audit");
        append_events(&tx, org, &events).expect("events");
        tx.commit().expect("commit");
        after
    }

    /// The first page (50) of the low-stock list of `location`, consumption since `since`.
    pub fn low_stock(
        c: &Connection,
        org: cmms_core::OrgId,
        location: cmms_core::StockLocationId,
        since: DateTime<Utc>,
    ) -> Vec<LowRow> {
        let sql = super::raw_low_stock_sql(super::SQLITE_HINT);
        let mut stmt = c.prepare_cached(&sql).expect("prepare");
        let rows = stmt
            .query_map(params![org.0, location.0, since.timestamp_micros()], |r| {
                Ok(LowRow {
                    stock_id: r.get(0)?,
                    available: r.get::<_, i64>(2)? - r.get::<_, i64>(3)?,
                    part_number: r.get(8)?,
                    consumed: r.get(11)?,
                })
            })
            .expect("query");
        rows.collect::<rusqlite::Result<_>>().expect("rows")
    }

    /// `EXPLAIN QUERY PLAN` of `sql` with `params`, one line per step.
    pub fn plan(c: &Connection, sql: &str, params: &[super::PlanParam]) -> Vec<String> {
        use rusqlite::types::Value;
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut stmt = c.prepare(&explain).expect("prepare explain");
        let values: Vec<Value> = params
            .iter()
            .map(|p| match p {
                super::PlanParam::Uuid(u) => Value::Blob(u.as_bytes().to_vec()),
                super::PlanParam::Int(n) => Value::Integer(*n),
                super::PlanParam::Time(t) => Value::Integer(t.timestamp_micros()),
            })
            .collect();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(values), |r| r.get::<_, String>(3))
            .expect("explain");
        rows.collect::<rusqlite::Result<_>>().expect("plan rows")
    }
}

/// The raw PostgreSQL baseline (sqlx, the store's transaction shape: role and tenant set per
/// transaction, so row-level security applies as it does to the store).
pub mod pg {
    use super::{IssueTarget, LowRow, PlanParam, crossed, lines, movement, trail};
    use crate::pg_raw::{append_trail, begin};
    use chrono::{DateTime, Utc};
    use cmms_core::OrgId;
    use cmms_core::domain::inventory::wo_parts::check_status;
    use cmms_core::domain::inventory::{PartAction, Quantity, WorkOrderPart};
    use cmms_core::domain::status::WorkOrderStatus;
    use sqlx::{PgPool, Row};
    use uuid::Uuid;

    /// Issues `quantity` of the target's part to its work order in one transaction.
    pub async fn issue(pool: &PgPool, t: &IssueTarget, quantity: Quantity) -> WorkOrderPart {
        let org = t.wo.org_id;
        let at = cmms_core::clock::truncate_micros(Utc::now());
        let q = quantity.thousandths();
        let mut tx = begin(pool, org, false).await;
        let status: String =
            sqlx::query_scalar("SELECT status FROM work_orders WHERE org_id = $1 AND id = $2")
                .bind(org.0)
                .bind(t.wo.id.0)
                .fetch_one(&mut *tx)
                .await
                .expect("work order");
        let status: WorkOrderStatus = status.parse().expect("status");
        check_status(PartAction::Issue, status).expect("open for issues");
        let s = sqlx::query(
            "UPDATE stock SET on_hand = on_hand - $4, updated_at = $5, version = version + 1 \
             WHERE org_id = $1 AND part_id = $2 AND location_id = $3 \
             AND on_hand - reserved >= $4 \
             RETURNING id, on_hand, reserved, avg_cost::text, COALESCE(reorder_point, min_qty)",
        )
        .bind(org.0)
        .bind(t.part.0)
        .bind(t.location.id.0)
        .bind(q)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .expect("enough stock");
        let (stock_id, on_hand, reserved): (Uuid, i64, i64) = (s.get(0), s.get(1), s.get(2));
        let (avg_cost, low_point): (String, Option<i64>) = (s.get(3), s.get(4));
        let m = movement(org, t, quantity, &avg_cost, at);
        sqlx::query(
            "INSERT INTO stock_movements (org_id, id, part_id, location_id, kind, quantity, \
             on_hand_delta, reserved_delta, unit_cost, work_order_id, purchase_order_id, \
             transfer_id, reason, actor_id, at) \
             VALUES ($1, $2, $3, $4, 'issue', $5, $6, 0, $7::numeric, $8, NULL, NULL, NULL, $9, \
             $10)",
        )
        .bind(org.0)
        .bind(m.id.0)
        .bind(t.part.0)
        .bind(t.location.id.0)
        .bind(q)
        .bind(-q)
        .bind(&avg_cost)
        .bind(t.wo.id.0)
        .bind(t.actor.0)
        .bind(at)
        .execute(&mut *tx)
        .await
        .expect("movement");
        let r = sqlx::query(
            "INSERT INTO work_order_parts AS l (org_id, id, work_order_id, part_id, location_id, \
             planned, reserved, issued, returned, created_at, updated_at, version) \
             VALUES ($1, $2, $3, $4, $5, 0, 0, $6, 0, $7, $7, 1) \
             ON CONFLICT (org_id, work_order_id, part_id, location_id) DO UPDATE SET \
             issued = l.issued + EXCLUDED.issued, updated_at = EXCLUDED.updated_at, \
             version = l.version + 1 \
             RETURNING id, planned, reserved, issued, returned, created_at, version",
        )
        .bind(org.0)
        .bind(Uuid::now_v7())
        .bind(t.wo.id.0)
        .bind(t.part.0)
        .bind(t.location.id.0)
        .bind(q)
        .bind(at)
        .fetch_one(&mut *tx)
        .await
        .expect("line");
        let created: DateTime<Utc> = r.get(5);
        let (before, after) = lines(
            org,
            t,
            r.get(0),
            r.get(1),
            r.get(2),
            r.get(3),
            r.get(4),
            created,
            at,
            r.get(6),
            quantity,
        );
        let cross = crossed(low_point, on_hand - reserved, quantity);
        let (audit, events) = trail(t, &before, &after, &m, stock_id, cross);
        append_trail(&mut tx, org, audit, events).await;
        tx.commit().await.expect("commit");
        after
    }

    /// The first page (50) of the low-stock list of `location`, consumption since `since`, in
    /// a read-only transaction as the app role with the tenant set.
    pub async fn low_stock(
        pool: &PgPool,
        org: cmms_core::OrgId,
        location: cmms_core::StockLocationId,
        since: DateTime<Utc>,
    ) -> Vec<LowRow> {
        let mut tx = begin(pool, org, true).await;
        let sql = super::dollar(&super::raw_low_stock_sql(""));
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(org.0)
            .bind(location.0)
            .bind(since)
            .fetch_all(&mut *tx)
            .await
            .expect("low stock");
        tx.commit().await.expect("commit");
        rows.iter()
            .map(|r| LowRow {
                stock_id: r.get(0),
                available: r.get::<i64, _>(2) - r.get::<i64, _>(3),
                part_number: r.get(8),
                consumed: r.get(11),
            })
            .collect()
    }

    /// `EXPLAIN (ANALYZE, BUFFERS)` of `sql` as the app role with the tenant set (row-level
    /// security applies), `params` bound; then the generic plan a prepared statement may
    /// switch to after five runs (sqlx prepares and caches every statement).
    pub async fn plan(pool: &PgPool, sql: &str, org: OrgId, params: &[PlanParam]) -> Vec<String> {
        let mut tx = begin(pool, org, true).await;
        let role: String =
            sqlx::query_scalar("SELECT current_user").fetch_one(&mut *tx).await.expect("role");
        let explain = format!("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {}", super::dollar(sql));
        let mut q = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(explain));
        for p in params {
            q = match *p {
                PlanParam::Uuid(u) => q.bind(u),
                PlanParam::Int(n) => q.bind(n),
                PlanParam::Time(t) => q.bind(t),
            };
        }
        let mut lines = vec![format!("(as role {role}; EXPLAIN ANALYZE, parameters bound)")];
        lines.extend(q.fetch_all(&mut *tx).await.expect("explain"));
        lines.push("(generic plan: force_generic_plan, PREPARE, EXPLAIN EXECUTE)".into());
        let types: Vec<&str> = params
            .iter()
            .map(|p| match p {
                PlanParam::Uuid(_) => "uuid",
                PlanParam::Int(_) => "bigint",
                PlanParam::Time(_) => "timestamptz",
            })
            .collect();
        let values: Vec<String> = params
            .iter()
            .map(|p| match p {
                PlanParam::Uuid(u) => format!("'{u}'"),
                PlanParam::Int(n) => n.to_string(),
                PlanParam::Time(t) => format!("'{}'", t.to_rfc3339()),
            })
            .collect();
        for stmt in [
            "SET LOCAL plan_cache_mode = force_generic_plan".to_string(),
            format!("PREPARE bench_plan({}) AS {}", types.join(", "), super::dollar(sql)),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(stmt)).execute(&mut *tx).await.expect("prepare");
        }
        let explain = format!("EXPLAIN (COSTS OFF) EXECUTE bench_plan({})", values.join(", "));
        let generic = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(explain))
            .fetch_all(&mut *tx)
            .await
            .expect("explain generic");
        lines.extend(generic);
        sqlx::query("DEALLOCATE bench_plan").execute(&mut *tx).await.expect("deallocate");
        tx.commit().await.expect("commit");
        lines
    }
}
