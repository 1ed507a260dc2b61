//! The streaming transfer engine shared by the services: upload bodies read from a file (or
//! inline bytes) chunk by chunk, downloads written to a temporary file beside the target and
//! renamed only after size and checksums match, resumed with `Range` after a broken connection.
//! Memory stays bounded by the chunk size, never by the file size.

use std::future::Future;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_LENGTH, CONTENT_RANGE, RANGE, USER_AGENT};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use url::Url;

use crate::call::Call;
use crate::error::{Error, ErrorCode, Result, Service};
use crate::http::{self, within, Failure};
use crate::log::Level;
use crate::md5::Md5;
use crate::progress::Progress;
use crate::registry::Param;

/// How much of a file is read (and hashed) at a time.
const CHUNK: usize = 1024 * 1024;

/// Size and checksums (lowercase hex) of transferred bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checksums {
    pub size: u64,
    pub md5: String,
    pub sha256: String,
}

/// Running checksums of bytes taken in order.
#[derive(Clone, Default)]
pub struct Hashers {
    md5: Md5,
    sha256: Sha256,
    size: u64,
}

impl Hashers {
    pub fn update(&mut self, bytes: &[u8]) {
        self.md5.update(bytes);
        self.sha256.update(bytes);
        self.size += bytes.len() as u64;
    }

    /// How many bytes went in.
    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn finish(self) -> Checksums {
        Checksums {
            size: self.size,
            md5: hex(&self.md5.finalize()),
            sha256: hex(&self.sha256.finalize()),
        }
    }
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The parameters a transfer method takes for its local side, read by `Source::from_args` and
/// the download methods.
pub const FILE: Param =
    Param::string("file", "The local file to upload (or give `data_base64`).").opi("File", "Файл", "file");
pub const DATA: Param = Param::string(
    "data_base64",
    "The bytes to upload, base64-encoded (instead of `file`).",
);
pub const SAVE_PATH: Param = Param::string(
    "save_path",
    "Local file to write (replaced atomically once verified); absent: the bytes come back as base64 up to transfers.inline_max_bytes.",
)
.opi("SavePath", "ПутьСохранения", "out");

/// What an upload sends: a local file, or bytes given inline as base64.
#[derive(Clone)]
pub enum Source {
    File { path: PathBuf, size: u64 },
    Bytes(Bytes),
}

impl Source {
    /// From the call's `file` (a local path) or `data_base64` parameter: exactly one of them.
    pub fn from_args(call: &Call) -> Result<Source> {
        match (call.args.opt_str("file"), call.args.opt_str("data_base64")) {
            (Some(_), Some(_)) => Err(Error::invalid_params("give either `file` or `data_base64`, not both")),
            (None, None) => Err(Error::invalid_params("give `file` (a local path) or `data_base64`")),
            (Some(path), None) => Source::file(Path::new(path)),
            (None, Some(data)) => base64::engine::general_purpose::STANDARD
                .decode(data.trim())
                .map(|bytes| Source::Bytes(Bytes::from(bytes)))
                .map_err(|e| Error::invalid_params(format!("`data_base64` is not base64: {e}"))),
        }
    }

    pub fn file(path: &Path) -> Result<Source> {
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

    pub fn size(&self) -> u64 {
        match self {
            Source::File { size, .. } => *size,
            Source::Bytes(bytes) => bytes.len() as u64,
        }
    }

    /// Size and checksums of the whole source, read once.
    pub async fn checksums(&self) -> Result<Checksums> {
        let mut hashers = Hashers::default();
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
    pub async fn hash_range(&self, range: Range<u64>, hashers: &mut Hashers) -> Result<()> {
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
    pub async fn read_all(&self) -> Result<Bytes> {
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
    async fn range_body(&self, range: Range<u64>, progress: Progress) -> Result<reqwest::Body> {
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
    async fn body(&self, progress: Progress, tally: Arc<Mutex<Tally>>) -> Result<reqwest::Body> {
        let total = self.size();
        match self {
            Source::Bytes(bytes) => {
                {
                    let mut tally = tally.lock().unwrap_or_else(|p| p.into_inner());
                    tally.md5.update(bytes);
                    tally.size += bytes.len() as u64;
                }
                // Sent a chunk at a time, so progress is reported and a cancel stops it.
                let (bytes, total) = (bytes.clone(), total);
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
                Ok(reqwest::Body::wrap_stream(stream))
            }
            Source::File { path, .. } => {
                let mut file = std::fs::File::open(path).map_err(|e| read_error(path, &e))?;
                let (chunks, received) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(READ_AHEAD);
                let (reader_tally, path) = (tally.clone(), path.clone());
                // Reading and hashing run on their own thread, ahead of the network: a chunk's
                // md5 is computed while the one before it is being sent.
                let reader = std::thread::spawn(move || {
                    let (mut md5, mut size) = (Md5::new(), 0u64);
                    loop {
                        let mut buffer = BytesMut::zeroed(CHUNK);
                        match std::io::Read::read(&mut file, &mut buffer) {
                            Ok(0) => break,
                            Ok(read) => {
                                buffer.truncate(read);
                                md5.update(&buffer);
                                size += read as u64;
                                if chunks.blocking_send(Ok(buffer.freeze())).is_err() {
                                    return; // the request stopped
                                }
                            }
                            Err(err) => {
                                reader_tally.lock().unwrap_or_else(|p| p.into_inner()).local_error =
                                    Some(read_error(&path, &err));
                                let _ = chunks.blocking_send(Err(err));
                                return;
                            }
                        }
                    }
                    let mut tally = reader_tally.lock().unwrap_or_else(|p| p.into_inner());
                    tally.md5 = md5;
                    tally.size = size;
                });
                tally.lock().unwrap_or_else(|p| p.into_inner()).reader = Some(reader);
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
        }
    }
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
struct Tally {
    /// Only md5: it is what the services confirm an upload by.
    md5: Md5,
    size: u64,
    local_error: Option<Error>,
    /// The thread reading a file ahead of the network; joined before `md5` is read.
    reader: Option<std::thread::JoinHandle<()>>,
}

/// Chunks read ahead of the network.
const READ_AHEAD: usize = 4;

/// Size and md5 (lowercase hex) of an upload's bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub size: u64,
    pub md5: String,
}

/// The answer to an upload.
pub struct Uploaded {
    pub status: u16,
    pub body: Bytes,
    /// Size and md5 of what was sent.
    pub sent: Sent,
}

/// PUTs the source to a signed URL, with no Authorization header. A network failure comes back
/// as an error with code `network` or `timeout`: the bytes may or may not have arrived.
pub async fn put(call: &Call, progress: &Progress, service: Service, url: &Url, source: &Source) -> Result<Uploaded> {
    call.config.check_url(url)?;
    let client = http::client(&call.config)?;
    let size = source.size();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let body = source.body(progress.clone(), tally.clone()).await?;
    // The answer comes after the last byte: the wait for it grows with the file.
    let deadline = call.config.transfer_timeout(size);
    let request = client
        .put(url.clone())
        .timeout(deadline)
        .header(USER_AGENT, &call.config.user_agent)
        .header(CONTENT_LENGTH, size)
        .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
        .body(body);
    let started = std::time::Instant::now();
    let answer = async {
        let response = within(deadline, request.send()).await?;
        let status = response.status().as_u16();
        let body = within(Duration::from_secs_f64(call.config.timeouts.read_s), response.bytes()).await?;
        Ok::<_, Failure>((status, body))
    }
    .await;
    // A successful answer means the whole body was read, so the reader is done or about to be;
    // after a failure its md5 is not needed and it ends once the request lets go of the body.
    let reader = tally.lock().unwrap_or_else(|p| p.into_inner()).reader.take();
    if let (Some(reader), Ok((200..=299, _))) = (reader, &answer) {
        let _ = tokio::task::spawn_blocking(move || reader.join()).await;
    }
    let mut tally = tally.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(error) = tally.local_error.take() {
        return Err(error);
    }
    progress.check()?;
    let (status, body) =
        answer.map_err(|failure| http::failure_error(&reqwest::Method::PUT, url, service, &failure))?;
    let seconds = started.elapsed().as_secs_f64();
    call.log(
        Level::Info,
        "transfer",
        &format!(
            "PUT {} -> {status}: {size} bytes in {seconds:.2} s ({:.1} MB/s)",
            http::target_of(url),
            size as f64 / seconds.max(1e-6) / 1e6
        ),
    );
    Ok(Uploaded {
        status,
        body,
        sent: Sent {
            size: tally.size,
            md5: hex(&std::mem::take(&mut tally.md5).finalize()),
        },
    })
}

/// A service's answer to a request: status, headers and (small) body.
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Sends `range` of the source as the body of `method url`, with `headers` and no Authorization
/// (a resumable session URI or a signed URL carries its own authority): the building block of
/// chunked, resumable uploads. An empty range sends an empty body (a status query). A network
/// failure is an error (`network` or `timeout`): how much arrived is for the caller's protocol
/// to find out.
#[allow(clippy::too_many_arguments)]
pub async fn send_range(
    call: &Call,
    progress: &Progress,
    service: Service,
    method: reqwest::Method,
    url: &Url,
    source: &Source,
    range: Range<u64>,
    headers: &[(&'static str, String)],
) -> Result<Answer> {
    call.config.check_url(url)?;
    progress.check()?;
    let client = http::client(&call.config)?;
    let length = range.end - range.start;
    let body = source.range_body(range, progress.clone()).await?;
    let deadline = call.config.transfer_timeout(length);
    let mut request = client
        .request(method.clone(), url.clone())
        .timeout(deadline)
        .header(USER_AGENT, &call.config.user_agent)
        .header(CONTENT_LENGTH, length);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let started = std::time::Instant::now();
    let answer = async {
        let response = within(deadline, request.body(body).send()).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = within(Duration::from_secs_f64(call.config.timeouts.read_s), response.bytes()).await?;
        Ok::<_, Failure>(Answer { status, headers, body })
    }
    .await;
    progress.check()?;
    let answer = answer.map_err(|failure| http::failure_error(&method, url, service, &failure))?;
    let seconds = started.elapsed().as_secs_f64();
    call.log(
        Level::Debug,
        "transfer",
        &format!(
            "{method} {} ({length} bytes) -> {} in {seconds:.2} s",
            http::target_of(url),
            answer.status
        ),
    );
    Ok(answer)
}

/// How a download URL is authorized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// A signed link: no Authorization; an expired link (403/404/410) is asked for again.
    Signed,
    /// An API URL: the call's token (refreshed once after a 401); the URL stays the same, so
    /// 403/404/410 are the service's final word.
    Token,
}

/// What a download must match: any of these the service reports.
#[derive(Clone, Debug, Default)]
pub struct Expected {
    pub size: Option<u64>,
    pub md5: Option<String>,
    pub sha256: Option<String>,
}

/// Where a download goes.
pub enum Sink {
    /// Replace this file atomically once the bytes are verified.
    File(PathBuf),
    /// Keep the bytes in memory, up to the configured inline cap.
    Memory,
}

pub struct Downloaded {
    pub checksums: Checksums,
    /// The bytes, for `Sink::Memory`.
    pub data: Option<Vec<u8>>,
}

/// A temporary file beside the target, removed unless it was renamed over the target.
struct TempFile {
    path: PathBuf,
    committed: bool,
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Where downloaded bytes end up, owned by the pipeline's writing thread.
enum Output {
    File(std::io::BufWriter<std::fs::File>),
    Memory(Vec<u8>),
}

enum Piece {
    Bytes(Bytes),
    /// Start over: the server ignored the Range of a resumed request.
    Restart,
}

/// The download side of the engine: every chunk goes to two threads, one hashing md5, the other
/// hashing sha256 and writing, so the hashing runs beside the network on other cores instead
/// of in line with it. Bounded channels keep memory to a few chunks.
struct Pipeline {
    md5: Option<Stage<String>>,
    main: Option<Stage<std::io::Result<(String, Output)>>>,
    /// Network chunks are small; they are gathered into pieces of about `CHUNK / 2` so the
    /// threads are woken per piece, not per chunk.
    pending: BytesMut,
}

/// Writes a download's pages out to disk on a thread of its own, every `WRITE_OUT_BYTES`, so the
/// sync before the rename has only the last few to wait for instead of the whole file (a quarter
/// of a second per GiB here, after the last byte has arrived).
struct WriteOut {
    /// Holds at most one request: a request made while a sync runs is covered by the next one.
    requests: Option<std::sync::mpsc::SyncSender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    /// Bytes between requests: `WRITE_OUT_BYTES` but in tests.
    every: usize,
    since_last: usize,
    /// Requests made, for the tests.
    requested: usize,
}

const WRITE_OUT_BYTES: usize = 64 * CHUNK;

impl WriteOut {
    fn start(file: &std::fs::File, every: usize) -> std::io::Result<WriteOut> {
        let file = file.try_clone()?;
        let (requests, received) = std::sync::mpsc::sync_channel::<()>(1);
        let thread = std::thread::spawn(move || {
            while received.recv().is_ok() {
                file.sync_data()?;
            }
            Ok(())
        });
        Ok(WriteOut {
            requests: Some(requests),
            thread: Some(thread),
            every,
            since_last: 0,
            requested: 0,
        })
    }

    /// `bytes` more were written through `file`.
    fn wrote(&mut self, file: &mut std::io::BufWriter<std::fs::File>, bytes: usize) -> std::io::Result<()> {
        self.since_last += bytes;
        if self.since_last >= self.every {
            self.since_last = 0;
            std::io::Write::flush(file)?;
            if let Some(requests) = &self.requests {
                let _ = requests.try_send(());
                self.requested += 1;
            }
        }
        Ok(())
    }

    /// Waits for a sync under way; its error, if any, is the download's.
    fn finish(mut self) -> std::io::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> std::io::Result<()> {
        drop(self.requests.take());
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| std::io::Error::other("the write-out thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for WriteOut {
    /// An abandoned download waits for the thread too, so its copy of the file is closed before
    /// the temporary file is removed.
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

/// A pipeline thread and the channel feeding it.
type Stage<T> = (tokio::sync::mpsc::Sender<Piece>, std::thread::JoinHandle<T>);

/// Pieces in flight to each pipeline thread (the pieces are shared, not copied, between them).
const PIPELINE_DEPTH: usize = 16;

impl Pipeline {
    fn start(output: Output) -> Pipeline {
        let (md5_tx, mut md5_rx) = tokio::sync::mpsc::channel::<Piece>(PIPELINE_DEPTH);
        let md5 = std::thread::spawn(move || {
            let mut md5 = Md5::new();
            while let Some(piece) = md5_rx.blocking_recv() {
                match piece {
                    Piece::Bytes(bytes) => md5.update(&bytes),
                    Piece::Restart => md5 = Md5::new(),
                }
            }
            hex(&md5.finalize())
        });
        let (main_tx, mut main_rx) = tokio::sync::mpsc::channel::<Piece>(PIPELINE_DEPTH);
        let main = std::thread::spawn(move || {
            let mut output = output;
            let mut sha256 = Sha256::new();
            // Only a speed-up: without it (a handle that cannot be duplicated) the final sync
            // does all the work.
            let mut write_out = match &output {
                Output::File(file) => WriteOut::start(file.get_ref(), WRITE_OUT_BYTES).ok(),
                Output::Memory(_) => None,
            };
            while let Some(piece) = main_rx.blocking_recv() {
                match (piece, &mut output) {
                    (Piece::Bytes(bytes), Output::File(file)) => {
                        sha256.update(&bytes);
                        std::io::Write::write_all(file, &bytes)?;
                        if let Some(write_out) = &mut write_out {
                            write_out.wrote(file, bytes.len())?;
                        }
                    }
                    (Piece::Bytes(bytes), Output::Memory(data)) => {
                        sha256.update(&bytes);
                        data.extend_from_slice(&bytes);
                    }
                    (Piece::Restart, Output::File(file)) => {
                        sha256 = Sha256::new();
                        std::io::Write::flush(file)?;
                        file.get_mut().set_len(0)?;
                        std::io::Seek::seek(file.get_mut(), std::io::SeekFrom::Start(0))?;
                    }
                    (Piece::Restart, Output::Memory(data)) => {
                        sha256 = Sha256::new();
                        data.clear();
                    }
                }
            }
            if let Output::File(file) = &mut output {
                std::io::Write::flush(file)?;
                if let Some(write_out) = write_out {
                    write_out.finish()?;
                }
                file.get_ref().sync_all()?;
            }
            Ok((hex(&sha256.finalize()), output))
        });
        Pipeline {
            md5: Some((md5_tx, md5)),
            main: Some((main_tx, main)),
            pending: BytesMut::new(),
        }
    }

    /// Adds received bytes, sending a piece once enough have gathered.
    async fn push(&mut self, chunk: &[u8]) -> bool {
        self.pending.extend_from_slice(chunk);
        self.pending.len() < CHUNK / 2 || self.flush().await
    }

    /// Sends what has gathered; false when the writing thread has stopped.
    async fn flush(&mut self) -> bool {
        if self.pending.is_empty() {
            return true;
        }
        let piece = self.pending.split().freeze();
        self.pending.reserve(CHUNK);
        self.send(|| Piece::Bytes(piece.clone())).await
    }

    /// Starts over: what was gathered or sent is dropped.
    async fn restart(&mut self) -> bool {
        self.pending.clear();
        self.send(|| Piece::Restart).await
    }

    /// Hands a piece to both threads; false when the writing thread has stopped (a write
    /// failed: `finish` tells why).
    async fn send(&self, piece: impl Fn() -> Piece) -> bool {
        let (Some((md5, _)), Some((main, _))) = (&self.md5, &self.main) else {
            return false;
        };
        md5.send(piece()).await.is_ok() && main.send(piece()).await.is_ok()
    }

    /// Closes the channels and waits for the threads: (md5, sha256, output).
    async fn finish(mut self) -> std::io::Result<(String, String, Output)> {
        // If the writing thread has stopped, joining it below tells why.
        self.flush().await;
        let (md5_tx, md5) = self.md5.take().expect("finished once");
        let (main_tx, main) = self.main.take().expect("finished once");
        drop((md5_tx, main_tx));
        tokio::task::spawn_blocking(move || {
            let md5 = md5
                .join()
                .map_err(|_| std::io::Error::other("the md5 thread panicked"))?;
            let (sha256, output) = main
                .join()
                .map_err(|_| std::io::Error::other("the writing thread panicked"))??;
            Ok((md5, sha256, output))
        })
        .await
        .map_err(std::io::Error::other)?
    }
}

impl Drop for Pipeline {
    /// An abandoned download (error, cancel) waits for its threads, so the file is closed
    /// before the temporary file is removed.
    fn drop(&mut self) {
        if let Some((tx, md5)) = self.md5.take() {
            drop(tx);
            let _ = md5.join();
        }
        if let Some((tx, main)) = self.main.take() {
            drop(tx);
            let _ = main.join();
        }
    }
}

/// Downloads from a signed URL (no Authorization) that `link` hands out — called again for a
/// fresh one when a link has expired — resuming with `Range` after broken connections, and
/// verifying size, md5 and sha256 against `expected` before anything is replaced.
pub async fn download<F, Fut>(
    call: &Call,
    progress: &Progress,
    service: Service,
    expected: &Expected,
    sink: Sink,
    link: F,
) -> Result<Downloaded>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Url>>,
{
    download_from(call, progress, service, expected, sink, Access::Signed, link).await
}

/// As `download`, from a URL authorized as `access` says.
pub async fn download_from<F, Fut>(
    call: &Call,
    progress: &Progress,
    service: Service,
    expected: &Expected,
    sink: Sink,
    access: Access,
    mut link: F,
) -> Result<Downloaded>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Url>>,
{
    let session = match access {
        Access::Token => call.auth.clone(),
        Access::Signed => None,
    };
    let mut refreshed_after_401 = false;
    let cap = call.config.transfers.inline_max_bytes;
    let memory = matches!(sink, Sink::Memory);
    if memory && expected.size.is_some_and(|size| size > cap) {
        return Err(too_large(cap));
    }
    // Declared before the pipeline so that it is dropped after it: the file is closed first.
    let mut temp = None;
    let output = match &sink {
        Sink::Memory => Output::Memory(Vec::new()),
        Sink::File(target) => {
            let path = temp_path(target);
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| Error::local_io(&format!("cannot create {}", path.display()), &e))?;
            temp = Some(TempFile { path, committed: false });
            Output::File(std::io::BufWriter::with_capacity(CHUNK, file))
        }
    };
    let mut pipeline = Pipeline::start(output);
    let write_error = |err: std::io::Error| match &temp {
        Some(temp) => Error::local_io(&format!("cannot write {}", temp.path.display()), &err),
        None => Error::local_io("cannot keep the download in memory", &err),
    };
    let client = http::client(&call.config)?;
    let idle = Duration::from_secs_f64(call.config.timeouts.read_s);
    let policy = &call.config.retries;
    let mut url = link().await?;
    let started = std::time::Instant::now();
    let mut received = 0u64;
    let mut failures = 0u32;
    let mut fresh_links = 0u32;
    let total = expected.size.unwrap_or(0);
    'attempts: loop {
        progress.check()?;
        call.config.check_url(&url)?;
        let offset = received;
        let remaining = expected.size.map(|size| size.saturating_sub(offset)).unwrap_or(0);
        let mut request = client
            .get(url.clone())
            .timeout(call.config.transfer_timeout(remaining))
            .header(USER_AGENT, &call.config.user_agent);
        if offset > 0 {
            request = request.header(RANGE, format!("bytes={offset}-"));
        }
        if let Some(session) = &session {
            request = request.header(AUTHORIZATION, session.authorization(call).await?);
        }
        let failure = match within(idle, request.send()).await {
            Err(failure) => Some(http::failure_error(&reqwest::Method::GET, &url, service, &failure)),
            Ok(mut response) => {
                let status = response.status().as_u16();
                if offset > 0 && status == 416 && expected.size == Some(offset) {
                    break 'attempts;
                }
                match status {
                    200 | 206 => {
                        if status == 200 && offset > 0 || status == 206 && range_start(&response) != Some(offset) {
                            // The server sent the file from another place than asked: start over.
                            if !pipeline.restart().await {
                                return Err(stopped_writer(pipeline, write_error).await);
                            }
                            received = 0;
                            if status == 206 {
                                continue 'attempts;
                            }
                        }
                        let mut broken = None;
                        loop {
                            match within(idle, response.chunk()).await {
                                Ok(Some(chunk)) => {
                                    received += chunk.len() as u64;
                                    if memory && received > cap {
                                        return Err(too_large(cap));
                                    }
                                    if !pipeline.push(&chunk).await {
                                        return Err(stopped_writer(pipeline, write_error).await);
                                    }
                                    failures = 0;
                                    progress.report(received, total)?;
                                }
                                Ok(None) => break,
                                Err(failure) => {
                                    broken = Some(http::failure_error(&reqwest::Method::GET, &url, service, &failure));
                                    break;
                                }
                            }
                        }
                        match broken {
                            None if expected.size.is_none_or(|size| received >= size) => break 'attempts,
                            // The body ended early without an error: resume from there too.
                            None => {
                                Some(Error::new(ErrorCode::Network, "the download ended early").with_service(service))
                            }
                            Some(error) => Some(error),
                        }
                    }
                    401 if !refreshed_after_401 && session.is_some() => {
                        let session = session.as_ref().expect("checked above");
                        if !session.refresh_after_unauthorized(call).await? {
                            let answer = http::Response {
                                status,
                                headers: response.headers().clone(),
                                body: response.bytes().await.unwrap_or_default(),
                            };
                            return Err(http::status_error(service, &answer));
                        }
                        refreshed_after_401 = true;
                        continue 'attempts;
                    }
                    // Signed links expire: ask for a fresh one.
                    403 | 404 | 410 if access == Access::Signed && fresh_links < 3 => {
                        fresh_links += 1;
                        call.log(
                            Level::Info,
                            "transfer",
                            &format!("download link answered {status}: asking for a new one"),
                        );
                        url = link().await?;
                        continue 'attempts;
                    }
                    429 | 500..=599 => Some(Error::new(
                        if status == 429 {
                            ErrorCode::RateLimited
                        } else {
                            ErrorCode::ServerError
                        },
                        format!("GET {} answered HTTP {status}", http::target_of(&url)),
                    )),
                    _ => {
                        let headers = response.headers().clone();
                        let body = response.bytes().await.unwrap_or_default();
                        let answer = http::Response { status, headers, body };
                        if http::is_rate_limit_403(service, &answer) {
                            Some(http::status_error(service, &answer))
                        } else {
                            return Err(http::status_error(service, &answer));
                        }
                    }
                }
            }
        };
        if let Some(error) = failure {
            failures += 1;
            if failures >= policy.max_attempts {
                return Err(error);
            }
            let wait = http::backoff(&call.config, failures);
            call.log(
                Level::Warn,
                "transfer",
                &format!(
                    "download broke at byte {} ({}); resuming in {:.1} s",
                    received,
                    error.message,
                    wait.as_secs_f64()
                ),
            );
            progress.sleep(wait).await?;
        }
    }
    let network_s = started.elapsed().as_secs_f64();
    let (md5, sha256, output) = pipeline.finish().await.map_err(write_error)?;
    call.log(
        Level::Info,
        "transfer",
        &format!(
            "GET {}: {received} bytes in {network_s:.2} s ({:.1} MB/s), verified and written {:.2} s later",
            http::target_of(&url),
            received as f64 / network_s.max(1e-6) / 1e6,
            started.elapsed().as_secs_f64() - network_s
        ),
    );
    let checksums = Checksums {
        size: received,
        md5,
        sha256,
    };
    verify(&checksums, expected)?;
    match (output, temp) {
        (Output::Memory(data), _) => Ok(Downloaded {
            checksums,
            data: Some(data),
        }),
        (Output::File(file), temp) => {
            drop(file);
            let (Sink::File(target), Some(mut temp)) = (sink, temp) else {
                unreachable!("a file output has a file sink and a temporary file")
            };
            tokio::fs::rename(&temp.path, &target)
                .await
                .map_err(|e| Error::local_io(&format!("cannot replace {}", target.display()), &e))?;
            temp.committed = true;
            Ok(Downloaded { checksums, data: None })
        }
    }
}

/// The error of a pipeline whose writing thread stopped early.
async fn stopped_writer(pipeline: Pipeline, write_error: impl Fn(std::io::Error) -> Error) -> Error {
    match pipeline.finish().await {
        Err(err) => write_error(err),
        Ok(_) => Error::new(ErrorCode::Internal, "the download's writing thread stopped"),
    }
}

fn too_large(cap: u64) -> Error {
    Error::new(
        ErrorCode::TooLarge,
        format!("the file is larger than the inline cap of {cap} bytes: give `save_path` (or raise transfers.inline_max_bytes)"),
    )
}

fn range_start(response: &reqwest::Response) -> Option<u64> {
    let value = response.headers().get(CONTENT_RANGE)?.to_str().ok()?;
    value.strip_prefix("bytes ")?.split('-').next()?.trim().parse().ok()
}

/// A hidden temporary name beside the target, so the final rename is atomic.
fn temp_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut random = [0u8; 6];
    let _ = getrandom::fill(&mut random);
    target.with_file_name(format!(".{name}.{}.diskbridge-part", hex(&random)))
}

/// Compares what arrived with what the service reports.
pub fn verify(actual: &Checksums, expected: &Expected) -> Result<()> {
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
pub async fn local_checksums(path: &Path) -> Result<Option<Checksums>> {
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

#[cfg(test)]
mod tests {
    use super::WriteOut;

    /// Every `every` bytes the writer flushes and asks for a sync; what it wrote arrives whole,
    /// and finishing waits for the sync thread.
    #[test]
    fn write_out_asks_for_syncs_as_the_file_grows() {
        let dir = std::env::temp_dir().join(format!("diskbridge-write-out-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("file.bin");
        let mut file = std::io::BufWriter::with_capacity(8192, std::fs::File::create(&path).unwrap());
        let mut write_out = WriteOut::start(file.get_ref(), 10_000).unwrap();
        let piece: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8).collect();
        for _ in 0..25 {
            std::io::Write::write_all(&mut file, &piece).unwrap();
            write_out.wrote(&mut file, piece.len()).unwrap();
        }
        // 25 pieces of 4096 bytes: a request every third piece.
        assert_eq!(write_out.requested, 8);
        std::io::Write::flush(&mut file).unwrap();
        write_out.finish().unwrap();
        let written = std::fs::read(&path).unwrap();
        assert_eq!(written.len(), 25 * 4096);
        assert!(written.chunks(4096).all(|chunk| chunk == piece));
        // Windows cannot remove a folder while a file in it is open.
        drop(file);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
