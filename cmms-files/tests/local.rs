//! cmms-files against a real local directory and a real SQLite file: bytes round-trip with
//! their checksum, refusals leave no object behind, tampered content fails its download, and
//! a large upload streams through in parts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use bytes::Bytes;
use cmms_core::domain::files::FileRules;
use cmms_core::domain::org::NewOrg;
use cmms_core::domain::work_order::NewWorkOrder;
use cmms_core::domain::{EntityKind, EntityRef};
use cmms_core::{Actor, Cmms, CmmsError};
use cmms_files::{FileStore, Upload};
use cmms_store_sqlite::SqliteStore;
use futures_util::stream;
use sha2::{Digest, Sha256};
use std::sync::Arc;

struct Env {
    cmms: Cmms,
    owner: Actor,
    files: FileStore,
    root: std::path::PathBuf,
    target: EntityRef,
    _dir: tempfile::TempDir,
}

async fn env(rules: FileRules) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("cmms.db")).await.unwrap();
    store.migrate().await.unwrap();
    let cmms = Cmms::new(Arc::new(store)).with_file_rules(rules);
    let boot = cmms
        .bootstrap_org(NewOrg {
            name: "Acme".into(),
            owner_name: "Olivia Owner".into(),
            owner_email: "olivia@acme.test".into(),
            ..NewOrg::default()
        })
        .await
        .unwrap();
    let owner = cmms.actor(boot.org.id, boot.owner.id).await.unwrap();
    let site = cmms
        .create_site(
            &owner,
            cmms_core::domain::site::NewSite {
                name: "Plant".into(),
                code: "P".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let wo = cmms
        .create_work_order(
            &owner,
            NewWorkOrder {
                title: "Pump".into(),
                site_id: Some(site.id),
                ..NewWorkOrder::default()
            },
        )
        .await
        .unwrap();
    let root = dir.path().join("files");
    let files = FileStore::from_url(&format!("file://{}", root.display())).unwrap();
    let target = EntityRef::new(EntityKind::WorkOrder, wo.id);
    Env { cmms, owner, files, root, target, _dir: dir }
}

fn body(
    chunks: Vec<&'static [u8]>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    stream::iter(chunks.into_iter().map(|c| Ok(Bytes::from_static(c))))
}

#[tokio::test]
async fn round_trip_refusals_and_tampering() {
    let e = env(FileRules { max_file_bytes: 64, ..FileRules::default() }).await;
    let text: &'static [u8] = b"pressure 4.2 bar, ";
    let f = e
        .files
        .upload(&e.cmms, &e.owner, e.target, Upload::named("log.txt"), body(vec![text, b"ok\n"]))
        .await
        .unwrap();
    let whole = [text, b"ok\n"].concat();
    assert_eq!(f.sha256, hex::encode(Sha256::digest(&whole)));
    assert_eq!((f.size_bytes, f.content_type.as_str()), (whole.len() as u64, "text/plain"));
    assert!(e.files.exists(&f.content_key).await.unwrap());
    let got = e.files.download(&e.cmms, &e.owner, f.id).await.unwrap().bytes().await.unwrap();
    assert_eq!(got, whole);

    // Refused: too big (counted, not announced), a forbidden type, an interrupted body.
    let big: &'static [u8] = &[b'a'; 65];
    let r = e
        .files
        .upload(&e.cmms, &e.owner, e.target, Upload::named("big.txt"), body(vec![big]))
        .await;
    assert!(matches!(r, Err(CmmsError::TooLarge { limit_bytes: 64, .. })), "{r:?}");
    let exe: &'static [u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00";
    let r =
        e.files.upload(&e.cmms, &e.owner, e.target, Upload::named("a.exe"), body(vec![exe])).await;
    assert!(matches!(r, Err(CmmsError::UnsupportedType { .. })), "{r:?}");
    let broken = stream::iter(vec![
        Ok(Bytes::from_static(b"line one\n")),
        Err(std::io::Error::other("client went away")),
    ]);
    let r = e.files.upload(&e.cmms, &e.owner, e.target, Upload::named("b.txt"), broken).await;
    assert!(matches!(&r, Err(CmmsError::Validation(_))), "{r:?}");
    assert_eq!(e.files.count().await.unwrap(), 1, "refused uploads leave nothing behind");
    assert_eq!(e.cmms.list_attachments(&e.owner, e.target).await.unwrap().len(), 1);

    // Tampered content fails its download instead of passing as the file.
    let on_disk = e.root.join(f.content_key.replace('/', std::path::MAIN_SEPARATOR_STR));
    std::fs::write(&on_disk, b"pressure 9.9 bar, ok\n").unwrap();
    let r = e.files.download(&e.cmms, &e.owner, f.id).await.unwrap().bytes().await;
    assert!(r.is_err(), "a checksum mismatch is an error");

    e.files.delete(&e.cmms, &e.owner, f.id).await.unwrap();
    assert!(!on_disk.exists(), "the content went with its last row");
    assert_eq!(e.files.count().await.unwrap(), 0);
}

#[tokio::test]
async fn a_large_upload_streams_in_parts() {
    let e = env(FileRules::default()).await;
    // 100 MiB generated chunk by chunk: never more than a chunk here, a few parts in the store.
    let chunk = Bytes::from(vec![b'x'; 1 << 20]);
    let mut hasher = Sha256::new();
    for _ in 0..100 {
        hasher.update(&chunk);
    }
    let expected = hex::encode(hasher.finalize());
    let generated = stream::iter((0..100).map(move |_| Ok::<_, std::io::Error>(chunk.clone())));
    let input = Upload { name: "big.txt".into(), length: Some(100 << 20), ..Upload::default() };
    let f = e.files.upload(&e.cmms, &e.owner, e.target, input, generated).await.unwrap();
    assert_eq!((f.size_bytes, f.sha256.as_str()), (100 << 20, expected.as_str()));
    let mut n = 0u64;
    let mut s = Box::pin(e.files.download(&e.cmms, &e.owner, f.id).await.unwrap().into_stream());
    use futures_util::StreamExt;
    while let Some(c) = s.next().await {
        n += c.unwrap().len() as u64;
    }
    assert_eq!(n, 100 << 20);
    let announced =
        Upload { name: "huge.txt".into(), length: Some(200 << 20), ..Upload::default() };
    let r = e.files.upload(&e.cmms, &e.owner, e.target, announced, body(vec![b"x"])).await;
    assert!(matches!(r, Err(CmmsError::TooLarge { .. })), "announced too large: {r:?}");
}
