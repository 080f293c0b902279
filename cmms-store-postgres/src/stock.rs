//! `Write::StockDelta`: one stock row moved by a delta in one statement (an upsert whose update
//! is conditional), refused when the result would be negative, reserve more than is on hand, or
//! the row is not at the version the change was decided on. The row's values come back, so the
//! low-stock event core attached is appended exactly when this delta crosses the threshold —
//! also when deltas of concurrent transactions interleave, since the row lock orders them.

use crate::apply::Drafts;
use crate::error::map_sqlx;
use cmms_core::StoreError;
use cmms_core::domain::inventory::{Quantity, StockDelta};
use cmms_core::ids::OrgId;
use sqlx::PgConnection;

const SQL: &str = "\
INSERT INTO stock AS s (org_id, id, part_id, location_id, on_hand, reserved, avg_cost, min_qty, \
    max_qty, reorder_point, reorder_qty, own_levels, updated_at, version) \
VALUES ($1, $2, $3, $4, $5, $6, COALESCE($7::numeric, 0), $8, $9, $10, $11, false, $12, 1) \
ON CONFLICT (org_id, part_id, location_id) DO UPDATE SET \
    on_hand = s.on_hand + EXCLUDED.on_hand, reserved = s.reserved + EXCLUDED.reserved, \
    avg_cost = COALESCE($7::numeric, s.avg_cost), updated_at = EXCLUDED.updated_at, \
    version = s.version + 1 \
WHERE s.on_hand + EXCLUDED.on_hand >= 0 AND s.reserved + EXCLUDED.reserved >= 0 \
    AND s.reserved + EXCLUDED.reserved <= s.on_hand + EXCLUDED.on_hand \
    AND ($13::bigint IS NULL OR s.version = $13) \
RETURNING s.on_hand, s.reserved";

/// Applies one stock delta for `org`.
pub(crate) async fn apply_delta(
    c: &mut PgConnection,
    org: OrgId,
    d: StockDelta,
    drafts: &mut Drafts,
) -> Result<(), StoreError> {
    let (dq, dr) = (d.on_hand.thousandths(), d.reserved.thousandths());
    let lv = |q: Option<Quantity>| q.map(Quantity::thousandths);
    // A missing row is inserted with the deltas as its values; a negative one is refused by
    // the table's CHECK, which `map_sqlx` also reports as a conflict.
    let row: Option<(i64, i64)> = sqlx::query_as(SQL)
        .bind(org.0)
        .bind(d.id.0)
        .bind(d.part_id.0)
        .bind(d.location_id.0)
        .bind(dq)
        .bind(dr)
        .bind(d.avg_cost.map(|c| c.to_decimal().to_string()))
        .bind(lv(d.levels.min))
        .bind(lv(d.levels.max))
        .bind(lv(d.levels.reorder_point))
        .bind(lv(d.levels.reorder_quantity))
        .bind(d.at)
        .bind(d.expect_version)
        .fetch_optional(&mut *c)
        .await
        .map_err(map_sqlx)?;
    let Some((on_hand, reserved)) = row else {
        return Err(StoreError::conflict(format!(
            "stock of part {} at {} changed or would go below zero",
            d.part_id, d.location_id
        )));
    };
    if let Some((threshold, event)) = d.alert {
        let after = Quantity::from_thousandths(on_hand - reserved);
        let before = Quantity::from_thousandths((on_hand - dq) - (reserved - dr));
        if StockDelta::crosses(threshold, before, after) {
            drafts.events.push(event);
        }
    }
    Ok(())
}
