//! Attachments over HTTP with the local directory store, on both stores: upload → list →
//! download (headers, checksum) → delete removes the file; another organization's attachment
//! is 404; oversize and forbidden types are problem+json with nothing stored; a request's files
//! carry over to its work order sharing content; a 100 MiB upload streams through.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{Kind, Srv, start, start_with};
use futures_util::StreamExt;
use serde_json::{Value, json};
use sha2_hmac::{Digest, Sha256};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01";

/// Every file under the server's attachment directory (staged parts included).
fn stored_files(s: &Srv) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() { walk(&p, out) } else { out.push(p) }
        }
    }
    let mut out = Vec::new();
    walk(s.files_dir.path(), &mut out);
    out
}

async fn work_order(s: &Srv, org: &common::Org) -> String {
    let site = s.site(org, "A1").await;
    let wo = s.work_order(&org.owner, json!({ "title": "Pump 4", "site_id": site })).await;
    wo["id"].as_str().unwrap().to_string()
}

async fn upload_list_download_delete(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Files").await;
    let t = &org.owner;
    let wo = work_order(&s, &org).await;
    let at = format!("/api/v1/work-orders/{wo}/attachments");
    let f = s.upload(&at, t, "leak photo.png", PNG.to_vec()).await.expect(201);
    assert_eq!(f["name"], "leak photo.png");
    assert_eq!(f["content_type"], "image/png");
    assert_eq!(f["size_bytes"], PNG.len());
    assert_eq!(f["sha256"], hex(&Sha256::digest(PNG)));
    assert_eq!(
        (f["entity_type"].as_str(), f["entity_id"].as_str()),
        (Some("work_order"), Some(wo.as_str()))
    );
    assert!(f.get("content_key").is_none(), "storage keys stay inside");
    assert_eq!(stored_files(&s).len(), 1);

    // Named by Content-Disposition instead of ?name=.
    let r = s
        .http
        .post(s.url(&at))
        .bearer_auth(t)
        .header("content-disposition", "attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.txt")
        .header("content-type", "text/csv")
        .body("a,b\n1,2\n")
        .send()
        .await
        .unwrap();
    let csv = common::into_res(r).await.expect(201);
    assert_eq!(
        (csv["name"].as_str(), csv["content_type"].as_str()),
        (Some("résumé.txt"), Some("text/csv"))
    );

    // A browser's multipart form: the file field streams like a raw body.
    let form = "--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nignored\r\n--XyZ\r\n\
                Content-Disposition: form-data; name=\"file\"; filename=\"gauge.png\"\r\n\
                Content-Type: image/png\r\n\r\n";
    let mut body = form.as_bytes().to_vec();
    body.extend_from_slice(PNG);
    body.extend_from_slice(b"\r\n--XyZ--\r\n");
    let r = s.http.post(s.url(&at)).bearer_auth(t);
    let r = r.header("content-type", "multipart/form-data; boundary=XyZ").body(body).send().await;
    let g = common::into_res(r.unwrap()).await.expect(201);
    assert_eq!(
        (g["name"].as_str(), g["size_bytes"].as_u64()),
        (Some("gauge.png"), Some(PNG.len() as u64))
    );
    assert_eq!(g["sha256"], f["sha256"]);
    s.delete(&format!("/api/v1/attachments/{}", g["id"].as_str().unwrap()), t).await.expect(204);

    let list = s.get(&at, t).await.expect(200);
    assert_eq!(
        list.as_array().unwrap().iter().map(|f| f["id"].clone()).collect::<Vec<_>>(),
        vec![f["id"].clone(), csv["id"].clone()]
    );

    let id = f["id"].as_str().unwrap();
    let r = s
        .http
        .get(s.url(&format!("/api/v1/attachments/{id}")))
        .bearer_auth(t)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let h = |n: &str| r.headers().get(n).unwrap().to_str().unwrap().to_string();
    assert_eq!(h("content-type"), "image/png");
    assert_eq!(h("content-length"), PNG.len().to_string());
    assert_eq!(h("x-content-type-options"), "nosniff");
    assert_eq!(
        h("content-disposition"),
        "attachment; filename=\"leak_photo.png\"; filename*=UTF-8''leak%20photo.png"
    );
    let body = r.bytes().await.unwrap();
    assert_eq!(hex(&Sha256::digest(&body)), f["sha256"].as_str().unwrap());

    s.delete(&format!("/api/v1/attachments/{id}"), t).await.expect(204);
    assert_eq!(stored_files(&s).len(), 1, "the PNG's file is gone, the CSV's stays");
    s.get(&format!("/api/v1/attachments/{id}"), t).await.problem(404, "not_found");
    assert_eq!(s.get(&at, t).await.expect(200).as_array().unwrap().len(), 1);
    s.shutdown().await;
}

async fn another_orgs_attachment_is_not_found(kind: Kind) {
    let s = start(kind).await;
    let a = s.org("Alpha").await;
    let b = s.org("Beta").await;
    let wo = work_order(&s, &a).await;
    let at = format!("/api/v1/work-orders/{wo}/attachments");
    let f = s.upload(&at, &a.owner, "plate.png", PNG.to_vec()).await.expect(201);
    let one = format!("/api/v1/attachments/{}", f["id"].as_str().unwrap());
    s.get(&one, &b.owner).await.problem(404, "not_found");
    s.delete(&one, &b.owner).await.problem(404, "not_found");
    s.get(&at, &b.owner).await.problem(404, "not_found");
    s.upload(&at, &b.owner, "x.png", PNG.to_vec()).await.problem(404, "not_found");
    assert_eq!(stored_files(&s).len(), 1, "B stored nothing");
    s.get(&one, &a.owner).await.expect(200);
    s.shutdown().await;
}

async fn refusals_store_nothing(kind: Kind) {
    let s = start_with(kind, |a| a.files_max_bytes = 1024).await;
    let org = s.org("Strict").await;
    let t = &org.owner;
    let wo = work_order(&s, &org).await;
    let at = format!("/api/v1/work-orders/{wo}/attachments");
    let p = s.upload(&at, t, "big.txt", vec![b'a'; 4096]).await.problem(413, "payload_too_large");
    assert!(p["detail"].as_str().unwrap().contains("1024"), "{p}");
    // Counted while streaming too, whatever the client announces.
    let chunks =
        futures_util::stream::iter((0..4).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 512])));
    let r = s.http.post(s.url(&format!("{at}?name=s.txt"))).bearer_auth(t);
    let r = r.body(reqwest::Body::wrap_stream(chunks)).send().await.unwrap();
    common::into_res(r).await.problem(413, "payload_too_large");
    let exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff".to_vec();
    s.upload(&at, t, "tool.exe", exe).await.problem(415, "unsupported_media_type");
    s.upload(&at, t, "page.html", b"<html><script>alert(1)</script></html>".to_vec())
        .await
        .problem(415, "unsupported_media_type");
    let r = s.http.post(s.url(&at)).bearer_auth(t).body("no name").send().await.unwrap();
    common::into_res(r).await.problem(422, "validation_failed");
    s.upload(&at, t, "../../etc/passwd", b"x".to_vec()).await.problem(422, "validation_failed");
    assert!(stored_files(&s).is_empty(), "nothing stored: {:?}", stored_files(&s));
    assert_eq!(s.get(&at, t).await.expect(200), json!([]));
    s.shutdown().await;
}

async fn carry_over_shares_content(kind: Kind) {
    let s = start(kind).await;
    let org = s.org("Intake").await;
    let t = &org.owner;
    let site = s.site(&org, "RQ").await;
    let rq = s
        .post("/api/v1/requests", t, json!({ "title": "Window", "site_id": site }))
        .await
        .expect(201);
    let rq_id = rq["id"].as_str().unwrap();
    let f = s
        .upload(&format!("/api/v1/requests/{rq_id}/attachments"), t, "w.png", PNG.to_vec())
        .await
        .expect(201);
    s.post(&format!("/api/v1/requests/{rq_id}/submit"), t, json!({})).await.expect(200);
    let approved =
        s.post(&format!("/api/v1/requests/{rq_id}/approve"), t, json!({})).await.expect(200);
    let wo = approved["work_order"]["id"].as_str().unwrap();
    let carried = s.get(&format!("/api/v1/work-orders/{wo}/attachments"), t).await.expect(200);
    let c = &carried[0];
    assert_eq!(
        (&c["content_id"], &c["sha256"], &c["name"]),
        (&f["content_id"], &f["sha256"], &f["name"])
    );
    assert_ne!(c["id"], f["id"]);
    assert_eq!(stored_files(&s).len(), 1, "nothing copied");
    s.delete(&format!("/api/v1/attachments/{}", f["id"].as_str().unwrap()), t).await.expect(204);
    assert_eq!(stored_files(&s).len(), 1, "the work order still points at it");
    let one = format!("/api/v1/attachments/{}", c["id"].as_str().unwrap());
    let r = s.http.get(s.url(&one)).bearer_auth(t).send().await.unwrap();
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    s.delete(&one, t).await.expect(204);
    assert!(stored_files(&s).is_empty());
    s.shutdown().await;
}

both_stores!(
    upload_list_download_delete,
    another_orgs_attachment_is_not_found,
    refusals_store_nothing,
    carry_over_shares_content,
);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// 100 MiB made on the fly, far over the 1 MiB body limit of JSON routes: streamed in, streamed
/// out, checksum equal. (The store does not matter here: SQLite only.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_100_mib_upload_streams_through() {
    let s = start(Kind::Sqlite).await;
    let org = s.org("Big").await;
    let t = &org.owner;
    let wo = work_order(&s, &org).await;
    const MIB: usize = 1 << 20;
    let chunk = |i: usize| -> Vec<u8> { (0..MIB).map(|j| b'a' + ((i + j) % 26) as u8).collect() };
    let mut expected = Sha256::new();
    for i in 0..100 {
        expected.update(chunk(i));
    }
    let expected = hex(&expected.finalize());
    let body = futures_util::stream::iter((0..100).map(move |i| Ok::<_, std::io::Error>(chunk(i))));
    let url = s.url(&format!("/api/v1/work-orders/{wo}/attachments?name=big.txt"));
    let r = s
        .http
        .post(url)
        .bearer_auth(t)
        .body(reqwest::Body::wrap_stream(body))
        .send()
        .await
        .unwrap();
    let f: Value = common::into_res(r).await.expect(201);
    assert_eq!(
        (f["size_bytes"].as_u64(), f["sha256"].as_str()),
        (Some(100 * MIB as u64), Some(expected.as_str()))
    );
    let one = format!("/api/v1/attachments/{}", f["id"].as_str().unwrap());
    let r = s.http.get(s.url(&one)).bearer_auth(t).send().await.unwrap();
    assert_eq!(r.headers()["content-length"], (100 * MIB).to_string().as_str());
    let mut got = Sha256::new();
    let mut stream = r.bytes_stream();
    while let Some(c) = stream.next().await {
        got.update(c.unwrap());
    }
    assert_eq!(hex(&got.finalize()), expected);
    s.shutdown().await;
}
