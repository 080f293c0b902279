//! Streaming uploads: sniff the first bytes, then a multipart upload fed chunk by chunk while
//! the bytes are hashed and counted, aborted at the limit; the metadata is committed last.

use crate::location::{FileStore, failed};
use bytes::Bytes;
use cmms_core::domain::EntityRef;
use cmms_core::domain::files::{AttachedFile, SNIFF_BYTES};
use cmms_core::{Actor, Cmms, CmmsError};
use futures_util::{Stream, StreamExt};
use object_store::{ObjectStoreExt, WriteMultipart};
use sha2::{Digest, Sha256};

/// Size of one multipart part: what an upload buffers at most per part in flight (S3 wants at
/// least 5 MiB per part but the last).
pub const PART_BYTES: usize = 8 * 1024 * 1024;

/// Parts uploading at once; with the one being filled, at most three parts are in memory.
const PARTS_IN_FLIGHT: usize = 2;

/// What the client said about an upload besides its bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Upload {
    /// File name.
    pub name: String,
    /// The type the client claimed: only used to pick a text subtype (`text/csv`) for content
    /// that sniffs as text; everything else is decided by the bytes.
    pub declared_type: Option<String>,
    /// The length the client announced (`Content-Length`), if any: a larger one is refused
    /// before a byte is read. The bytes are counted regardless.
    pub length: Option<u64>,
}

impl Upload {
    /// An upload with just a name.
    pub fn named(name: impl Into<String>) -> Self {
        Self { name: name.into(), ..Self::default() }
    }
}

fn too_large(limit: u64) -> CmmsError {
    CmmsError::TooLarge {
        limit_bytes: limit,
        message: format!("at most {limit} bytes may be stored"),
    }
}

fn interrupted(e: impl std::fmt::Display) -> CmmsError {
    CmmsError::invalid("body", format!("the upload was interrupted: {e}"))
}

/// Hashes and counts the bytes, refusing the first byte past the limit.
struct Tally {
    hasher: Sha256,
    size: u64,
    limit: u64,
}

impl Tally {
    fn take(&mut self, w: &mut WriteMultipart, bytes: &[u8]) -> Result<(), CmmsError> {
        self.size = self.size.saturating_add(bytes.len() as u64);
        if self.size > self.limit {
            return Err(too_large(self.limit));
        }
        self.hasher.update(bytes);
        w.write(bytes);
        Ok(())
    }
}

impl FileStore {
    /// Attaches the bytes of `body` to `target` as `input.name` and returns the committed
    /// metadata. Refused uploads (permission, type, size, an interrupted body) leave nothing
    /// stored.
    pub async fn upload<S, E>(
        &self,
        cmms: &Cmms,
        actor: &Actor,
        target: EntityRef,
        input: Upload,
        body: S,
    ) -> Result<AttachedFile, CmmsError>
    where
        S: Stream<Item = Result<Bytes, E>> + Send,
        E: std::fmt::Display,
    {
        let up = cmms.begin_attachment(actor, target, &input.name).await?;
        if input.length.is_some_and(|n| n > up.max_bytes) {
            return Err(too_large(up.max_bytes));
        }
        // Fused: the sniffing loop may have seen the end already, and the feeding loop asks again.
        let mut body = std::pin::pin!(body.fuse());
        // The type is decided before anything is stored.
        let mut head = Vec::new();
        let mut rest = None;
        while head.len() < SNIFF_BYTES && rest.is_none() {
            match body.next().await {
                None => break,
                Some(Err(e)) => return Err(interrupted(e)),
                Some(Ok(chunk)) => {
                    let take = (SNIFF_BYTES - head.len()).min(chunk.len());
                    head.extend_from_slice(&chunk[..take]);
                    if take < chunk.len() {
                        rest = Some(chunk.slice(take..));
                    }
                }
            }
        }
        let ty = cmms.check_attachment_type(&head, input.declared_type.as_deref())?;
        let path = self.path(&up.content_key);
        let started = self.store.put_multipart(&path).await;
        let mut w = WriteMultipart::new_with_chunk_size(
            started.map_err(|e| failed("starting an upload", e))?,
            PART_BYTES,
        );
        let mut tally = Tally { hasher: Sha256::new(), size: 0, limit: up.max_bytes };
        let fed: Result<(), CmmsError> = async {
            tally.take(&mut w, &head)?;
            if let Some(rest) = rest {
                tally.take(&mut w, &rest)?;
            }
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(interrupted)?;
                w.wait_for_capacity(PARTS_IN_FLIGHT)
                    .await
                    .map_err(|e| failed("uploading a part", e))?;
                tally.take(&mut w, &chunk)?;
            }
            Ok(())
        }
        .await;
        if let Err(e) = fed {
            if let Err(abort) = w.abort().await {
                tracing::warn!(error = %abort, key = %up.content_key, "aborting an upload failed");
            }
            return Err(e);
        }
        w.finish().await.map_err(|e| failed("finishing an upload", e))?;
        let sha256 = hex::encode(tally.hasher.finalize());
        match cmms.finish_attachment(actor, &up, &ty, tally.size, &sha256).await {
            Ok(file) => Ok(file),
            Err(e) => {
                // Refused at the commit (quota taken meanwhile, entity gone): nothing stays.
                if let Err(d) = self.remove(&up.content_key).await {
                    tracing::error!(error = %d, key = %up.content_key, "removing refused content failed");
                }
                Err(e)
            }
        }
    }
}
