//! The content side of cmms attachments: files stream into an object store — a local directory
//! (`file:///var/lib/cmms/files`) or S3-compatible storage (`s3://bucket/prefix`, configured by
//! the usual `AWS_*` environment variables) — while they are hashed and counted, and stream back
//! out with their SHA-256 checked. The rules (who may attach, which types, how big) are
//! `cmms-core`'s; this crate drives them around the bytes:
//!
//! 1. `Cmms::begin_attachment` — may the actor edit the entity, is the name fine, how many bytes
//!    are left;
//! 2. the first bytes are sniffed (`Cmms::check_attachment_type`) before anything is stored;
//! 3. the bytes go into a multipart upload, aborted at the limit (a 100 MB file never sits in
//!    memory: at most one part of [`PART_BYTES`] is buffered);
//! 4. `Cmms::finish_attachment` commits the metadata; if it refuses, the stored object is
//!    deleted again.
//!
//! ```no_run
//! # async fn demo(cmms: cmms_core::Cmms, actor: cmms_core::Actor, wo: cmms_core::ids::WorkOrderId) -> cmms_core::Result<()> {
//! use cmms_core::domain::{EntityKind, EntityRef};
//! use cmms_files::{FileStore, Upload};
//! let files = FileStore::from_url("file:///var/lib/cmms/files")?;
//! let chunk = bytes::Bytes::from_static(b"gauge reads 4 bar");
//! let body = futures_util::stream::iter([Ok::<_, std::io::Error>(chunk)]);
//! let target = EntityRef::new(EntityKind::WorkOrder, wo);
//! let file = files.upload(&cmms, &actor, target, Upload::named("note.txt"), body).await?;
//! let bytes = files.download(&cmms, &actor, file.id).await?.bytes().await?;
//! files.delete(&cmms, &actor, file.id).await?;
//! # Ok(()) }
//! ```

mod connector;
mod download;
mod location;
mod upload;

pub use download::Download;
pub use location::FileStore;
pub use upload::{PART_BYTES, Upload};

/// The default for `serve`: the directory `cmms-attachments` in the working directory (beside the
/// default `./cmms.db`).
pub const DEFAULT_URL: &str = "cmms-attachments";
