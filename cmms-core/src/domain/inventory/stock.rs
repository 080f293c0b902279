//! Stock per (part, stock location) as the running result of a ledger of movements, and the
//! pure decisions about it: what a movement does to `on_hand` and `reserved`, whether there is
//! enough, the moving-average cost, the stock status and the days until stock runs out.
//!
//! **Stock never goes below zero.** Core checks it before committing and returns
//! [`CmmsError::InsufficientStock`]; the stores apply each change as a delta
//! ([`StockDelta`]) that they refuse when the result would be negative (or reserve more than is
//! on hand), and a database CHECK refuses it again. Two concurrent issues therefore cannot both
//! take the last unit: the second one's delta is refused and its use case re-reads and reports
//! the shortage.
//!
//! **Costing: moving average.** A receipt of `q` at unit cost `c` into stock holding `h` at
//! average `a` makes the average `(h·a + q·c) / (h + q)`; issues, returns and adjustments move
//! stock at the current average and leave it unchanged. (FIFO layers would need a table of
//! layers per stock row; moving average is what most CMMS and small ERPs use for spares.)

use super::amount::{Money, Quantity};
use super::part::StockLevels;
use crate::domain::event::EventDraft;
use crate::error::CmmsError;
use crate::ids::{
    OrgId, PartId, PurchaseOrderId, StockId, StockLocationId, StockMovementId, UserId, WorkOrderId,
};
use crate::macros::string_enum;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The stock of one part at one location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Stock {
    /// Id.
    pub id: StockId,
    /// Organization.
    pub org_id: OrgId,
    /// The part.
    pub part_id: PartId,
    /// Where.
    pub location_id: StockLocationId,
    /// Physically there.
    pub on_hand: Quantity,
    /// Promised to work orders (part of `on_hand`).
    pub reserved: Quantity,
    /// Moving-average unit cost.
    pub avg_cost: Money,
    /// The levels in force here: the location's own, or the part's defaults.
    pub levels: StockLevels,
    /// Whether `levels` were set for this location (else they follow the part's defaults).
    pub own_levels: bool,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version (every change moves it).
    pub version: i64,
}

string_enum! {
    /// Where stock stands against its levels.
    StockStatus, field = "status" {
        /// Nothing available (available ≤ 0).
        Out => "out",
        /// At or below the reorder point (or the minimum when there is none).
        Low => "low",
        /// More on hand than the maximum (when one is set above zero).
        Over => "over",
        /// Anything else.
        In => "in",
    }
}

impl Stock {
    /// An empty stock row for a part at a location, following the part's levels.
    pub fn empty(
        org_id: OrgId,
        part_id: PartId,
        location_id: StockLocationId,
        levels: StockLevels,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: StockId::new(),
            org_id,
            part_id,
            location_id,
            on_hand: Quantity::ZERO,
            reserved: Quantity::ZERO,
            avg_cost: Money::ZERO,
            levels,
            own_levels: false,
            updated_at: now,
            version: 0,
        }
    }

    /// `on_hand − reserved`: what may still be reserved or issued.
    pub fn available(&self) -> Quantity {
        self.on_hand - self.reserved
    }

    /// The status: `out` (available ≤ 0), `low` (available ≤ the reorder point, or ≤ the
    /// minimum when no reorder point is set), `over` (on hand above a maximum > 0), else `in`.
    pub fn status(&self) -> StockStatus {
        status_of(self.available(), self.on_hand, &self.levels)
    }

    /// How much to order to get back to the maximum (or to the reorder point plus the reorder
    /// quantity), never negative: the "shortage" of the low-stock list.
    pub fn shortage(&self) -> Quantity {
        let target = match (self.levels.max, self.levels.reorder_point, self.levels.min) {
            (Some(max), _, _) if max.is_positive() => max,
            (_, Some(rp), _) => rp + self.levels.reorder_quantity.unwrap_or(Quantity::ZERO),
            (_, None, Some(min)) => min,
            _ => Quantity::ZERO,
        };
        (target - self.available()).max(Quantity::ZERO)
    }
}

/// The status of stock with `available` and `on_hand` under `levels` (see [`Stock::status`]).
pub fn status_of(available: Quantity, on_hand: Quantity, levels: &StockLevels) -> StockStatus {
    if !available.is_positive() {
        StockStatus::Out
    } else if levels.low_point().is_some_and(|p| available <= p) {
        StockStatus::Low
    } else if levels.max.is_some_and(|m| m.is_positive() && on_hand > m) {
        StockStatus::Over
    } else {
        StockStatus::In
    }
}

string_enum! {
    /// What a movement of the ledger did.
    MovementKind, field = "kind" {
        /// Received (from a vendor, a purchase order, or found).
        Receive => "receive",
        /// Issued to a work order (consumed).
        Issue => "issue",
        /// Returned unused from a work order.
        Return => "return",
        /// Counted or corrected (with a reason).
        Adjust => "adjust",
        /// Moved out to another location (paired with a `transfer_in`).
        TransferOut => "transfer_out",
        /// Moved in from another location (paired with a `transfer_out`).
        TransferIn => "transfer_in",
        /// Promised to a work order.
        Reserve => "reserve",
        /// A promise released.
        Release => "release",
    }
}

/// One entry of the stock ledger. `on_hand_delta` and `reserved_delta` are exactly what it did
/// to the stock row, so the stock is always the sum of its ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct StockMovement {
    /// Id (time-ordered).
    pub id: StockMovementId,
    /// Organization.
    pub org_id: OrgId,
    /// The part.
    pub part_id: PartId,
    /// Where.
    pub location_id: StockLocationId,
    /// What happened.
    pub kind: MovementKind,
    /// How much (positive).
    pub quantity: Quantity,
    /// The change of `on_hand`.
    pub on_hand_delta: Quantity,
    /// The change of `reserved`.
    pub reserved_delta: Quantity,
    /// Unit cost the quantity moved at.
    pub unit_cost: Option<Money>,
    /// The work order it was for.
    pub work_order_id: Option<WorkOrderId>,
    /// The purchase order it was received on.
    pub purchase_order_id: Option<PurchaseOrderId>,
    /// Links the two halves of a transfer.
    pub transfer_id: Option<uuid::Uuid>,
    /// Why (adjustments and counts need one).
    pub reason: Option<String>,
    /// Who (none for the system).
    pub actor_id: Option<UserId>,
    /// When.
    pub at: DateTime<Utc>,
}

/// A change of one stock row, applied by the store as a delta inside the commit: the row is
/// created when missing (from `id` and `levels`), `on_hand` and `reserved` move by the deltas,
/// and the store refuses the write with `StoreError::Conflict` when the result would have
/// `on_hand < 0`, `reserved < 0` or `reserved > on_hand`, or when `expect_version` is given and
/// the row has another version (0: the row must not exist yet). Every applied delta moves the
/// row's version by one.
///
/// `alert` is a low-stock event core decided on: the store appends it (after the changeset's
/// own events) exactly when this delta takes available stock from above `threshold` to at or
/// below it, which only the store can see exactly when deltas of concurrent commits interleave.
#[derive(Debug, Clone)]
pub struct StockDelta {
    /// The row's id if it has to be created.
    pub id: StockId,
    /// The part.
    pub part_id: PartId,
    /// The location.
    pub location_id: StockLocationId,
    /// Change of `on_hand`.
    pub on_hand: Quantity,
    /// Change of `reserved`.
    pub reserved: Quantity,
    /// A new average cost (receipts), else unchanged.
    pub avg_cost: Option<Money>,
    /// The levels of a row that has to be created.
    pub levels: StockLevels,
    /// Apply only to this version of the row (0: only when it does not exist).
    pub expect_version: Option<i64>,
    /// The event for crossing the reorder point from above.
    pub alert: Option<(Quantity, EventDraft)>,
    /// When.
    pub at: DateTime<Utc>,
}

impl StockDelta {
    /// What the store's conditional write of this delta returned means, the same on every
    /// store: `row` is the stock row's `(on_hand, reserved, version)` after the write (in
    /// thousandths), `None` when the condition refused it. A refusal, or a row created by this
    /// delta with other values than the deltas (the insert was clamped to pass the CHECK: the
    /// change took from stock that was not there), is a `Conflict`; otherwise the low-stock
    /// event to append, if this delta crossed the threshold.
    pub fn outcome(
        self,
        row: Option<(i64, i64, i64)>,
    ) -> Result<Option<EventDraft>, crate::error::StoreError> {
        let (dq, dr) = (self.on_hand.thousandths(), self.reserved.thousandths());
        let refused = || {
            crate::error::StoreError::conflict(format!(
                "stock of part {} at {} changed or would go below zero",
                self.part_id, self.location_id
            ))
        };
        let Some((on_hand, reserved, version)) = row else {
            return Err(refused());
        };
        if version == 1 && (on_hand, reserved) != (dq, dr) {
            return Err(refused());
        }
        let after = Quantity::from_thousandths(on_hand - reserved);
        let before = Quantity::from_thousandths((on_hand - dq) - (reserved - dr));
        Ok(self
            .alert
            .filter(|(threshold, _)| Self::crosses(*threshold, before, after))
            .map(|(_, event)| event))
    }

    /// Whether a change from `before` to `after` available stock crosses `threshold` from
    /// above (the one rule of low-stock events; the stores call it with exact values).
    pub fn crosses(threshold: Quantity, before: Quantity, after: Quantity) -> bool {
        before > threshold && after <= threshold
    }
}

/// Refuses taking `requested` when only `available` is there.
pub fn ensure_available(
    part: PartId,
    location: StockLocationId,
    available: Quantity,
    requested: Quantity,
) -> Result<(), CmmsError> {
    if requested > available {
        return Err(CmmsError::InsufficientStock {
            part: part.to_string(),
            location: location.to_string(),
            available: available.to_string(),
            requested: requested.to_string(),
        });
    }
    Ok(())
}

/// The moving average after receiving `q` at `cost` into `on_hand` held at `avg`.
pub fn moving_average(on_hand: Quantity, avg: Money, q: Quantity, cost: Money) -> Money {
    let total = on_hand + q;
    if !total.is_positive() || on_hand.is_negative() {
        return cost;
    }
    let value = avg.to_decimal() * on_hand.to_decimal() + cost.to_decimal() * q.to_decimal();
    Money::new(value / total.to_decimal())
}

/// Estimated days until `available` runs out at the recent consumption rate: `consumed` over
/// the last `window_days` days gives a daily rate `consumed / window_days`, and the estimate
/// is `available / rate`, rounded down. `None` when nothing was consumed (no estimate), `0`
/// when nothing is available.
pub fn days_until_stockout(
    available: Quantity,
    consumed: Quantity,
    window_days: u32,
) -> Option<u32> {
    if !available.is_positive() {
        return Some(0);
    }
    if !consumed.is_positive() || window_days == 0 {
        return None;
    }
    let days = available.to_decimal() * Decimal::from(window_days) / consumed.to_decimal();
    Some(i64::try_from(days.trunc()).map_or(u32::MAX, |d| u32::try_from(d).unwrap_or(u32::MAX)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64) -> Quantity {
        Quantity::units(n)
    }

    #[test]
    fn status_follows_the_levels() {
        let levels = StockLevels {
            min: Some(q(2)),
            max: Some(q(10)),
            reorder_point: Some(q(4)),
            reorder_quantity: Some(q(6)),
        };
        assert_eq!(status_of(q(0), q(3), &levels), StockStatus::Out);
        assert_eq!(status_of(q(4), q(4), &levels), StockStatus::Low);
        assert_eq!(status_of(q(5), q(5), &levels), StockStatus::In);
        assert_eq!(status_of(q(11), q(11), &levels), StockStatus::Over);
        let none = StockLevels::default();
        assert_eq!(status_of(q(1), q(1), &none), StockStatus::In);
        let min_only = StockLevels { min: Some(q(2)), ..StockLevels::default() };
        assert_eq!(status_of(q(2), q(2), &min_only), StockStatus::Low);
    }

    #[test]
    fn crossing_is_only_from_above() {
        assert!(StockDelta::crosses(q(5), q(6), q(5)));
        assert!(StockDelta::crosses(q(5), q(6), q(0)));
        assert!(!StockDelta::crosses(q(5), q(5), q(4)));
        assert!(!StockDelta::crosses(q(5), q(7), q(6)));
    }

    #[test]
    fn moving_average_weights_by_quantity() {
        let avg = moving_average(
            q(10),
            Money::new(Decimal::from(2)),
            q(10),
            Money::new(Decimal::from(4)),
        );
        assert_eq!(avg, Money::new(Decimal::from(3)));
        let first = moving_average(q(0), Money::ZERO, q(5), Money::new(Decimal::new(125, 2)));
        assert_eq!(first.to_string(), "1.25");
    }

    #[test]
    fn days_until_stockout_is_available_over_the_daily_rate() {
        assert_eq!(days_until_stockout(q(10), q(30), 30), Some(10));
        assert_eq!(days_until_stockout(q(10), q(0), 30), None);
        assert_eq!(days_until_stockout(q(0), q(5), 30), Some(0));
        assert_eq!(days_until_stockout(q(1), q(3), 30), Some(10));
    }

    #[test]
    fn insufficient_stock_names_part_location_and_amounts() {
        let (part, loc) = (PartId::new(), StockLocationId::new());
        let e = ensure_available(part, loc, q(2), q(3));
        match e {
            Err(CmmsError::InsufficientStock { available, requested, .. }) => {
                assert_eq!((available.as_str(), requested.as_str()), ("2", "3"));
            }
            other => panic!("expected insufficient stock, got {other:?}"),
        }
        assert!(ensure_available(part, loc, q(3), q(3)).is_ok());
    }
}
