//! Sizes and checksums of transferred bytes, and the comparison with what a service reports.
//! SHA-256 is what transfers are verified by: both services report it, and with the CPU's
//! SHA extensions it runs at twice MD5's speed, which cannot be split across cores. MD5 is
//! computed only for a file whose service reports no sha256.

use std::path::Path;

use md5::Md5;
use sha2::{Digest, Sha256};

use super::Source;
use crate::error::{Error, ErrorCode, Result};

/// Size and checksums (lowercase hex) of transferred bytes; `md5` only when it was computed
/// (or, for a verified download, when the service reports it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Checksums {
    pub size: u64,
    pub sha256: String,
    pub md5: Option<String>,
}

/// Running checksums of bytes taken in order: sha256 always, md5 when asked for.
#[derive(Clone, Default)]
pub(crate) struct Hashers {
    sha256: Sha256,
    md5: Option<Md5>,
    size: u64,
}

impl Hashers {
    /// sha256, and md5 too when `with_md5`.
    pub(crate) fn new(with_md5: bool) -> Hashers {
        Hashers {
            md5: with_md5.then(Md5::new),
            ..Hashers::default()
        }
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.sha256.update(bytes);
        if let Some(md5) = &mut self.md5 {
            md5.update(bytes);
        }
        self.size += bytes.len() as u64;
    }

    /// How many bytes went in.
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    pub(crate) fn finish(self) -> Checksums {
        Checksums {
            size: self.size,
            sha256: hex(&self.sha256.finalize()),
            md5: self.md5.map(|md5| hex(&md5.finalize())),
        }
    }
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a transfer must match: any of these the service reports.
#[derive(Clone, Debug, Default)]
pub(crate) struct Expected {
    pub size: Option<u64>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
}

impl Expected {
    /// Whether md5 must be computed: the service reports md5 but no sha256.
    pub(crate) fn needs_md5(&self) -> bool {
        self.sha256.is_none() && self.md5.is_some()
    }

    /// Whether the service reports a checksum at all (a size alone proves little).
    pub(crate) fn has_checksum(&self) -> bool {
        self.sha256.is_some() || self.md5.is_some()
    }
}

/// The checksum a transfer was verified by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Verified {
    Sha256,
    Md5,
    /// The service reports no checksum (an export made on the fly): the size at most.
    Nothing,
}

impl Verified {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verified::Sha256 => "sha256",
            Verified::Md5 => "md5",
            Verified::Nothing => "no checksum (none reported)",
        }
    }
}

/// Compares what arrived with what the service reports: the size, then sha256 when the
/// service reports it, md5 only when it does not.
pub(crate) fn verify(actual: &Checksums, expected: &Expected) -> Result<Verified> {
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
    if let Some(sha256) = &expected.sha256 {
        if !sha256.eq_ignore_ascii_case(&actual.sha256) {
            return mismatch("sha256", sha256, &actual.sha256);
        }
        return Ok(Verified::Sha256);
    }
    if let Some(md5) = &expected.md5 {
        let Some(actual_md5) = &actual.md5 else {
            return Err(Error::new(
                ErrorCode::Internal,
                "md5 was not computed for a file that needs it",
            ));
        };
        if !md5.eq_ignore_ascii_case(actual_md5) {
            return mismatch("md5", md5, actual_md5);
        }
        return Ok(Verified::Md5);
    }
    Ok(Verified::Nothing)
}

/// Size and checksums of a local file (md5 too when `with_md5`), or None when it does not
/// exist.
pub(crate) async fn local_checksums(path: &Path, with_md5: bool) -> Result<Option<Checksums>> {
    match tokio::fs::metadata(path).await {
        Ok(metadata) if metadata.is_file() => Source::File {
            path: path.to_path_buf(),
            size: metadata.len(),
        }
        .checksums(with_md5)
        .await
        .map(Some),
        Ok(_) => Ok(None),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(Error::local_io(&format!("cannot read {}", path.display()), &err)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sums(bytes: &[u8], with_md5: bool) -> Checksums {
        let mut hashers = Hashers::new(with_md5);
        hashers.update(bytes);
        hashers.finish()
    }

    #[test]
    fn sha256_decides_and_md5_only_without_it() {
        let abc = sums(b"abc", true);
        assert_eq!(
            abc.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(abc.md5.as_deref(), Some("900150983cd24fb0d6963f7d28e17f72"));
        assert_eq!(sums(b"abc", false).md5, None);
        let wrong_md5 = Some("00000000000000000000000000000000".to_string());
        // sha256 reported: it decides, and a wrong md5 beside it is not even looked at.
        let expected = Expected {
            size: Some(3),
            md5: wrong_md5.clone(),
            sha256: Some(abc.sha256.to_uppercase()),
        };
        assert!(!expected.needs_md5());
        assert_eq!(verify(&sums(b"abc", false), &expected).unwrap(), Verified::Sha256);
        let expected = Expected {
            sha256: Some("ff".repeat(32)),
            ..expected
        };
        assert_eq!(verify(&abc, &expected).unwrap_err().code, ErrorCode::ChecksumMismatch);
        // No sha256: md5 decides.
        let expected = Expected {
            size: Some(3),
            md5: abc.md5.clone(),
            sha256: None,
        };
        assert!(expected.needs_md5());
        assert_eq!(verify(&abc, &expected).unwrap(), Verified::Md5);
        let expected = Expected {
            md5: wrong_md5,
            ..expected
        };
        assert_eq!(verify(&abc, &expected).unwrap_err().code, ErrorCode::ChecksumMismatch);
        // The size first, and nothing else to compare.
        let expected = Expected {
            size: Some(4),
            ..Expected::default()
        };
        assert_eq!(verify(&abc, &expected).unwrap_err().code, ErrorCode::ChecksumMismatch);
        assert_eq!(verify(&abc, &Expected::default()).unwrap(), Verified::Nothing);
    }
}
