//! Where attachment content lives: an object store opened from a URL, and the object paths of
//! content keys under its prefix.

use cmms_core::CmmsError;
use object_store::aws::AmazonS3Builder;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt};
use std::sync::Arc;

/// An object store holding attachment content, cheap to clone.
#[derive(Clone)]
pub struct FileStore {
    pub(crate) store: Arc<dyn ObjectStore>,
    prefix: Path,
    url: String,
}

impl std::fmt::Debug for FileStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileStore").field("url", &self.url).finish_non_exhaustive()
    }
}

/// A storage failure: the message (which store, what failed) goes to the log through
/// `CmmsError::Store`, the client gets a generic answer.
pub(crate) fn failed(what: &str, e: impl std::fmt::Display) -> CmmsError {
    CmmsError::store(format!("file store: {what}: {e}"))
}

impl FileStore {
    /// Opens `file:///absolute/dir` (created if missing) or `s3://bucket[/prefix]`; S3 reads
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ENDPOINT_URL` (or
    /// `AWS_ENDPOINT`) and `AWS_ALLOW_HTTP` from the environment.
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// let url = format!("file://{}", dir.path().display());
    /// assert!(cmms_files::FileStore::from_url(&url).is_ok());
    /// assert!(cmms_files::FileStore::from_url("ftp://files.example/x").is_err());
    /// ```
    pub fn from_url(url: &str) -> Result<Self, CmmsError> {
        if !url.contains("://") {
            // A plain path (the default `cmms-attachments`, beside `./cmms.db`): a directory relative
            // to the working directory, so the server runs as any user without configuration.
            return Self::local(std::path::Path::new(url), url);
        }
        let parsed = url::Url::parse(url)
            .map_err(|e| CmmsError::invalid("files_url", format!("not a URL: {e}")))?;
        match parsed.scheme() {
            "file" => {
                let dir = parsed.to_file_path().map_err(|()| {
                    CmmsError::invalid("files_url", "file URLs name an absolute directory")
                })?;
                Self::local(&dir, url)
            }
            "s3" => {
                let store = AmazonS3Builder::from_env()
                    .with_url(url)
                    .with_http_connector(crate::connector::RingConnector)
                    .build()
                    .map_err(|e| CmmsError::invalid("files_url", format!("S3: {e}")))?;
                let prefix = Path::parse(parsed.path().trim_matches('/'))
                    .map_err(|e| CmmsError::invalid("files_url", format!("prefix: {e}")))?;
                Ok(Self::new(Arc::new(store), prefix, url))
            }
            other => Err(CmmsError::invalid(
                "files_url",
                format!("unknown scheme {other:?}: use file:///dir or s3://bucket/prefix"),
            )),
        }
    }

    /// A local directory (created if missing).
    fn local(dir: &std::path::Path, url: &str) -> Result<Self, CmmsError> {
        if dir.as_os_str().is_empty() {
            return Err(CmmsError::invalid("files_url", "name a directory"));
        }
        std::fs::create_dir_all(dir).map_err(|e| failed("creating the directory", e))?;
        let store = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| failed("opening the directory", e))?;
        Ok(Self::new(Arc::new(store), Path::default(), url))
    }

    /// Wraps any object store (tests, other clouds), with keys under `prefix`.
    pub fn new(store: Arc<dyn ObjectStore>, prefix: Path, url: &str) -> Self {
        Self { store, prefix, url: url.to_string() }
    }

    /// The URL it was opened from.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The object path of a content key.
    pub(crate) fn path(&self, content_key: &str) -> Path {
        content_key.split('/').fold(self.prefix.clone(), |path, part| path.join(part))
    }

    /// Whether content is stored under `content_key` (for checks and tests).
    pub async fn exists(&self, content_key: &str) -> Result<bool, CmmsError> {
        match self.store.head(&self.path(content_key)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(failed("looking up content", e)),
        }
    }

    /// How many objects are stored (for tests: a refused upload leaves none behind).
    pub async fn count(&self) -> Result<usize, CmmsError> {
        use futures_util::TryStreamExt;
        let prefix = (!self.prefix.as_ref().is_empty()).then_some(&self.prefix);
        let all: Vec<_> =
            self.store.list(prefix).try_collect().await.map_err(|e| failed("listing", e))?;
        Ok(all.len())
    }

    /// Deletes stored content; content already gone is fine (a removal retried).
    pub async fn remove(&self, content_key: &str) -> Result<(), CmmsError> {
        match self.store.delete(&self.path(content_key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(failed("deleting content", e)),
        }
    }
}
