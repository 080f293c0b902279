//! `Write::StockDelta`: one stock row moved by a delta in one statement (an upsert whose update
//! is conditional), refused when the result would be negative, reserve more than is on hand, or
//! the row is not at the version the change was decided on. The row's values come back, so the
//! low-stock event core attached is appended exactly when this delta crosses the threshold.

use crate::apply::Drafts;
use crate::error::map_rusqlite;
use crate::rows::micros;
use cmms_core::StoreError;
use cmms_core::domain::inventory::{Quantity, StockDelta};
use cmms_core::ids::OrgId;
use rusqlite::{Connection, OptionalExtension, params};

const SQL: &str = "\
INSERT INTO stock (org_id, id, part_id, location_id, on_hand, reserved, avg_cost, min_qty, \
    max_qty, reorder_point, reorder_qty, own_levels, updated_at, version) \
VALUES (?1, ?2, ?3, ?4, max(?5, 0), min(max(?6, 0), max(?5, 0)), COALESCE(?7, '0'), ?8, ?9, \
    ?10, ?11, 0, ?12, 1) \
ON CONFLICT (org_id, part_id, location_id) DO UPDATE SET \
    on_hand = on_hand + ?5, reserved = reserved + ?6, \
    avg_cost = COALESCE(?7, avg_cost), updated_at = excluded.updated_at, version = version + 1 \
WHERE on_hand + ?5 >= 0 AND reserved + ?6 >= 0 AND reserved + ?6 <= on_hand + ?5 \
    AND (?13 IS NULL OR version = ?13) \
RETURNING on_hand, reserved, version";

/// Applies one stock delta for `org`.
pub(crate) fn apply_delta(
    tx: &Connection,
    org: OrgId,
    d: StockDelta,
    drafts: &mut Drafts,
) -> Result<(), StoreError> {
    let (dq, dr) = (d.on_hand.thousandths(), d.reserved.thousandths());
    // The row a missing one would be inserted as is clamped to what the CHECK allows (the
    // CHECK is tested before the conflict is found, so the deltas themselves could fail it for
    // an existing row); a new row that is not exactly the deltas is refused below.
    let lv = |q: Option<Quantity>| q.map(Quantity::thousandths);
    let row: Option<(i64, i64, i64)> = tx
        .prepare_cached(SQL)
        .and_then(|mut s| {
            s.query_row(
                params![
                    org.0,
                    d.id.0,
                    d.part_id.0,
                    d.location_id.0,
                    dq,
                    dr,
                    d.avg_cost.map(|c| c.to_decimal().to_string()),
                    lv(d.levels.min),
                    lv(d.levels.max),
                    lv(d.levels.reorder_point),
                    lv(d.levels.reorder_quantity),
                    micros(d.at),
                    d.expect_version,
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
        })
        .map_err(map_rusqlite)?;
    if let Some(event) = d.outcome(row)? {
        drafts.events.push(event);
    }
    Ok(())
}
