//! File bytes on disk: blobs written as they stream in, with their MD5 and SHA-256, copied by
//! hard link, read back for exports.

use axum::body::Body;
use axum::http::StatusCode;
use futures_util::StreamExt;
use md5::Md5;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::google::{ApiError, Store};
use crate::util::{hex, random_hex};

/// Bytes stored as a blob, with their digests.
pub(super) struct Stored {
    pub blob: String,
    pub size: u64,
    pub md5: String,
    pub sha256: String,
}

#[derive(Clone)]
pub(super) struct Digests {
    md5: Md5,
    sha256: Sha256,
    pub bytes: u64,
}

impl Digests {
    pub fn new() -> Digests {
        Digests {
            md5: Md5::new(),
            sha256: Sha256::new(),
            bytes: 0,
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        self.sha256.update(data);
        self.bytes += data.len() as u64;
    }

    pub fn finish(self, blob: String) -> Stored {
        Stored {
            blob,
            size: self.bytes,
            md5: hex(&self.md5.finalize()),
            sha256: hex(&self.sha256.finalize()),
        }
    }
}

pub(super) fn new_blob_name() -> String {
    random_hex(16)
}

/// Streams a raw body into a new blob. Err when the body breaks off (the client is gone).
pub(super) async fn receive(store: &Store, body: Body) -> Result<Stored, ApiError> {
    let blob = new_blob_name();
    let path = store.blob_path(&blob);
    let result = async {
        let mut file = tokio::fs::File::create(&path).await.map_err(internal)?;
        let mut digests = Digests::new();
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| broken_body())?;
            digests.update(&chunk);
            file.write_all(&chunk).await.map_err(internal)?;
        }
        file.flush().await.map_err(internal)?;
        Ok(digests)
    }
    .await;
    match result {
        Ok(digests) => Ok(digests.finish(blob)),
        Err(error) => {
            let _ = tokio::fs::remove_file(&path).await;
            Err(error)
        }
    }
}

/// Copies a blob for files.copy; blobs never change, so a hard link is enough when possible.
pub(super) fn duplicate(store: &Store, blob: &str) -> std::io::Result<String> {
    let copy = new_blob_name();
    let (from, to) = (store.blob_path(blob), store.blob_path(&copy));
    if std::fs::hard_link(&from, &to).is_err() {
        std::fs::copy(&from, &to)?;
    }
    Ok(copy)
}

pub(super) fn remove_blob(store: &Store, blob: &str) {
    let _ = std::fs::remove_file(store.blob_path(blob));
}

/// Up to `limit` bytes of a blob (exports read a Docs file's text with it).
pub(super) async fn read_prefix(store: &Store, blob: &str, limit: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    if let Ok(file) = tokio::fs::File::open(store.blob_path(blob)).await {
        let _ = file.take(limit).read_to_end(&mut bytes).await;
    }
    bytes
}

pub(super) fn internal(err: std::io::Error) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internalError",
        format!("Internal Error: {err}"),
    )
}

pub(super) fn broken_body() -> ApiError {
    ApiError::bad_request("badRequest", "The request body was cut short.")
}
