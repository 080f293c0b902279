use cmms_core::Cmms;
use cmms_core::domain::status::{TransitionInput, WorkOrderStatus as S};
use cmms_core::domain::{org::NewOrg, site::NewSite, work_order::NewWorkOrder};
use cmms_store_sqlite::SqliteStore;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "plant.db".into());
    let store = SqliteStore::open(&path).await?;
    store.migrate().await?; // the library never migrates silently
    let cmms = Cmms::new(Arc::new(store));
    let org = NewOrg { name: "Acme".into(), owner_name: "Olivia".into(), ..NewOrg::default() };
    let boot = cmms.bootstrap_org(NewOrg { owner_email: "olivia@acme.test".into(), ..org }).await?;
    let owner = cmms.actor(boot.org.id, boot.owner.id).await?;
    let site = NewSite { name: "North Plant".into(), code: "NP".into(), ..NewSite::default() };
    let site = cmms.create_site(&owner, site).await?;
    let title = "Replace pump seal".to_string();
    let wo = NewWorkOrder { title, site_id: Some(site.id), ..NewWorkOrder::default() };
    let wo = cmms
        .create_work_order(&owner, NewWorkOrder { assignees: vec![boot.owner.id], ..wo })
        .await?;
    for to in [S::InProgress, S::Completed] {
        cmms.transition_work_order(&owner, wo.id, to, TransitionInput::default()).await?;
    }
    println!("{} is {}", wo.number, cmms.get_work_order(&owner, wo.id).await?.status);
    Ok(())
}
