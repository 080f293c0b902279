//! Attachments from Python: uploads from a path, bytes or a binary file-like object stream into
//! the database's file store (`cmms-files`) chunk by chunk; downloads go to a path (checked
//! before it appears) or come back as bytes. Nothing here decides anything.

use crate::errors::{encode_failed, to_py};
use bytes::Bytes;
use cmms_core::domain::{EntityKind, EntityRef};
use cmms_core::{Actor, Cmms, CmmsError};
use cmms_files::{FileStore, Upload};
use futures_util::stream::{self, BoxStream, StreamExt};
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// Bytes read at a time from a file or a file-like object.
const CHUNK: usize = 1 << 20;

/// Where the bytes of an upload come from.
pub(crate) enum Source {
    Path(String),
    Data(Vec<u8>),
    /// A binary file-like object: `read(n)` is called with the GIL held, chunk by chunk.
    Reader(Py<PyAny>),
}

fn from_path(path: String) -> BoxStream<'static, Result<Bytes, String>> {
    use tokio::io::AsyncReadExt;
    stream::unfold(Some((path, None::<tokio::fs::File>)), |state| async move {
        let (path, file) = state?;
        let mut file = match file {
            Some(f) => f,
            None => match tokio::fs::File::open(&path).await {
                Ok(f) => f,
                Err(e) => return Some((Err(format!("cannot open {path}: {e}")), None)),
            },
        };
        let mut buf = vec![0; CHUNK];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(Bytes::from(buf)), Some((path, Some(file)))))
            }
            Err(e) => Some((Err(format!("cannot read {path}: {e}")), None)),
        }
    })
    .boxed()
}

fn from_reader(reader: Py<PyAny>) -> BoxStream<'static, Result<Bytes, String>> {
    stream::unfold(Some(reader), |state| async move {
        let reader = state?;
        let chunk = Python::attach(|py| -> PyResult<Vec<u8>> {
            let got = reader.call_method1(py, "read", (CHUNK,))?;
            got.extract::<Vec<u8>>(py)
        });
        match chunk {
            Ok(c) if c.is_empty() => None,
            Ok(c) => Some((Ok(Bytes::from(c)), Some(reader))),
            Err(e) => Some((Err(format!("reading the file object failed: {e}")), None)),
        }
    })
    .boxed()
}

fn target(entity_type: &str, entity_id: &str) -> Result<EntityRef, CmmsError> {
    let kind: EntityKind = entity_type.parse()?;
    let id: uuid::Uuid =
        entity_id.parse().map_err(|_| CmmsError::invalid("entity_id", "must be a UUID"))?;
    Ok(EntityRef::new(kind, id))
}

fn no_store() -> PyErr {
    to_py(CmmsError::invalid(
        "files_url",
        "this database was opened without files_url: cmms.open(url, files_url='file:///dir')",
    ))
}

pub(crate) async fn upload(
    cmms: &Cmms,
    files: Option<&FileStore>,
    actor: &Actor,
    (entity_type, entity_id): (String, String),
    name: String,
    content_type: Option<String>,
    source: Source,
) -> PyResult<String> {
    let files = files.ok_or_else(no_store)?;
    let target = target(&entity_type, &entity_id).map_err(to_py)?;
    let (body, length) = match source {
        Source::Path(p) => {
            let length = tokio::fs::metadata(&p).await.ok().map(|m| m.len());
            (from_path(p), length)
        }
        Source::Data(d) => {
            let length = Some(d.len() as u64);
            (stream::iter([Ok(Bytes::from(d))]).boxed(), length)
        }
        Source::Reader(r) => (from_reader(r), None),
    };
    let input = Upload { name, declared_type: content_type, length };
    let file = files.upload(cmms, actor, target, input, body).await.map_err(to_py)?;
    serde_json::to_string(&file).map_err(encode_failed)
}

pub(crate) async fn list(
    cmms: &Cmms,
    actor: &Actor,
    (entity_type, entity_id): (String, String),
) -> PyResult<String> {
    let target = target(&entity_type, &entity_id).map_err(to_py)?;
    let files = cmms.list_attachments(actor, target).await.map_err(to_py)?;
    serde_json::to_string(&files).map_err(encode_failed)
}

fn attachment_id(id: &str) -> PyResult<cmms_core::ids::AttachmentId> {
    id.parse().map_err(to_py)
}

pub(crate) async fn get(cmms: &Cmms, actor: &Actor, id: String) -> PyResult<String> {
    let file = cmms.get_attachment(actor, attachment_id(&id)?).await.map_err(to_py)?;
    serde_json::to_string(&file).map_err(encode_failed)
}

/// The bytes (`path` is `None`) or nothing (written to `path`).
pub(crate) async fn download(
    cmms: &Cmms,
    files: Option<&FileStore>,
    actor: &Actor,
    id: String,
    path: Option<String>,
) -> PyResult<Option<Vec<u8>>> {
    let files = files.ok_or_else(no_store)?;
    let d = files.download(cmms, actor, attachment_id(&id)?).await.map_err(to_py)?;
    match path {
        Some(p) => d.write_to(std::path::Path::new(&p)).await.map(|()| None).map_err(to_py),
        None => d.bytes().await.map(Some).map_err(to_py),
    }
}

pub(crate) async fn delete(
    cmms: &Cmms,
    files: Option<&FileStore>,
    actor: &Actor,
    id: String,
) -> PyResult<String> {
    let files = files.ok_or_else(no_store)?;
    let removed = files.delete(cmms, actor, attachment_id(&id)?).await.map_err(to_py)?;
    serde_json::to_string(&removed).map_err(encode_failed)
}

pub(crate) fn bytes_to_py(py: Python<'_>, data: Option<Vec<u8>>) -> Option<Py<PyBytes>> {
    data.map(|d| PyBytes::new(py, &d).unbind())
}
