//! Files attached to work orders, requests, assets, checklist items and parts: the metadata
//! rows, the stored content they share, the organization's usage, and the pure rules — what may
//! carry files, which (sniffed) types are allowed, and how big a file and an organization's
//! storage may get.
//!
//! The bytes themselves live in an object store (the `cmms-files` crate); core only decides.
//! One upload is one [`FileContent`] under its own key; the rows that point at it are the
//! upload's own [`AttachedFile`] and the copies made when a request becomes a work order
//! ([`FileContent::refs`] counts them, versioned, so two concurrent deletes cannot both miss
//! that they removed the last reference).
//!
//! ```
//! use cmms_core::domain::files::{FileRules, check_type};
//! let rules = FileRules::default();
//! assert_eq!(check_type(&rules, b"\x89PNG\r\n\x1a\n....", None).ok().as_deref(), Some("image/png"));
//! assert_eq!(check_type(&rules, b"pump 4 leaks\n", Some("text/csv")).ok().as_deref(), Some("text/csv"));
//! assert!(check_type(&rules, b"MZ\x90\x00\x03\x00\x00\x00", None).is_err());
//! ```

use crate::domain::EntityKind;
use crate::error::{CmmsError, Problems, Result};
use crate::ids::{AttachmentId, FileContentId, OrgId, UserId};
use crate::validate;
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// The entity kinds that carry attachments.
pub const ATTACHABLE: &[EntityKind] = &[
    EntityKind::WorkOrder,
    EntityKind::Request,
    EntityKind::Asset,
    EntityKind::ChecklistItem,
    EntityKind::Part,
];

/// How many bytes are sniffed: enough for every magic number `infer` knows (office documents
/// name their parts within the first few kilobytes of the zip) and for the text rule.
pub const SNIFF_BYTES: usize = 8192;

/// Text types a client may name for content that sniffs as text; any other text is
/// `text/plain` (so a file that claims to be HTML is stored and served as plain text).
const TEXT_TYPES: &[&str] = &["text/plain", "text/csv", "text/markdown"];

/// What is allowed by default: photos, scans, PDFs, plain text and CSV, office documents,
/// short videos and voice notes. Nothing a browser would run (HTML, SVG, scripts).
pub const DEFAULT_TYPES: &[&str] = &[
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/heif",
    "image/tiff",
    "image/bmp",
    "application/pdf",
    "text/plain",
    "text/csv",
    "text/markdown",
    "application/zip",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "video/mp4",
    "video/quicktime",
    "audio/mpeg",
    "audio/x-wav",
];

/// The attachment limits and allow-list of a [`Cmms`](crate::Cmms) (`Cmms::with_file_rules`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRules {
    /// Content types (as sniffed) that may be attached.
    pub allowed_types: Vec<String>,
    /// Largest single file, in bytes (default 100 MiB).
    pub max_file_bytes: u64,
    /// Most stored bytes per organization (default 10 GiB); content shared by carried-over
    /// rows counts once.
    pub max_org_bytes: u64,
}

impl Default for FileRules {
    fn default() -> Self {
        Self {
            allowed_types: DEFAULT_TYPES.iter().map(|t| t.to_string()).collect(),
            max_file_bytes: 100 * 1024 * 1024,
            max_org_bytes: 10 * 1024 * 1024 * 1024,
        }
    }
}

/// One file attached to one entity (the metadata; the bytes are at `content_key`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct AttachedFile {
    /// Id (what downloads and deletes name).
    pub id: AttachmentId,
    /// Organization.
    #[serde(skip)]
    pub org_id: OrgId,
    /// What it is attached to.
    pub entity_type: EntityKind,
    /// Id of that entity.
    pub entity_id: Uuid,
    /// File name as uploaded (1–255 characters, no path separators).
    pub name: String,
    /// Content type, as sniffed from the content (never the client's word alone).
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// SHA-256 of the content, lowercase hex (checked on every download).
    pub sha256: String,
    /// The stored content (shared with the rows a request's approval carried over).
    pub content_id: FileContentId,
    /// Where the content is in the object store (internal: never sent to clients).
    #[serde(skip)]
    pub content_key: String,
    /// Who uploaded it (`None`: the system).
    pub uploaded_by: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The stored bytes of one upload and how many rows point at them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileContent {
    /// Id.
    pub id: FileContentId,
    /// Organization.
    pub org_id: OrgId,
    /// Key in the object store: `{org}/{content id}`, never reused.
    pub content_key: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// SHA-256, lowercase hex.
    pub sha256: String,
    /// Rows pointing at this content.
    pub refs: i64,
    /// When it was stored.
    pub created_at: DateTime<Utc>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

/// An organization's stored bytes and files (one row per org, id = the org's id). Every
/// upload and every removal of content updates it with its version, so two uploads racing for
/// the last bytes of the quota cannot both get them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileUsage {
    /// The organization (also the row's id).
    pub org_id: OrgId,
    /// Stored bytes.
    pub bytes: u64,
    /// Stored contents.
    pub files: i64,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl FileUsage {
    /// The usage of an organization that has stored nothing yet.
    pub fn empty(org_id: OrgId) -> Self {
        Self { org_id, bytes: 0, files: 0, version: 0 }
    }

    /// The usage after adding (`files` = 1) or removing (`files` = -1) `bytes`, one version on.
    pub fn moved(&self, bytes: u64, files: i64) -> Self {
        let bytes = if files < 0 {
            self.bytes.saturating_sub(bytes)
        } else {
            self.bytes.saturating_add(bytes)
        };
        Self { bytes, files: (self.files + files).max(0), version: self.version + 1, ..*self }
    }
}

/// The object key of a new upload: per organization, per content, never reused.
pub fn content_key(org: OrgId, content: FileContentId) -> String {
    format!("{org}/{content}")
}

/// Checks a file name: 1–255 characters, no control characters, no path separators (it ends
/// up in a `Content-Disposition` header and in people's download folders).
pub fn check_name(name: &str) -> Result<String> {
    let mut p = Problems::new();
    let name = validate::text(&mut p, "name", name, 1, 255);
    if name.contains(['/', '\\']) || name.chars().any(char::is_control) {
        p.add("name", "must not contain path separators or control characters");
    }
    p.finish()?;
    Ok(name)
}

/// Checks that `kind` carries attachments.
pub fn check_attachable(kind: EntityKind) -> Result<()> {
    if ATTACHABLE.contains(&kind) {
        Ok(())
    } else {
        Err(CmmsError::invalid(
            "entity_type",
            "attachments go on work orders, requests, assets, checklist items and parts",
        ))
    }
}

/// The largest upload an organization may start now: the per-file limit, or what is left of
/// its storage. `TooLarge` when nothing is left.
pub fn upload_limit(rules: &FileRules, usage: &FileUsage) -> Result<u64> {
    let left = rules.max_org_bytes.saturating_sub(usage.bytes);
    if left == 0 {
        return Err(org_full(rules));
    }
    Ok(left.min(rules.max_file_bytes))
}

/// Checks a finished upload's size against the limits (the usage read inside the commit's
/// version check, so a race cannot overrun the quota).
pub fn check_size(rules: &FileRules, usage: &FileUsage, size: u64) -> Result<()> {
    if size > rules.max_file_bytes {
        return Err(CmmsError::TooLarge {
            limit_bytes: rules.max_file_bytes,
            message: format!("a file may have at most {} bytes", rules.max_file_bytes),
        });
    }
    if usage.bytes.saturating_add(size) > rules.max_org_bytes {
        return Err(org_full(rules));
    }
    Ok(())
}

fn org_full(rules: &FileRules) -> CmmsError {
    CmmsError::TooLarge {
        limit_bytes: rules.max_org_bytes,
        message: format!("the organization's files may take at most {} bytes", rules.max_org_bytes),
    }
}

/// The content type of `head` (the first [`SNIFF_BYTES`] of a file, or all of a shorter one):
/// its magic number, else text when it is UTF-8 without control characters (then the client's
/// `declared` text type if it is one of the plain ones, else `text/plain`), else
/// `application/octet-stream`.
pub fn sniff(head: &[u8], declared: Option<&str>) -> String {
    if let Some(t) = infer::get(head) {
        return t.mime_type().to_string();
    }
    if is_text(head) {
        let declared = declared.map(|d| d.split(';').next().unwrap_or(d).trim().to_lowercase());
        return match declared {
            Some(d) if TEXT_TYPES.contains(&d.as_str()) => d,
            _ => "text/plain".to_string(),
        };
    }
    "application/octet-stream".to_string()
}

/// The sniffed type of `head` if the rules allow it; `UnsupportedType` otherwise.
pub fn check_type(rules: &FileRules, head: &[u8], declared: Option<&str>) -> Result<String> {
    let ty = sniff(head, declared);
    if rules.allowed_types.iter().any(|a| a.eq_ignore_ascii_case(&ty)) {
        Ok(ty)
    } else {
        Err(CmmsError::UnsupportedType { content_type: ty })
    }
}

/// UTF-8 (a character cut at the end of the sniffed bytes is fine) without control characters
/// other than tab, line feed, form feed and carriage return. An empty file is text.
fn is_text(head: &[u8]) -> bool {
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => match std::str::from_utf8(&head[..e.valid_up_to()]) {
            Ok(t) => t,
            Err(_) => return false,
        },
        Err(_) => return false,
    };
    !text.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_trusts_magic_numbers_and_plain_text_only() {
        assert_eq!(sniff(b"%PDF-1.7\n", Some("text/plain")), "application/pdf");
        assert_eq!(sniff(b"<html><script>x</script>", Some("text/plain")), "text/html");
        assert_eq!(sniff(b"alert('x') // not html", Some("text/html")), "text/plain");
        let rules = FileRules::default();
        assert!(check_type(&rules, b"<html><script>x</script>", None).is_err());
        assert_eq!(sniff("température élevée".as_bytes(), None), "text/plain");
        assert_eq!(sniff(&"é".as_bytes()[..1], None), "text/plain");
        assert_eq!(sniff(b"a\x00b", Some("text/plain")), "application/octet-stream");
        assert_eq!(sniff(b"a,b\n1,2\n", Some("Text/CSV; charset=utf-8")), "text/csv");
    }

    #[test]
    fn limits_count_the_org_usage() {
        let rules = FileRules { max_file_bytes: 10, max_org_bytes: 25, ..FileRules::default() };
        let org = OrgId::new();
        let used = FileUsage::empty(org).moved(20, 1);
        assert_eq!(upload_limit(&rules, &used).ok(), Some(5));
        assert!(check_size(&rules, &used, 5).is_ok());
        assert_eq!(check_size(&rules, &used, 6).map_err(|e| e.code()), Err("payload_too_large"));
        assert_eq!(
            check_size(&rules, &FileUsage::empty(org), 11).map_err(|e| e.code()),
            Err("payload_too_large")
        );
        assert!(upload_limit(&rules, &used.moved(5, 1)).is_err());
        assert_eq!(used.moved(30, -1).bytes, 0);
    }

    #[test]
    fn names_are_plain_file_names() {
        assert_eq!(check_name("  pump.jpg ").ok().as_deref(), Some("pump.jpg"));
        assert!(check_name("../etc/passwd").is_err());
        assert!(check_name("a\nb").is_err());
        assert!(check_name("").is_err());
    }
}
