//! Three replicas on one PostgreSQL database run the notification consumer at once, while
//! work is being assigned: every (event, recipient) gets exactly one notification, because the
//! cursor row is only ever written with its version (and leased while a replica works).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use cmms_core::Cmms;
use cmms_core::domain::user::NewUser;
use cmms_core::domain::work_order::NewWorkOrder;
use cmms_core::rbac::{BuiltinRole, RoleRef};
use cmms_store_postgres::testing::{TestServer, owner_connection};

mod common;
use common::{org, store};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_deliver_each_notification_once() {
    let url = TestServer::fresh_database().await;
    let replicas: Vec<Cmms> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(Cmms::new(store(&url, 4).await));
        }
        v
    };
    let (owner, site) = org(&replicas[0], "Replicas").await;
    let mut techs = Vec::new();
    for i in 0..2 {
        let input = NewUser {
            name: format!("Tech {i}"),
            email: format!("tech{i}@replicas.test"),
            role: Some(RoleRef::Builtin(BuiltinRole::Technician)),
            sites: None,
        };
        techs.push(replicas[0].create_user(&owner, input).await.unwrap().0.id);
    }
    const WORK: usize = 30;
    let writer = {
        let cmms = replicas[0].clone();
        let (owner, techs) = (owner.clone(), techs.clone());
        tokio::spawn(async move {
            for i in 0..WORK {
                let input = NewWorkOrder {
                    title: format!("Job {i}"),
                    site_id: Some(site),
                    assignees: techs.clone(),
                    ..NewWorkOrder::default()
                };
                cmms.create_work_order(&owner, input).await.unwrap();
            }
        })
    };
    let consumers: Vec<_> = replicas
        .iter()
        .cloned()
        .map(|cmms| {
            tokio::spawn(async move {
                let mut delivered = 0;
                for _ in 0..40 {
                    delivered += cmms.deliver_notifications(cmms.now()).await.unwrap().in_app;
                    tokio::task::yield_now().await;
                }
                delivered
            })
        })
        .collect();
    writer.await.unwrap();
    let mut delivered = 0;
    for c in consumers {
        delivered += c.await.unwrap();
    }
    // Whatever the race left behind, one more run (on any replica) finishes it.
    loop {
        let r = replicas[1].deliver_notifications(replicas[1].now()).await.unwrap();
        delivered += r.in_app;
        if r.pending == 0 && r.busy == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let expected = (WORK * techs.len()) as u64;
    assert_eq!(delivered, expected, "the replicas' reports add up to one per recipient");
    let mut c = owner_connection(&url).await;
    let (rows, distinct): (i64, i64) =
        sqlx::query_as("SELECT count(*), count(DISTINCT (event_seq, user_id)) FROM notifications")
            .fetch_one(&mut c)
            .await
            .unwrap();
    assert_eq!((rows as u64, distinct as u64), (expected, expected));
}
