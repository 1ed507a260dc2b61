//! Sizes and checksums of transferred bytes, and the comparison with what a service reports.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::Source;
use crate::error::{Error, ErrorCode, Result};
use crate::md5::Md5;

/// Size and checksums (lowercase hex) of transferred bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Checksums {
    pub size: u64,
    pub md5: String,
    pub sha256: String,
}

/// Running checksums of bytes taken in order.
#[derive(Clone, Default)]
pub(crate) struct Hashers {
    md5: Md5,
    sha256: Sha256,
    size: u64,
}

impl Hashers {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.md5.update(bytes);
        self.sha256.update(bytes);
        self.size += bytes.len() as u64;
    }

    /// How many bytes went in.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    pub(crate) fn finish(self) -> Checksums {
        Checksums {
            size: self.size,
            md5: hex(&self.md5.finalize()),
            sha256: hex(&self.sha256.finalize()),
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a download must match: any of these the service reports.
#[derive(Clone, Debug, Default)]
pub(crate) struct Expected {
    pub size: Option<u64>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
}

/// Compares what arrived with what the service reports.
pub(crate) fn verify(actual: &Checksums, expected: &Expected) -> Result<()> {
    let mismatch = |what: &str, want: &str, got: &str| {
        Err(Error::new(
            ErrorCode::ChecksumMismatch,
            format!("{what} mismatch: the service reports {want}, the transfer gave {got}; nothing was replaced"),
        ))
    };
    if let Some(size) = expected.size {
        if size != actual.size {
            return mismatch("size", &size.to_string(), &actual.size.to_string());
        }
    }
    if let Some(md5) = &expected.md5 {
        if !md5.eq_ignore_ascii_case(&actual.md5) {
            return mismatch("md5", md5, &actual.md5);
        }
    }
    if let Some(sha256) = &expected.sha256 {
        if !sha256.eq_ignore_ascii_case(&actual.sha256) {
            return mismatch("sha256", sha256, &actual.sha256);
        }
    }
    Ok(())
}

/// Size and checksums of a local file, or None when it does not exist.
pub(crate) async fn local_checksums(path: &Path) -> Result<Option<Checksums>> {
    match tokio::fs::metadata(path).await {
        Ok(metadata) if metadata.is_file() => Source::File {
            path: path.to_path_buf(),
            size: metadata.len(),
        }
        .checksums()
        .await
        .map(Some),
        Ok(_) => Ok(None),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::local_io(&format!("cannot read {}", path.display()), &err)),
    }
}
