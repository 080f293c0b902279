//! What a work order cost: labor (hours × the worker's rate, else the organization's) + parts
//! issued at the cost they left stock − parts returned + other costs, in the organization's
//! currency; and the same rolled up over an asset's work orders.

use super::amount::{Money, Quantity};
use super::stock::{MovementKind, StockMovement};
use crate::domain::labor::LaborEntry;
use crate::error::{Problems, Result};
use crate::ids::{OrgId, UserId, WorkOrderCostId, WorkOrderId};
use crate::validate;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A cost on a work order that is neither labor nor parts (a contractor's invoice, a rental).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct WorkOrderCost {
    /// Id.
    pub id: WorkOrderCostId,
    /// Organization.
    pub org_id: OrgId,
    /// The work order.
    pub work_order_id: WorkOrderId,
    /// What it is.
    pub description: String,
    /// How much (may be negative for a credit).
    pub amount: Money,
    /// Who booked it.
    pub created_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Input for an other cost.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewWorkOrderCost {
    /// What it is (1–200 characters).
    pub description: String,
    /// How much.
    pub amount: Money,
}

impl WorkOrderCost {
    /// A new other cost.
    pub fn create(
        org_id: OrgId,
        work_order_id: WorkOrderId,
        input: NewWorkOrderCost,
        by: Option<UserId>,
        now: DateTime<Utc>,
    ) -> Result<Self> {
        let mut p = Problems::new();
        let description = validate::text(&mut p, "description", &input.description, 1, 200);
        p.finish()?;
        Ok(Self {
            id: WorkOrderCostId::new(),
            org_id,
            work_order_id,
            description,
            amount: input.amount,
            created_by: by,
            created_at: now,
        })
    }
}

/// The cost of one work order (or, summed, of an asset's work).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct CostSummary {
    /// The currency of every amount.
    pub currency: String,
    /// Hours of labor.
    pub labor_hours: Quantity,
    /// Labor cost.
    pub labor: Money,
    /// Parts issued, at the cost they left stock.
    pub parts_issued: Money,
    /// Parts returned, at the cost they came back.
    pub parts_returned: Money,
    /// Other costs.
    pub other: Money,
    /// labor + parts issued − parts returned + other.
    pub total: Money,
    /// How many work orders it covers.
    pub work_orders: u32,
}

impl CostSummary {
    /// The cost of one work order from its labor, its stock movements and its other costs.
    /// Each worker's hours cost `rates[user]`, else `default_rate`, else nothing.
    pub fn of(
        currency: &str,
        labor: &[LaborEntry],
        rates: &BTreeMap<UserId, Money>,
        default_rate: Option<Money>,
        movements: &[StockMovement],
        other: &[WorkOrderCost],
    ) -> Self {
        let mut s = Self { currency: currency.to_string(), work_orders: 1, ..Self::default() };
        let mut minutes = 0i64;
        for l in labor {
            minutes += l.minutes;
            let hours = Decimal::from(l.minutes) / Decimal::from(60);
            let rate = rates.get(&l.user_id).copied().or(default_rate).unwrap_or(Money::ZERO);
            s.labor += Money::new(rate.to_decimal() * hours);
        }
        s.labor_hours =
            Quantity::from_decimal((Decimal::from(minutes) / Decimal::from(60)).round_dp(3))
                .unwrap_or_default();
        for m in movements {
            let value = m.unit_cost.unwrap_or(Money::ZERO).times(m.quantity);
            match m.kind {
                MovementKind::Issue => s.parts_issued += value,
                MovementKind::Return => s.parts_returned += value,
                _ => {}
            }
        }
        s.other = other.iter().map(|c| c.amount).sum();
        s.total = s.labor + s.parts_issued - s.parts_returned + s.other;
        s
    }

    /// Adds another summary (same currency) into this one.
    pub fn add(&mut self, o: &CostSummary) {
        self.labor_hours += o.labor_hours;
        self.labor += o.labor;
        self.parts_issued += o.parts_issued;
        self.parts_returned += o.parts_returned;
        self.other += o.other;
        self.total += o.total;
        self.work_orders += o.work_orders;
    }
}
