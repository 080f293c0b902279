//! Parts on a work order: one line per (work order, part, stock location) holding what was
//! planned, what is reserved now, what was issued and what came back. The decisions here say
//! what a plan, reservation, issue, return or release does to the line and to the stock; the
//! use case commits both in one changeset, so a part is never issued without the work order's
//! line knowing it, and the line's version stops the same reservation from being consumed twice.

use super::amount::Quantity;
use super::stock::ensure_available;
use crate::error::{CmmsError, Result};
use crate::ids::{OrgId, PartId, StockLocationId, WorkOrderId, WorkOrderPartId};
use crate::macros::string_enum;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A part line of a work order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct WorkOrderPart {
    /// Id.
    pub id: WorkOrderPartId,
    /// Organization.
    pub org_id: OrgId,
    /// The work order.
    pub work_order_id: WorkOrderId,
    /// The part.
    pub part_id: PartId,
    /// Where it is taken from.
    pub location_id: StockLocationId,
    /// Planned quantity.
    pub planned: Quantity,
    /// Reserved for this work order now.
    pub reserved: Quantity,
    /// Issued (consumed) so far.
    pub issued: Quantity,
    /// Returned unused so far.
    pub returned: Quantity,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

string_enum! {
    /// What to do with parts on a work order.
    PartAction, field = "action" {
        /// Set the planned quantity, and hold as much of it as is available: the reservation
        /// becomes the planned quantity, or what there is (never an error for too little).
        Plan => "plan",
        /// Reserve stock for the work order.
        Reserve => "reserve",
        /// Release a reservation.
        Release => "release",
        /// Issue (consume) stock, using the reservation first.
        Issue => "issue",
        /// Return unused issued stock.
        Return => "return",
    }
}

use crate::domain::status::WorkOrderStatus as S;

/// In which work-order statuses each parts action is allowed: parts are planned and reserved
/// for work that has not finished, issued while it is being done, and returned until the work
/// order is closed (unused parts come back after completion, and from cancelled work).
pub const ACTION_STATUSES: &[(PartAction, &[S])] = &[
    (PartAction::Plan, &[S::Requested, S::Open, S::Assigned, S::InProgress, S::OnHold]),
    (PartAction::Reserve, &[S::Requested, S::Open, S::Assigned, S::InProgress, S::OnHold]),
    (PartAction::Issue, &[S::Open, S::Assigned, S::InProgress, S::OnHold]),
    (
        PartAction::Release,
        &[S::Requested, S::Open, S::Assigned, S::InProgress, S::OnHold, S::Completed, S::Cancelled],
    ),
    (
        PartAction::Return,
        &[S::Open, S::Assigned, S::InProgress, S::OnHold, S::Completed, S::Verified, S::Cancelled],
    ),
];

/// Refuses `action` on a work order in `status` (see [`ACTION_STATUSES`]).
pub fn check_status(action: PartAction, status: S) -> Result<()> {
    let allowed = ACTION_STATUSES.iter().any(|(a, s)| *a == action && s.contains(&status));
    if allowed {
        Ok(())
    } else {
        Err(CmmsError::invalid("action", format!("cannot {action} parts on a {status} work order")))
    }
}

/// Statuses in which a work order gives back what it still reserves: its work is over.
pub const RELEASING_STATUSES: &[S] = &[S::Completed, S::Verified, S::Closed, S::Cancelled];

/// A part a PM plan's work needs: each generated work order plans it (holding what is
/// available, see [`PartAction::Plan`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PlannedPart {
    /// The part.
    pub part_id: PartId,
    /// Where it is taken from.
    pub location_id: StockLocationId,
    /// How much each work order needs (above zero).
    pub quantity: Quantity,
}

/// One parts request on a work order.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PartsRequest {
    /// What to do.
    pub action: PartAction,
    /// The part.
    pub part_id: PartId,
    /// Where from.
    pub location_id: StockLocationId,
    /// How much (positive; zero is allowed to plan none). For `release`, leave it out to
    /// release the whole reservation.
    #[serde(default)]
    pub quantity: Option<Quantity>,
}

/// What one parts request does: the line after it and the deltas for the stock row.
#[derive(Debug, Clone, PartialEq)]
pub struct LineChange {
    /// The line after the change.
    pub line: WorkOrderPart,
    /// Change of the stock's `on_hand`.
    pub on_hand: Quantity,
    /// Change of the stock's `reserved`.
    pub reserved: Quantity,
    /// The quantity the movement records.
    pub quantity: Quantity,
}

impl WorkOrderPart {
    /// An empty line.
    pub fn new(
        org_id: OrgId,
        work_order_id: WorkOrderId,
        part_id: PartId,
        location_id: StockLocationId,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id: WorkOrderPartId::new(),
            org_id,
            work_order_id,
            part_id,
            location_id,
            planned: Quantity::ZERO,
            reserved: Quantity::ZERO,
            issued: Quantity::ZERO,
            returned: Quantity::ZERO,
            created_at: now,
            updated_at: now,
            version: 0,
        }
    }

    /// Issued and not returned: what is consumed by the work.
    pub fn used(&self) -> Quantity {
        self.issued - self.returned
    }

    /// Decides `action` of `quantity` against this line with `available` stock at its
    /// location. The line comes back as its next version.
    pub fn decide(
        &self,
        action: PartAction,
        quantity: Option<Quantity>,
        available: Quantity,
        now: DateTime<Utc>,
    ) -> Result<LineChange> {
        let q = match (action, quantity) {
            (PartAction::Release, None) => self.reserved,
            (_, Some(q)) if q.is_positive() || (action == PartAction::Plan && !q.is_negative()) => {
                q
            }
            (_, Some(_)) => return Err(CmmsError::invalid("quantity", "must be above zero")),
            (_, None) => return Err(CmmsError::invalid("quantity", "is required")),
        };
        let mut line = self.clone();
        let (on_hand, reserved) = match action {
            PartAction::Plan => {
                // Planned parts reserve stock (as much of the plan as is available); planning
                // less gives back what is held beyond the new plan.
                let target = q.min(self.reserved + available.max(Quantity::ZERO));
                line.planned = q;
                line.reserved = target;
                (Quantity::ZERO, target - self.reserved)
            }
            PartAction::Reserve => {
                ensure_available(self.part_id, self.location_id, available, q)?;
                line.reserved += q;
                (Quantity::ZERO, q)
            }
            PartAction::Release => {
                if q > self.reserved {
                    return Err(CmmsError::invalid(
                        "quantity",
                        format!("only {} is reserved for this work order", self.reserved),
                    ));
                }
                line.reserved -= q;
                (Quantity::ZERO, -q)
            }
            PartAction::Issue => {
                // The work order's own reservation is available to it.
                let from_reservation = q.min(self.reserved);
                ensure_available(self.part_id, self.location_id, available + from_reservation, q)?;
                line.reserved -= from_reservation;
                line.issued += q;
                (-q, -from_reservation)
            }
            PartAction::Return => {
                if q > self.used() {
                    return Err(CmmsError::invalid(
                        "quantity",
                        format!("only {} was issued and not returned", self.used()),
                    ));
                }
                line.returned += q;
                (q, Quantity::ZERO)
            }
        };
        line.updated_at = now;
        line.version += 1;
        Ok(LineChange { line, on_hand, reserved, quantity: q })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(n: i64) -> Quantity {
        Quantity::units(n)
    }

    fn line() -> WorkOrderPart {
        WorkOrderPart::new(
            OrgId::new(),
            WorkOrderId::new(),
            PartId::new(),
            StockLocationId::new(),
            Utc::now(),
        )
    }

    #[test]
    fn issue_uses_the_reservation_first() {
        let now = Utc::now();
        let l = line();
        let r =
            l.decide(PartAction::Reserve, Some(q(3)), q(5), now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.on_hand, r.reserved, r.line.reserved), (q(0), q(3), q(3)));
        // 2 more available elsewhere: issuing 5 takes the 3 reserved and 2 of the rest.
        let i = r
            .line
            .decide(PartAction::Issue, Some(q(5)), q(2), now)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (i.on_hand, i.reserved, i.line.reserved, i.line.issued),
            (-q(5), -q(3), q(0), q(5))
        );
        assert!(r.line.decide(PartAction::Issue, Some(q(6)), q(2), now).is_err());
        let back = i
            .line
            .decide(PartAction::Return, Some(q(2)), q(0), now)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((back.on_hand, back.line.used()), (q(2), q(3)));
        assert!(back.line.decide(PartAction::Return, Some(q(4)), q(0), now).is_err());
    }

    #[test]
    fn release_without_quantity_releases_everything() {
        let now = Utc::now();
        let r = line()
            .decide(PartAction::Reserve, Some(q(4)), q(4), now)
            .unwrap_or_else(|e| panic!("{e}"));
        let rel =
            r.line.decide(PartAction::Release, None, q(0), now).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((rel.reserved, rel.line.reserved), (-q(4), q(0)));
        assert!(line().decide(PartAction::Reserve, Some(q(0)), q(4), now).is_err());
        assert!(line().decide(PartAction::Reserve, Some(q(5)), q(4), now).is_err());
    }
}
