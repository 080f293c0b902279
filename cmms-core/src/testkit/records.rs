//! Records built straight from the domain structs (no use cases), for store-level tests that
//! hand-build changesets: both stores' group-commit and write tests use them.

use crate::domain::EntityKind;
use crate::domain::EntityRef;
use crate::domain::asset::{Asset, AssetState};
use crate::domain::audit::AuditDraft;
use crate::domain::event::{EventAudience, EventDraft, EventKind};
use crate::domain::org::{Org, OrgSettings};
use crate::domain::site::{Site, SiteKind};
use crate::domain::status::WorkOrderStatus;
use crate::domain::user::User;
use crate::domain::work_order::{FailureReport, Priority, WorkOrder, WorkOrderType};
use crate::ids::*;
use crate::store::{Changeset, Store, Write};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

/// 2026-01-01T00:00:00Z plus `micros` microseconds.
pub fn at(micros: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::TimeDelta::microseconds(micros)
}

pub fn org_rec(name: &str) -> Org {
    let id = OrgId::new();
    Org {
        id,
        name: name.into(),
        // Slugs are unique across organizations.
        slug: format!("org-{}", id.uuid().simple()),
        settings: OrgSettings::default(),
        created_at: at(0),
        updated_at: at(0),
        version: 1,
    }
}

pub fn site_rec(org: OrgId, code: &str) -> Site {
    Site {
        id: SiteId::new(),
        org_id: org,
        name: format!("Site {code}"),
        code: code.into(),
        kind: SiteKind::Plant,
        time_zone: "Europe/Berlin".into(),
        address: None,
        active: true,
        created_at: at(1),
        updated_at: at(1),
        version: 1,
    }
}

pub fn user_rec(org: OrgId, email: &str) -> User {
    User {
        id: UserId::new(),
        org_id: org,
        name: email.split('@').next().unwrap_or("user").into(),
        email: email.into(),
        active: true,
        created_at: at(2),
        updated_at: at(2),
        version: 1,
    }
}

pub fn asset_rec(org: OrgId, site: SiteId, code: &str, parent: Option<AssetId>) -> Asset {
    Asset {
        id: AssetId::new(),
        org_id: org,
        site_id: site,
        location_id: None,
        parent_id: parent,
        name: format!("Asset {code}"),
        code: code.into(),
        category: None,
        manufacturer: None,
        model: None,
        serial_number: None,
        criticality: 3,
        state: AssetState::Operating,
        specifications: json!({}),
        custom_fields: json!({}),
        created_at: at(3),
        updated_at: at(3),
        version: 1,
    }
}

pub fn wo_rec(org: OrgId, site: SiteId, number: &str) -> WorkOrder {
    WorkOrder {
        id: WorkOrderId::new(),
        org_id: org,
        number: number.into(),
        title: format!("Fix {number}"),
        description: None,
        wo_type: WorkOrderType::Corrective,
        priority: Priority::Medium,
        category: None,
        status: WorkOrderStatus::Open,
        site_id: site,
        location_id: None,
        asset_id: None,
        assignees: Vec::new(),
        team_id: None,
        requested_by: None,
        created_by: None,
        request_id: None,
        pm_plan_id: None,
        pm_slot_id: None,
        due_at: None,
        estimated_hours: None,
        actual_start: None,
        actual_end: None,
        verified_by: None,
        verified_at: None,
        closed_at: None,
        completion_notes: None,
        failure: FailureReport::default(),
        attachments: Vec::new(),
        created_at: at(10),
        updated_at: at(10),
        version: 1,
    }
}

pub fn audit(action: &str, entity: impl Into<uuid::Uuid>, after: serde_json::Value) -> AuditDraft {
    AuditDraft {
        at: at(20),
        actor_id: None,
        action: action.into(),
        entity: EntityRef::new(EntityKind::WorkOrder, entity),
        before: None,
        after: Some(after),
        request_id: Some("req-1".into()),
    }
}

pub fn event(
    kind: EventKind,
    entity: impl Into<uuid::Uuid>,
    payload: serde_json::Value,
) -> EventDraft {
    EventDraft {
        kind,
        entity: EntityRef::new(EntityKind::WorkOrder, entity),
        actor_id: None,
        audience: EventAudience::default(),
        payload,
        at: at(21),
    }
}

/// An org with one site and one user, committed.
pub struct Seed {
    pub org: OrgId,
    pub site: Site,
    pub user: User,
}

pub async fn seed(store: &dyn Store, name: &str) -> Seed {
    let org = org_rec(name);
    let site = site_rec(org.id, "PLANT1");
    let user = user_rec(org.id, &format!("owner@{}.example", name.to_lowercase()));
    let mut cs = Changeset::new();
    cs.push(Write::AppendAudit(audit("org.create", org.id, json!({"name": name}))));
    cs.push(Write::insert(org.clone()));
    cs.push(Write::insert(site.clone()));
    cs.push(Write::insert(user.clone()));
    store.commit(org.id, cs).await.unwrap();
    Seed { org: org.id, site, user }
}
