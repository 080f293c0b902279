//! Helpers shared by the Postgres store's integration tests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use cmms_core::domain::org::NewOrg;
use cmms_core::domain::site::NewSite;
use cmms_core::domain::work_order::NewWorkOrder;
use cmms_core::{Actor, Cmms, SiteId, WorkOrderId};
use cmms_store_postgres::{PgOptions, PgStore};
use std::sync::Arc;

/// A store on `url` with `options`.
pub async fn store_with(url: &str, options: PgOptions) -> Arc<PgStore> {
    Arc::new(PgStore::connect(url, options).await.unwrap())
}

/// A store on `url` with a pool of `max_connections`.
pub async fn store(url: &str, max_connections: u32) -> Arc<PgStore> {
    let options = PgOptions { max_connections, ..PgOptions::default() };
    Arc::new(PgStore::connect(url, options).await.unwrap())
}

/// A new organization with one site; returns its owner's actor and the site.
pub async fn org(cmms: &Cmms, name: &str) -> (Actor, SiteId) {
    let boot = cmms
        .bootstrap_org(NewOrg {
            name: name.into(),
            owner_name: "Olivia Owner".into(),
            owner_email: format!("owner@{}.test", name.to_lowercase()),
            ..NewOrg::default()
        })
        .await
        .unwrap();
    let owner = cmms.actor(boot.org.id, boot.owner.id).await.unwrap();
    let site = NewSite { name: format!("{name} plant"), code: "P1".into(), ..NewSite::default() };
    let site = cmms.create_site(&owner, site).await.unwrap();
    (owner, site.id)
}

/// A new work order at `site`.
pub async fn work_order(cmms: &Cmms, actor: &Actor, site: SiteId, title: &str) -> WorkOrderId {
    let input =
        NewWorkOrder { title: title.into(), site_id: Some(site), ..NewWorkOrder::default() };
    cmms.create_work_order(actor, input).await.unwrap().id
}
