//! Attachments: upload (the raw body, named by `?name=` or `Content-Disposition`, or a
//! `multipart/form-data` form with a file field), list,
//! download and delete files on work orders, requests, assets, checklist items and parts. The
//! bytes stream through `cmms-files`; the request body limit does not apply to uploads (the
//! per-file and per-org limits do, counted while streaming).

use super::Op;
use crate::extract::{Caller, ListQuery};
use crate::problem::{ApiError, ApiResult};
use crate::reply::{Ids, created};
use crate::state::AppState;
use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use cmms_core::domain::files::AttachedFile;
use cmms_core::domain::{EntityKind, EntityRef};
use cmms_core::ids::{AttachmentId, ChecklistItemId, WorkOrderId};
use cmms_core::{Actor, CmmsError};
use cmms_files::Upload;
use schemars::JsonSchema;
use serde::Deserialize;
use uuid::Uuid;

/// How an upload is named.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct UploadQuery {
    /// File name (else the `filename` of `Content-Disposition`).
    #[serde(default)]
    name: Option<String>,
}

/// The `filename` of a `Content-Disposition` header (`filename*=UTF-8''…` preferred).
fn disposition_name(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::CONTENT_DISPOSITION)?.to_str().ok()?;
    let params: Vec<(&str, &str)> = value
        .split(';')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect();
    let extended = params.iter().find(|(k, _)| k.eq_ignore_ascii_case("filename*"));
    if let Some((_, v)) = extended {
        let encoded = v.split_once("''").map_or(*v, |(_, rest)| rest);
        return Some(percent_decode(encoded));
    }
    let plain = params.iter().find(|(k, _)| k.eq_ignore_ascii_case("filename"))?;
    Some(plain.1.trim_matches('"').to_string())
}

fn percent_decode(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len());
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn upload(
    s: AppState,
    a: Actor,
    target: EntityRef,
    q: UploadQuery,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let header_text = |h| headers.get(h).and_then(|v: &HeaderValue| v.to_str().ok());
    let multipart = header_text(header::CONTENT_TYPE)
        .filter(|c| c.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"));
    if let Some(ct) = multipart {
        return upload_form(s, a, target, q, ct, body).await;
    }
    let name = q.name.or_else(|| disposition_name(&headers)).unwrap_or_default();
    let input = Upload {
        name,
        declared_type: header_text(header::CONTENT_TYPE).map(str::to_string),
        length: header_text(header::CONTENT_LENGTH).and_then(|v| v.parse().ok()),
    };
    let file = s.files().upload(s.cmms(), &a, target, input, body.into_data_stream()).await?;
    Ok(created(None, &file))
}

fn bad_form(e: multer::Error) -> CmmsError {
    CmmsError::invalid("body", format!("not a valid multipart form: {e}"))
}

/// A `multipart/form-data` upload: the first field with a file name (or named `file`) is the
/// file, streamed like a raw body; other fields are ignored.
async fn upload_form(
    s: AppState,
    a: Actor,
    target: EntityRef,
    q: UploadQuery,
    content_type: &str,
    body: Body,
) -> ApiResult<Response> {
    let boundary = multer::parse_boundary(content_type).map_err(bad_form)?;
    let mut form = multer::Multipart::new(body.into_data_stream(), boundary);
    let field = loop {
        match form.next_field().await.map_err(bad_form)? {
            Some(f) if f.file_name().is_some() || f.name() == Some("file") => break f,
            Some(_) => {}
            None => return Err(CmmsError::invalid("file", "the form has no file field").into()),
        }
    };
    let input = Upload {
        name: q.name.or_else(|| field.file_name().map(str::to_string)).unwrap_or_default(),
        declared_type: field.content_type().map(|m| m.to_string()),
        length: None,
    };
    let file = s.files().upload(s.cmms(), &a, target, input, field).await?;
    Ok(created(None, &file))
}

async fn list(s: AppState, a: Actor, target: EntityRef) -> ApiResult<Json<Vec<AttachedFile>>> {
    Ok(Json(s.cmms().list_attachments(&a, target).await?))
}

/// The upload and list handlers of one kind of entity addressed by `/{id}`.
fn routes_for(kind: EntityKind) -> (MethodRouter<AppState>, MethodRouter<AppState>) {
    let up = post(
        move |State(s): State<AppState>,
              Caller(a): Caller,
              Ids(id): Ids<Uuid>,
              ListQuery(q): ListQuery<UploadQuery>,
              headers: HeaderMap,
              body: Body| async move {
            upload(s, a, EntityRef::new(kind, id), q, headers, body).await
        },
    )
    .layer(DefaultBodyLimit::disable());
    let ls =
        get(move |State(s): State<AppState>, Caller(a): Caller, Ids(id): Ids<Uuid>| async move {
            list(s, a, EntityRef::new(kind, id)).await
        });
    (up, ls)
}

async fn item_target(
    s: &AppState,
    a: &Actor,
    (wo, item): (WorkOrderId, ChecklistItemId),
) -> Result<EntityRef, CmmsError> {
    s.cmms().checklist_item_target(a, wo, item).await
}

async fn upload_to_item(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(ids): Ids<(WorkOrderId, ChecklistItemId)>,
    ListQuery(q): ListQuery<UploadQuery>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let target = item_target(&s, &a, ids).await?;
    upload(s, a, target, q, headers, body).await
}

async fn list_of_item(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(ids): Ids<(WorkOrderId, ChecklistItemId)>,
) -> ApiResult<Json<Vec<AttachedFile>>> {
    let target = item_target(&s, &a, ids).await?;
    list(s, a, target).await
}

/// `attachment; filename="ascii"; filename*=UTF-8''percent-encoded` (RFC 6266).
fn disposition(name: &str) -> HeaderValue {
    let ascii: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' { c } else { '_' })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"))
        .unwrap_or_else(|_| HeaderValue::from_static("attachment"))
}

async fn download(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<AttachmentId>,
) -> ApiResult<Response> {
    let d = s.files().download(s.cmms(), &a, id).await?;
    let ctype = HeaderValue::from_str(&d.file.content_type)
        .map_err(|_| ApiError::from(CmmsError::store("stored content type is not a header")))?;
    let headers = [
        (header::CONTENT_TYPE, ctype),
        (header::CONTENT_LENGTH, HeaderValue::from(d.file.size_bytes)),
        (header::CONTENT_DISPOSITION, disposition(&d.file.name)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
    ];
    Ok((StatusCode::OK, headers, Body::from_stream(d.into_stream())).into_response())
}

async fn remove(
    State(s): State<AppState>,
    Caller(a): Caller,
    Ids(id): Ids<AttachmentId>,
) -> ApiResult<StatusCode> {
    s.files().delete(s.cmms(), &a, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

pub(super) fn ops() -> Vec<Op> {
    // (path, kind, upload operation, list operation)
    const OWNERS: [(&str, EntityKind, &str, &str); 4] = [
        (
            "/work-orders/{id}/attachments",
            EntityKind::WorkOrder,
            "uploadWorkOrderAttachment",
            "listWorkOrderAttachments",
        ),
        (
            "/requests/{id}/attachments",
            EntityKind::Request,
            "uploadRequestAttachment",
            "listRequestAttachments",
        ),
        (
            "/assets/{id}/attachments",
            EntityKind::Asset,
            "uploadAssetAttachment",
            "listAssetAttachments",
        ),
        (
            "/parts/{id}/attachments",
            EntityKind::Part,
            "uploadPartAttachment",
            "listPartAttachments",
        ),
    ];
    let mut ops = Vec::new();
    for (path, kind, up_id, list_id) in OWNERS {
        let (up, ls) = routes_for(kind);
        ops.push(
            Op::post(
                path,
                up_id,
                "Attach a file (the raw body named by ?name=, or a multipart form)",
                up,
            )
            .query::<UploadQuery>()
            .raw_body()
            .returns::<AttachedFile>(201),
        );
        ops.push(
            Op::get(path, list_id, "Attached files, oldest first", ls)
                .returns::<Vec<AttachedFile>>(200),
        );
    }
    let item = "/work-orders/{id}/checklist/{item_id}/attachments";
    let up = post(upload_to_item).layer(DefaultBodyLimit::disable());
    ops.push(
        Op::post(item, "uploadChecklistItemAttachment", "Attach a file to a checklist item", up)
            .query::<UploadQuery>()
            .raw_body()
            .returns::<AttachedFile>(201),
    );
    ops.push(
        Op::get(
            item,
            "listChecklistItemAttachments",
            "A checklist item's files",
            get(list_of_item),
        )
        .returns::<Vec<AttachedFile>>(200),
    );
    ops.push(
        Op::get(
            "/attachments/{id}",
            "downloadAttachment",
            "Download a file (checksum verified)",
            get(download),
        )
        .media("application/octet-stream"),
    );
    ops.push(Op::delete("/attachments/{id}", "deleteAttachment", "Remove a file", delete(remove)));
    ops
}
