//! What an upload sends: a local file or inline bytes, read and hashed a chunk at a time.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine;
use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::{Checksums, Hashers, CHUNK};
use crate::error::{Error, ErrorCode, Result};
use crate::progress::Progress;
use crate::sync::lock;

/// What an upload sends: a local file, or bytes given inline as base64.
#[derive(Clone)]
pub(crate) enum Source {
    File { path: PathBuf, size: u64 },
    Bytes(Bytes),
}

impl Source {
    /// From a method's `file` (a local path) or `data_base64` parameter: exactly one of them.
    pub(crate) fn from_file_or_base64(file: Option<&str>, data_base64: Option<&str>) -> Result<Source> {
        match (file, data_base64) {
            (Some(_), Some(_)) => Err(Error::invalid_params("give either `file` or `data_base64`, not both")),
            (None, None) => Err(Error::invalid_params("give `file` (a local path) or `data_base64`")),
            (Some(path), None) => Source::file(Path::new(path)),
            (None, Some(data)) => base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map(|bytes| Source::Bytes(Bytes::from(bytes)))
                .map_err(|e| Error::invalid_params(format!("`data_base64` is not base64: {e}"))),
        }
    }

    pub(crate) fn file(path: &Path) -> Result<Source> {
        let metadata =
            std::fs::metadata(path).map_err(|e| Error::local_io(&format!("cannot read {}", path.display()), &e))?;
        if !metadata.is_file() {
            return Err(Error::new(
                ErrorCode::LocalIo,
                format!("{} is not a file", path.display()),
            ));
        }
        Ok(Source::File {
            path: path.to_path_buf(),
            size: metadata.len(),
        })
    }

    pub(crate) fn size(&self) -> u64 {
        match self {
            Source::File { size, .. } => *size,
            Source::Bytes(bytes) => bytes.len() as u64,
        }
    }

    /// Size and checksums of the whole source (md5 too when `with_md5`), read once.
    pub(crate) async fn checksums(&self, with_md5: bool) -> Result<Checksums> {
        let mut hashers = Hashers::new(with_md5);
        match self {
            Source::Bytes(bytes) => hashers.update(bytes),
            Source::File { path, .. } => {
                let mut file = open(path).await?;
                let mut buffer = vec![0u8; CHUNK];
                loop {
                    let read = file.read(&mut buffer).await.map_err(|e| read_error(path, &e))?;
                    if read == 0 {
                        break;
                    }
                    hashers.update(&buffer[..read]);
                }
            }
        }
        Ok(hashers.finish())
    }

    /// Adds `range` of the source to `hashers`, reading a file a chunk at a time.
    pub(crate) async fn hash_range(&self, range: Range<u64>, hashers: &mut Hashers) -> Result<()> {
        match self {
            Source::Bytes(bytes) => hashers.update(&bytes[range.start as usize..range.end as usize]),
            Source::File { path, .. } => {
                let mut file = open_at(path, range.start).await?;
                let mut left = range.end - range.start;
                let mut buffer = vec![0u8; CHUNK];
                while left > 0 {
                    let want = left.min(CHUNK as u64) as usize;
                    let read = file.read(&mut buffer[..want]).await.map_err(|e| read_error(path, &e))?;
                    if read == 0 {
                        return Err(changed_under_us(path));
                    }
                    hashers.update(&buffer[..read]);
                    left -= read as u64;
                }
            }
        }
        Ok(())
    }

    /// The whole source in memory, for small bodies (the caller bounds the size).
    pub(crate) async fn read_all(&self) -> Result<Bytes> {
        match self {
            Source::Bytes(bytes) => Ok(bytes.clone()),
            Source::File { path, size } => {
                let bytes = tokio::fs::read(path).await.map_err(|e| read_error(path, &e))?;
                if bytes.len() as u64 != *size {
                    return Err(changed_under_us(path));
                }
                Ok(Bytes::from(bytes))
            }
        }
    }

    /// A request body streaming `range` of the source, reporting progress as `range.start +
    /// sent` of the whole source, and failing (so the request stops) once the call is cancelled.
    pub(super) async fn range_body(&self, range: Range<u64>, progress: Progress) -> Result<reqwest::Body> {
        let total = self.size();
        match self {
            Source::Bytes(bytes) => Ok(reqwest::Body::from(
                bytes.slice(range.start as usize..range.end as usize),
            )),
            Source::File { path, .. } => {
                let file = open_at(path, range.start).await?;
                let state = (file, range.start, range.end);
                let stream = futures_util::stream::unfold(Some(state), move |state| {
                    let progress = progress.clone();
                    async move {
                        let (mut file, at, end) = state?;
                        if at >= end {
                            return None;
                        }
                        let mut buffer = BytesMut::zeroed((end - at).min(CHUNK as u64) as usize);
                        let read = match file.read(&mut buffer).await {
                            Ok(0) => return Some((Err(std::io::Error::other("the file got shorter")), None)),
                            Ok(read) => read,
                            Err(err) => return Some((Err(err), None)),
                        };
                        buffer.truncate(read);
                        let at = at + read as u64;
                        if progress.report(at, total).is_err() {
                            return Some((Err(std::io::Error::other("cancelled")), None));
                        }
                        Some((Ok::<Bytes, std::io::Error>(buffer.freeze()), Some((file, at, end))))
                    }
                });
                Ok(reqwest::Body::wrap_stream(stream))
            }
        }
    }

    /// A request body streaming the source: hashed as it goes, reporting progress, and failing
    /// (so the request stops) once the call is cancelled.
    pub(super) fn body(&self, progress: Progress, tally: Arc<Mutex<Tally>>) -> Result<reqwest::Body> {
        match self {
            Source::Bytes(bytes) => {
                lock(&tally).hashers.update(bytes);
                Ok(bytes_body(bytes.clone(), progress))
            }
            Source::File { path, size } => file_body(path, *size, progress, tally),
        }
    }
}

/// Inline bytes sent a chunk at a time, so progress is reported and a cancel stops them.
fn bytes_body(bytes: Bytes, progress: Progress) -> reqwest::Body {
    let total = bytes.len() as u64;
    let stream = futures_util::stream::unfold(0usize, move |at| {
        let (progress, bytes) = (progress.clone(), bytes.clone());
        async move {
            if at >= bytes.len() {
                return None;
            }
            let end = (at + CHUNK).min(bytes.len());
            if progress.report(end as u64, total).is_err() {
                return Some((Err(std::io::Error::other("cancelled")), bytes.len()));
            }
            Some((Ok::<Bytes, std::io::Error>(bytes.slice(at..end)), end))
        }
    });
    reqwest::Body::wrap_stream(stream)
}

/// A file read and hashed on a thread of its own, ahead of the network: a chunk's sha256 is
/// computed while the one before it is being sent.
fn file_body(path: &Path, total: u64, progress: Progress, tally: Arc<Mutex<Tally>>) -> Result<reqwest::Body> {
    let file = std::fs::File::open(path).map_err(|e| read_error(path, &e))?;
    let (chunks, received) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(READ_AHEAD);
    let reader = {
        let (tally, path) = (tally.clone(), path.to_path_buf());
        std::thread::spawn(move || read_ahead(file, &path, chunks, &tally))
    };
    lock(&tally).reader = Some(reader);
    let stream = futures_util::stream::unfold((received, 0u64), move |(mut received, done)| {
        let progress = progress.clone();
        async move {
            let chunk = received.recv().await?;
            let done = done + chunk.as_ref().map_or(0, |bytes| bytes.len() as u64);
            if chunk.is_ok() && progress.report(done, total).is_err() {
                return Some((Err(std::io::Error::other("cancelled")), (received, done)));
            }
            Some((chunk, (received, done)))
        }
    });
    Ok(reqwest::Body::wrap_stream(stream))
}

/// The reading thread of `file_body`: chunks to the request, their sha256 and size to the
/// tally.
fn read_ahead(
    mut file: std::fs::File,
    path: &Path,
    chunks: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    tally: &Mutex<Tally>,
) {
    let mut hashers = Hashers::default();
    loop {
        let mut buffer = BytesMut::zeroed(CHUNK);
        match std::io::Read::read(&mut file, &mut buffer) {
            Ok(0) => break,
            Ok(read) => {
                buffer.truncate(read);
                hashers.update(&buffer);
                if chunks.blocking_send(Ok(buffer.freeze())).is_err() {
                    return; // the request stopped
                }
            }
            Err(err) => {
                lock(tally).local_error = Some(read_error(path, &err));
                let _ = chunks.blocking_send(Err(err));
                return;
            }
        }
    }
    lock(tally).hashers = hashers;
}

async fn open(path: &Path) -> Result<tokio::fs::File> {
    tokio::fs::File::open(path).await.map_err(|e| read_error(path, &e))
}

async fn open_at(path: &Path, offset: u64) -> Result<tokio::fs::File> {
    let mut file = open(path).await?;
    file.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(|e| read_error(path, &e))?;
    Ok(file)
}

fn changed_under_us(path: &Path) -> Error {
    Error::new(
        ErrorCode::LocalIo,
        format!("{} changed size while it was being uploaded", path.display()),
    )
}

fn read_error(path: &Path, err: &std::io::Error) -> Error {
    Error::local_io(&format!("cannot read {}", path.display()), err)
}

/// What an upload body has read so far.
#[derive(Default)]
pub(super) struct Tally {
    /// sha256 and size: what the services confirm an upload by (md5, for a service that
    /// reports no sha256, is read again from the source then).
    pub hashers: Hashers,
    pub local_error: Option<Error>,
    /// The thread reading a file ahead of the network; joined before `hashers` is read.
    pub reader: Option<std::thread::JoinHandle<()>>,
}

/// Chunks read ahead of the network.
const READ_AHEAD: usize = 4;
