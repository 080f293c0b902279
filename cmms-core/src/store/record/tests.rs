//! The descriptions are consistent, their conversions are inverse, and a disagreement between a
//! description and its functions is an error naming the column.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use super::*;
use crate::domain::api_key::ApiKey;
use crate::domain::attachment::Attachment;
use crate::domain::credential::Credential;
use crate::domain::org::{Org, OrgSettings};
use crate::domain::status::WorkOrderStatus;
use crate::domain::team::Team;
use crate::domain::user::RoleGrant;
use crate::domain::work_order::{FailureReport, Priority, WorkOrder, WorkOrderType};
use crate::ids::*;
use crate::rbac::{BuiltinRole, RoleRef};
use chrono::{DateTime, TimeZone, Utc};
use std::collections::HashSet;

fn at(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(1_780_000_000 + s, 123_456_000).unwrap()
}

/// What a store does: values in, owned values back, read by position.
fn round_trip<T: Record + Clone + PartialEq>(r: &T) -> T {
    let mut values: Vec<Value<'static>> =
        r.to_values().unwrap().into_iter().map(Value::into_owned).collect();
    let rows = Rows::new(T::TABLE, std::mem::take(&mut values)).unwrap();
    rows.decode::<T>().unwrap().pop().unwrap()
}

#[test]
fn every_description_is_consistent() {
    let mut names = HashSet::new();
    for t in TABLES {
        assert!(names.insert(t.name), "{} is described twice", t.name);
        let mut cols = HashSet::new();
        for c in t.columns {
            assert!(cols.insert(c.name), "{}.{} is listed twice", t.name, c.name);
            if c.join.is_some() {
                assert_eq!(c.ty, ColumnType::UuidList, "{}.{}", t.name, c.name);
            }
        }
        let id = t.column(t.id_column()).unwrap_or_else(|| panic!("{}: no id column", t.name));
        assert_eq!((id.ty, id.nullable), (ColumnType::Uuid, false), "{}", t.name);
        if let Key::Org(_) = t.key {
            assert_eq!(t.columns[0].name, "org_id", "{}: org_id comes first", t.name);
        }
        let version = t.column("version");
        assert_eq!(version.is_some(), t.versioned, "{}: version column iff versioned", t.name);
        if let Some(v) = version {
            assert_eq!((v.ty, v.nullable), (ColumnType::Int, false), "{}", t.name);
        }
        if let Some(p) = t.parent {
            assert_eq!(t.column(p).map(|c| c.ty), Some(ColumnType::Uuid), "{}.{p}", t.name);
        }
        assert!(!t.order.is_empty(), "{}: lists need an order", t.name);
        for o in t.order {
            assert!(
                t.column(o.column).is_some_and(|c| c.join.is_none()),
                "{}.{}",
                t.name,
                o.column
            );
        }
    }
}

#[test]
fn records_survive_their_values() {
    let org = OrgId::new();
    let wo = WorkOrder {
        id: WorkOrderId::new(),
        org_id: org,
        number: "WO-2026-00042".into(),
        title: "Pump ✓".into(),
        description: Some("leaks".into()),
        wo_type: WorkOrderType::Inspection,
        priority: Priority::Urgent,
        category: Some("hydraulics".into()),
        status: WorkOrderStatus::OnHold,
        site_id: SiteId::new(),
        location_id: Some(LocationId::new()),
        asset_id: Some(AssetId::new()),
        assignees: vec![UserId::new(), UserId::new()],
        team_id: Some(TeamId::new()),
        requested_by: Some(UserId::new()),
        created_by: Some(UserId::new()),
        request_id: Some(RequestId::new()),
        pm_plan_id: None,
        pm_slot_id: None,
        due_at: Some(at(1)),
        estimated_hours: Some(2.5),
        actual_start: Some(at(2)),
        actual_end: Some(at(3)),
        verified_by: Some(UserId::new()),
        verified_at: Some(at(4)),
        closed_at: Some(at(5)),
        completion_notes: Some("done".into()),
        failure: FailureReport {
            problem: Some("P1".into()),
            cause: Some("C1".into()),
            remedy: Some("R1".into()),
        },
        attachments: vec![Attachment {
            name: "a.jpg".into(),
            content_type: "image/jpeg".into(),
            size_bytes: 3,
            storage_key: "k".into(),
        }],
        created_at: at(0),
        updated_at: at(6),
        version: 7,
    };
    assert_eq!(round_trip(&wo), wo);
    let bare = WorkOrder {
        description: None,
        category: None,
        assignees: Vec::new(),
        estimated_hours: None,
        failure: FailureReport::default(),
        attachments: Vec::new(),
        ..wo.clone()
    };
    assert_eq!(round_trip(&bare), bare);

    let team = Team {
        id: TeamId::new(),
        org_id: org,
        name: "Night shift".into(),
        site_id: None,
        members: vec![UserId::new()],
        created_at: at(0),
        updated_at: at(1),
        version: 1,
    };
    assert_eq!(round_trip(&team), team);

    let builtin = RoleGrant {
        id: GrantId::new(),
        org_id: org,
        user_id: UserId::new(),
        role: RoleRef::Builtin(BuiltinRole::Technician),
        sites: Some(vec![SiteId::new()]),
        granted_by: None,
        granted_at: at(0),
    };
    assert_eq!(round_trip(&builtin), builtin);
    let custom = RoleGrant { role: RoleRef::Custom(RoleId::new()), sites: None, ..builtin };
    assert_eq!(round_trip(&custom), custom);

    let (key, _) = ApiKey::create(
        org,
        crate::domain::api_key::NewApiKey {
            name: "erp".into(),
            role: RoleRef::Custom(RoleId::new()),
            sites: None,
        },
        UserId::new(),
        at(0),
    )
    .unwrap();
    assert_eq!(round_trip(&key), key);

    let mut cred = Credential::new(org, UserId::new(), at(0));
    cred.failed_logins = 3;
    cred.locked_until = Some(at(9));
    assert_eq!(round_trip(&cred), cred);

    let o = Org {
        id: org,
        name: "Acme".into(),
        slug: "acme".into(),
        settings: OrgSettings::default(),
        created_at: at(0),
        updated_at: at(0),
        version: 1,
    };
    assert_eq!(round_trip(&o), o);
}

#[test]
fn values_that_disagree_with_the_description_are_refused_by_name() {
    let mut v = Values::new(&SITES);
    v.uuid(OrgId::new()).uuid(SiteId::new()).text("n");
    assert_eq!(
        v.finish().unwrap_err().to_string(),
        "backend: sites has 11 columns but the record gave 3 values"
    );
    let mut v = Values::new(&TEAMS);
    v.uuid(OrgId::new()).uuid(TeamId::new()).opt_text(None);
    v.opt_uuid(None::<SiteId>).uuids::<UserId>(&[]).ts(at(0)).ts(at(0)).int(1);
    assert_eq!(
        v.finish().unwrap_err().to_string(),
        "backend: teams.name is text but the record gave NULL"
    );
    let mut v = Values::new(&USERS);
    v.uuid(OrgId::new()).uuid(UserId::new()).text("n").text("e").int(1);
    v.ts(at(0)).ts(at(0)).int(1);
    assert_eq!(
        v.finish().unwrap_err().to_string(),
        "backend: users.active is boolean but the record gave integer"
    );
}

#[test]
fn stored_values_that_disagree_are_errors_naming_the_column() {
    let mut row = vec![Value::Uuid(uuid::Uuid::nil()), Value::Text("not an id".into())];
    let mut src = ValuesSource::new(&mut row);
    let mut r = Reader::new(&SITES, &mut src);
    assert!(r.uuid::<OrgId>().is_ok());
    assert_eq!(
        r.uuid::<SiteId>().unwrap_err().to_string(),
        "backend: sites.id: expected uuid, found text"
    );
    assert_eq!(
        r.text().unwrap_err().to_string(),
        "backend: sites.name: expected text, found the end of the row"
    );
    let mut row = vec![Value::Text("rocket".into())];
    let mut src = ValuesSource::new(&mut row);
    let mut r = Reader::new(&SITES, &mut src);
    let e = r.parse::<crate::domain::site::SiteKind>().unwrap_err().to_string();
    assert!(e.starts_with("backend: sites.org_id: expected a known name, found "), "{e}");
    assert!(e.contains("unknown value 'rocket'"), "{e}");
    assert!(Rows::new(&SITES, vec![Value::Null; 12]).is_err());
    let rows = Rows::new(&SITES, vec![Value::Null; 11]).unwrap();
    assert_eq!(
        rows.decode::<Team>().unwrap_err().to_string(),
        "backend: rows of sites decoded as teams"
    );
}

#[test]
fn selects_name_only_columns_of_their_type() {
    assert!(Select::new(&USERS).eq("email", "a@b.c".to_string()).check().is_ok());
    assert!(Select::new(&USERS).eq("active", "yes".to_string()).check().is_err());
    assert!(Select::new(&USERS).eq("email; DROP TABLE users", true).check().is_err());
    assert!(Select::new(&TEAMS).any_of("members", vec![]).check().is_err());
    assert!(Select::new(&USERS).any_of("id", vec![]).check().is_ok());
    assert!(Select::by_id(&USERS, uuid::Uuid::nil()).is_by_id());
    assert!(!Select::new(&USERS).eq("email", "x".to_string()).is_by_id());
}
