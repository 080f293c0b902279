//! Fixtures shared by the store-level tests: fresh migrated databases in temp dirs and records
//! built straight from the domain structs (no use cases).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use chrono::{DateTime, TimeZone, Utc};
use cmms_core::domain::EntityKind;
use cmms_core::domain::EntityRef;
use cmms_core::domain::asset::{Asset, AssetState};
use cmms_core::domain::audit::AuditDraft;
use cmms_core::domain::event::{EventAudience, EventDraft, EventKind};
use cmms_core::domain::org::{Org, OrgSettings};
use cmms_core::domain::site::{Site, SiteKind};
use cmms_core::domain::status::WorkOrderStatus;
use cmms_core::domain::user::User;
use cmms_core::domain::work_order::{FailureReport, Priority, WorkOrder, WorkOrderType};
use cmms_core::ids::*;
use cmms_core::store::{Changeset, Store, Write};
use cmms_store_sqlite::SqliteStore;
use serde_json::json;
use std::path::PathBuf;
use std::sync::Arc;

/// A store on a fresh database file.
pub struct Db {
    pub store: Arc<SqliteStore>,
    pub path: PathBuf,
    pub dir: tempfile::TempDir,
}

/// A fresh, migrated database.
pub async fn db() -> Db {
    let db = unmigrated().await;
    db.store.migrate().await.unwrap();
    db
}

/// A fresh database that has not been migrated.
pub async fn unmigrated() -> Db {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cmms.db");
    let store = Arc::new(SqliteStore::open(&path).await.unwrap());
    Db { store, path, dir }
}

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

pub async fn seed(store: &SqliteStore, name: &str) -> Seed {
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

/// Commits one write for `org`.
pub async fn put(store: &SqliteStore, org: OrgId, w: Write) {
    let mut cs = Changeset::new();
    cs.push(w);
    store.commit(org, cs).await.unwrap();
}
