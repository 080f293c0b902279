//! `cmms seed-demo`: a demo organization to try the API with — two sites, a few assets, one user
//! of every built-in role (all with the same password) and work orders in several states.

use crate::bootstrap::{FirstLogin, create_org_with_owner};
use cmms_core::domain::asset::NewAsset;
use cmms_core::domain::site::{NewSite, SiteKind};
use cmms_core::domain::status::{TransitionInput, WorkOrderStatus as S};
use cmms_core::domain::user::NewUser;
use cmms_core::domain::work_order::{NewWorkOrder, Priority};
use cmms_core::rbac::{BuiltinRole, RoleRef};
use cmms_core::{Cmms, CmmsError};

/// What `seed-demo` made: the owner's login and the other users' emails.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The organization and its owner (the password is shared by every demo user).
    pub login: FirstLogin,
    /// `(role, email)` of every other demo user.
    pub users: Vec<(BuiltinRole, String)>,
    /// How many work orders were created.
    pub work_orders: usize,
}

impl Demo {
    /// The lines to print for the operator.
    pub fn describe(&self) -> String {
        let mut out = self.login.describe();
        out.push_str("\nthe other demo users share that password:");
        for (role, email) in &self.users {
            out.push_str(&format!("\n  {:<12} {email}", role.as_str()));
        }
        out.push_str(&format!("\n{} work orders", self.work_orders));
        out
    }
}

/// Creates the demo organization (`password` for every user, or a generated one).
pub async fn demo(cmms: &Cmms, password: Option<&str>) -> Result<Demo, CmmsError> {
    let login =
        create_org_with_owner(cmms, "Demo Plant Co", "Olivia Owner", "owner@demo.test", password)
            .await?;
    let owner = cmms.actor(login.created.org.id, login.created.owner.id).await?;
    let north = cmms
        .create_site(
            &owner,
            NewSite { name: "North Plant".into(), code: "NP".into(), ..NewSite::default() },
        )
        .await?;
    let depot = cmms
        .create_site(
            &owner,
            NewSite {
                name: "Central Depot".into(),
                code: "CD".into(),
                kind: SiteKind::Warehouse,
                ..NewSite::default()
            },
        )
        .await?;
    let mut users = Vec::new();
    let mut ids = std::collections::HashMap::new();
    for role in BuiltinRole::ALL.iter().copied().filter(|r| *r != BuiltinRole::Owner) {
        let email = format!("{}@demo.test", role.as_str());
        let input = NewUser {
            name: format!("Demo {}", role.as_str()),
            email: email.clone(),
            role: Some(RoleRef::Builtin(role)),
            sites: None,
        };
        let (user, _) = cmms.create_user(&owner, input).await?;
        cmms.set_password(&owner, user.id, &login.password).await?;
        ids.insert(role, user.id);
        users.push((role, email));
    }
    let mut assets = Vec::new();
    for (i, (name, site)) in
        [("Boiler 1", north.id), ("Compressor A", north.id), ("Forklift 3", depot.id)]
            .into_iter()
            .enumerate()
    {
        let asset = NewAsset {
            site_id: Some(site),
            name: name.into(),
            code: format!("AS-{:03}", i + 1),
            criticality: Some(3),
            ..NewAsset::default()
        };
        assets.push(cmms.create_asset(&owner, asset).await?);
    }
    let tech = ids.get(&BuiltinRole::Technician).copied();
    let plan: [(&str, Priority, &[S]); 5] = [
        ("Replace pump seal", Priority::High, &[S::InProgress]),
        ("Inspect boiler pressure valve", Priority::Medium, &[]),
        ("Lubricate compressor bearings", Priority::Low, &[S::InProgress, S::Completed]),
        ("Fix forklift hydraulic leak", Priority::Urgent, &[S::InProgress, S::OnHold]),
        (
            "Replace worn conveyor belt",
            Priority::Medium,
            &[S::InProgress, S::Completed, S::Verified],
        ),
    ];
    for (i, (title, priority, path)) in plan.iter().enumerate() {
        let asset = &assets[i % assets.len()];
        let wo = NewWorkOrder {
            title: (*title).into(),
            priority: Some(*priority),
            site_id: Some(asset.site_id),
            asset_id: Some(asset.id),
            assignees: tech.into_iter().collect(),
            ..NewWorkOrder::default()
        };
        let wo = cmms.create_work_order(&owner, wo).await?;
        for to in path.iter().copied() {
            let input = match to {
                S::OnHold => TransitionInput::reason("waiting for parts"),
                _ => TransitionInput::default(),
            };
            cmms.transition_work_order(&owner, wo.id, to, input).await?;
        }
    }
    Ok(Demo { login, users, work_orders: plan.len() })
}
