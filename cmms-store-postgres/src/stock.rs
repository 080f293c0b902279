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
VALUES ($1, $2, $3, $4, GREATEST($5, 0), LEAST(GREATEST($6, 0), GREATEST($5, 0)), \
    COALESCE($7::numeric, 0), $8, $9, $10, $11, false, $12, 1) \
ON CONFLICT (org_id, part_id, location_id) DO UPDATE SET \
    on_hand = s.on_hand + $5, reserved = s.reserved + $6, \
    avg_cost = COALESCE($7::numeric, s.avg_cost), updated_at = EXCLUDED.updated_at, \
    version = s.version + 1 \
WHERE s.on_hand + $5 >= 0 AND s.reserved + $6 >= 0 AND s.reserved + $6 <= s.on_hand + $5 \
    AND ($13::bigint IS NULL OR s.version = $13) \
RETURNING s.on_hand, s.reserved, s.version";

/// Applies one stock delta for `org`.
pub(crate) async fn apply_delta(
    c: &mut PgConnection,
    org: OrgId,
    d: StockDelta,
    drafts: &mut Drafts,
) -> Result<(), StoreError> {
    let (dq, dr) = (d.on_hand.thousandths(), d.reserved.thousandths());
    let lv = |q: Option<Quantity>| q.map(Quantity::thousandths);
    // The row a missing one would be inserted as is clamped to what the CHECK allows (the
    // CHECK is tested before the conflict is found, so the deltas themselves could fail it for
    // an existing row); a new row that is not exactly the deltas is refused below.
    let row: Option<(i64, i64, i64)> = sqlx::query_as(SQL)
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
    if let Some(event) = d.outcome(row)? {
        drafts.events.push(event);
    }
    Ok(())
}
