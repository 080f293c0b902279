//! Legacy attachment metadata embedded in work orders and requests: what an application wrote
//! about files it stored itself (kept for compatibility; cmms neither checks nor serves them).
//! Files cmms stores, sniffs, limits and serves are [`crate::domain::files`] (docs/attachments.md).

use crate::error::{Problems, Result};
use crate::validate;
use serde::{Deserialize, Serialize};

/// Metadata of one attached file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// File name.
    pub name: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: u64,
    /// Where the file is stored (object key or URL), as the application chose.
    pub storage_key: String,
}

/// Most attachments on one record.
pub const MAX_ATTACHMENTS: usize = 50;

/// Checks every attachment, naming `attachments[i].field` in errors.
pub(crate) fn check_all(items: &[Attachment]) -> Result<()> {
    let mut p = Problems::new();
    if items.len() > MAX_ATTACHMENTS {
        p.add("attachments", format!("at most {MAX_ATTACHMENTS} attachments"));
    }
    for (i, a) in items.iter().enumerate() {
        validate::text(&mut p, &format!("attachments[{i}].name"), &a.name, 1, 255);
        validate::text(&mut p, &format!("attachments[{i}].content_type"), &a.content_type, 3, 255);
        validate::text(&mut p, &format!("attachments[{i}].storage_key"), &a.storage_key, 1, 1000);
    }
    p.finish()
}
