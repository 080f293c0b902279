//! Downloads that stream the stored bytes and check them against the recorded size and
//! SHA-256 on the way out, and removals that delete content no row references any more.

use crate::location::{FileStore, failed};
use bytes::Bytes;
use cmms_core::domain::files::AttachedFile;
use cmms_core::ids::AttachmentId;
use cmms_core::{Actor, Cmms, CmmsError};
use futures_util::stream::BoxStream;
use futures_util::{Stream, StreamExt};
use object_store::ObjectStoreExt;
use sha2::{Digest, Sha256};
use std::pin::Pin;
use std::task::{Context, Poll};

/// An attachment's metadata and its bytes as a stream. The stream ends with an error instead
/// of its end when the bytes do not match the recorded size and SHA-256 (logged as an error),
/// so a client reading it sees a failed transfer, never a silently different file.
pub struct Download {
    /// The metadata.
    pub file: AttachedFile,
    body: Verified,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download").field("file", &self.file).finish_non_exhaustive()
    }
}

impl Download {
    /// The bytes, checked as they pass.
    pub fn into_stream(self) -> impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
        self.body
    }

    /// All the bytes in memory (small files), checked.
    pub async fn bytes(self) -> Result<Vec<u8>, CmmsError> {
        let mut out = Vec::new();
        let mut s = self.body;
        while let Some(chunk) = s.next().await {
            out.extend_from_slice(&chunk.map_err(|e| failed("reading content", e))?);
        }
        Ok(out)
    }

    /// Writes the bytes to `path` (through `path` + `.part`, renamed once they check out).
    pub async fn write_to(self, path: &std::path::Path) -> Result<(), CmmsError> {
        use tokio::io::AsyncWriteExt;
        let mut part = path.as_os_str().to_owned();
        part.push(".part");
        let part = std::path::PathBuf::from(part);
        let written: Result<(), CmmsError> = async {
            let mut out =
                tokio::fs::File::create(&part).await.map_err(|e| write_failed(path, e))?;
            let mut s = self.body;
            while let Some(chunk) = s.next().await {
                let chunk = chunk.map_err(|e| failed("reading content", e))?;
                out.write_all(&chunk).await.map_err(|e| write_failed(path, e))?;
            }
            out.flush().await.map_err(|e| write_failed(path, e))?;
            tokio::fs::rename(&part, path).await.map_err(|e| write_failed(path, e))
        }
        .await;
        if written.is_err() {
            let _ = tokio::fs::remove_file(&part).await;
        }
        written
    }
}

fn write_failed(path: &std::path::Path, e: std::io::Error) -> CmmsError {
    CmmsError::invalid("path", format!("cannot write {}: {e}", path.display()))
}

/// The stored bytes, hashed and counted on the way; the end is checked.
struct Verified {
    inner: BoxStream<'static, object_store::Result<Bytes>>,
    hasher: Sha256,
    size: u64,
    expected_size: u64,
    expected_sha: String,
    key: String,
    done: bool,
}

impl Stream for Verified {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match self.inner.poll_next_unpin(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Some(Ok(chunk))) => {
                self.hasher.update(&chunk);
                self.size = self.size.saturating_add(chunk.len() as u64);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(e))) => {
                self.done = true;
                tracing::error!(error = %e, key = %self.key, "reading attachment content failed");
                Poll::Ready(Some(Err(std::io::Error::other(e))))
            }
            Poll::Ready(None) => {
                self.done = true;
                let sha = hex::encode(std::mem::take(&mut self.hasher).finalize());
                if sha == self.expected_sha && self.size == self.expected_size {
                    Poll::Ready(None)
                } else {
                    tracing::error!(
                        key = %self.key, expected = %self.expected_sha, got = %sha, size = self.size,
                        "attachment content does not match its checksum"
                    );
                    Poll::Ready(Some(Err(std::io::Error::other("checksum mismatch"))))
                }
            }
        }
    }
}

impl FileStore {
    /// An attachment the actor may read, with its bytes as a checked stream.
    pub async fn download(
        &self,
        cmms: &Cmms,
        actor: &Actor,
        id: AttachmentId,
    ) -> Result<Download, CmmsError> {
        let file = cmms.get_attachment(actor, id).await?;
        let got = self
            .store
            .get(&self.path(&file.content_key))
            .await
            .map_err(|e| failed(&format!("reading {}", file.content_key), e))?;
        let body = Verified {
            inner: got.into_stream(),
            hasher: Sha256::new(),
            size: 0,
            expected_size: file.size_bytes,
            expected_sha: file.sha256.clone(),
            key: file.content_key.clone(),
            done: false,
        };
        Ok(Download { file, body })
    }

    /// Removes an attachment the actor may edit; its content goes too when no other row (a
    /// request's file carried over to its work order) points at it. The metadata commit comes
    /// first: should deleting the object then fail, it is logged and left for a sweep, never
    /// served again.
    pub async fn delete(
        &self,
        cmms: &Cmms,
        actor: &Actor,
        id: AttachmentId,
    ) -> Result<AttachedFile, CmmsError> {
        let removed = cmms.delete_attachment(actor, id).await?;
        if let Some(key) = removed.orphaned_key {
            if let Err(e) = self.remove(&key).await {
                tracing::error!(error = %e, key = %key, "deleting unreferenced content failed");
            }
        }
        Ok(removed.attachment)
    }
}
