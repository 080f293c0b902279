use cmms_core::Cmms;
use cmms_core::domain::{org::NewOrg, site::NewSite, status::TransitionInput};
use cmms_core::domain::{status::WorkOrderStatus, work_order::NewWorkOrder};
use cmms_store_sqlite::SqliteStore;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "plant.db".into());
    let store = SqliteStore::open(&path).await?;
    store.migrate().await?; // the library never migrates silently
    let cmms = Cmms::new(Arc::new(store));

    let boot = cmms
        .bootstrap_org(NewOrg {
            name: "Acme Plant".into(),
            owner_name: "Olivia Owner".into(),
            owner_email: "olivia@acme.test".into(),
            ..NewOrg::default()
        })
        .await?;
    let owner = cmms.actor(boot.org.id, boot.owner.id).await?;
    let site = NewSite {
        name: "North Plant".into(),
        code: "NP".into(),
        ..NewSite::default()
    };
    let site = cmms.create_site(&owner, site).await?;

    let wo = NewWorkOrder {
        title: "Replace pump seal".into(),
        site_id: Some(site.id),
        assignees: vec![boot.owner.id],
        ..NewWorkOrder::default()
    };
    let wo = cmms.create_work_order(&owner, wo).await?;
    for to in [WorkOrderStatus::InProgress, WorkOrderStatus::Completed] {
        cmms.transition_work_order(&owner, wo.id, to, TransitionInput::default())
            .await?;
    }
    let done = cmms.get_work_order(&owner, wo.id).await?;
    println!("{} \"{}\" is {}", done.number, done.title, done.status);
    Ok(())
}
