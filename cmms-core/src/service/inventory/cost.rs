//! What work cost: other costs booked on a work order, and the roll-up of labor, parts and
//! other costs per work order and per asset (`domain::inventory::cost`).

use super::entity;
use crate::actor::Actor;
use crate::domain::EntityKind;
use crate::domain::inventory::{CostSummary, NewWorkOrderCost, StockMovement, WorkOrderCost};
use crate::domain::work_order::WorkOrder;
use crate::error::Result;
use crate::ids::{AssetId, WorkOrderId};
use crate::rbac::{self, Permission};
use crate::service::{Cmms, Stamp, json};
use crate::store::record::{Record, RecordReadsExt, Select};
use crate::store::{Changeset, Write};

impl Cmms {
    /// Books an other cost (a contractor's invoice, a rental) on a work order
    /// (`work_order.log_work` on it).
    pub async fn add_work_order_cost(
        &self,
        actor: &Actor,
        id: WorkOrderId,
        input: NewWorkOrderCost,
    ) -> Result<WorkOrderCost> {
        let wo = self.get_work_order(actor, id).await?;
        rbac::authorize(actor, Permission::WorkOrderLogWork, &wo.resource())?;
        let cost = WorkOrderCost::create(actor.org(), id, input, actor.user_id(), self.now())?;
        let st = Stamp::new(actor, cost.created_at);
        let mut cs = Changeset::new();
        cs.push(Write::insert(cost.clone()));
        let e = entity(EntityKind::WorkOrderCost, cost.id);
        cs.push(st.audit("work_order.cost", e, None, Some(json(&cost))));
        self.commit(actor, cs).await?;
        Ok(cost)
    }

    /// The other costs booked on a work order.
    pub async fn work_order_costs(
        &self,
        actor: &Actor,
        id: WorkOrderId,
    ) -> Result<Vec<WorkOrderCost>> {
        self.get_work_order(actor, id).await?;
        let q = Select::new(WorkOrderCost::TABLE).eq("work_order_id", id.uuid());
        Ok(self.store.list::<WorkOrderCost>(actor.org(), q).await?)
    }

    /// What a work order cost: labor at each worker's rate (else the organization's), parts
    /// issued at the cost they left stock minus returns, and other costs, in the organization's
    /// currency (whoever may read the work order).
    pub async fn work_order_cost(&self, actor: &Actor, id: WorkOrderId) -> Result<CostSummary> {
        let wo = self.get_work_order(actor, id).await?;
        self.cost_of(actor, &wo).await
    }

    async fn cost_of(&self, actor: &Actor, wo: &WorkOrder) -> Result<CostSummary> {
        let settings = self.load_org(actor.org()).await?.settings;
        let labor = self.store.labor(actor.org(), wo.id).await?;
        let q = Select::new(StockMovement::TABLE).eq("work_order_id", wo.id.uuid());
        let movements = self.store.list::<StockMovement>(actor.org(), q).await?;
        let q = Select::new(WorkOrderCost::TABLE).eq("work_order_id", wo.id.uuid());
        let other = self.store.list::<WorkOrderCost>(actor.org(), q).await?;
        Ok(CostSummary::of(
            &settings.currency,
            &labor,
            &settings.labor_rates,
            settings.labor_rate,
            &movements,
            &other,
        ))
    }

    /// What the work on an asset cost: the sum over its work orders the actor may read
    /// (`work_orders` says how many).
    pub async fn asset_cost(&self, actor: &Actor, id: AssetId) -> Result<CostSummary> {
        self.get_asset(actor, id).await?;
        let currency = self.load_org(actor.org()).await?.settings.currency;
        let q = Select::new(WorkOrder::TABLE).eq("asset_id", id.uuid());
        let mut total = CostSummary { currency, ..CostSummary::default() };
        for wo in self.store.list::<WorkOrder>(actor.org(), q).await? {
            if rbac::can(actor, Permission::WorkOrderRead, &wo.resource()) {
                total.add(&self.cost_of(actor, &wo).await?);
            }
        }
        Ok(total)
    }
}
