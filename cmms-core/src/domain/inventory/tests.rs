//! Property tests of the inventory decisions: any sequence of random movements keeps stock
//! equal to the sum of its ledger, never below zero and never reserving more than is on hand.

use super::stock::{ensure_available, status_of};
use super::{PartAction, Quantity, StockLevels, WorkOrderPart};
use crate::ids::{OrgId, PartId, StockLocationId, WorkOrderId};
use chrono::Utc;
use proptest::prelude::*;

proptest! {
    #[test]
    fn random_movements_keep_stock_equal_to_its_ledger(
        ops in proptest::collection::vec((0u8..7, 1i64..5_000), 1..300)
    ) {
        let now = Utc::now();
        let (part, loc) = (PartId::new(), StockLocationId::new());
        let mut line = WorkOrderPart::new(OrgId::new(), WorkOrderId::new(), part, loc, now);
        let (mut on_hand, mut reserved) = (Quantity::ZERO, Quantity::ZERO);
        // The ledger: every applied change as (on_hand delta, reserved delta).
        let mut ledger: Vec<(Quantity, Quantity)> = Vec::new();
        for (op, t) in ops {
            let q = Quantity::from_thousandths(t);
            let change = match op {
                0 => Some((q, Quantity::ZERO)),
                1 => ensure_available(part, loc, on_hand - reserved, q).ok().map(|()| (-q, Quantity::ZERO)),
                _ => {
                    let action = [PartAction::Reserve, PartAction::Issue, PartAction::Return,
                        PartAction::Release, PartAction::Plan][usize::from(op - 2)];
                    match line.decide(action, Some(q), on_hand - reserved, now) {
                        Ok(c) => {
                            line = c.line;
                            Some((c.on_hand, c.reserved))
                        }
                        Err(_) => None,
                    }
                }
            };
            if let Some((dh, dr)) = change {
                on_hand += dh;
                reserved += dr;
                ledger.push((dh, dr));
            }
            prop_assert!(!on_hand.is_negative() && !reserved.is_negative() && reserved <= on_hand);
            // One work order holds every reservation here.
            prop_assert_eq!(line.reserved, reserved);
            prop_assert!(line.returned <= line.issued);
        }
        let sum_h: Quantity = ledger.iter().map(|(h, _)| *h).sum();
        let sum_r: Quantity = ledger.iter().map(|(_, r)| *r).sum();
        prop_assert_eq!((sum_h, sum_r), (on_hand, reserved));
        // Status never claims stock where there is none.
        let status = status_of(on_hand - reserved, on_hand, &StockLevels::default());
        prop_assert_eq!(status == super::StockStatus::Out, !(on_hand - reserved).is_positive());
    }
}
