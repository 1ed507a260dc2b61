//! Downloads: streamed into a part file beside the target (or memory, or straight into a FIFO or
//! device), resumed with `Range` after a broken connection, verified against the size and
//! sha256 the service reports (md5 where it reports no sha256), and only then renamed into
//! place. A large file goes over several ranged connections at once (`ranges`); a server that
//! ignores `Range` falls back to one stream. The loops keep the protocol decisions and ask the
//! retry context how long to wait; a failure counts unless it got further into the file than
//! any before it, so a link that always breaks at the same place gives up.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use url::Url;

use super::fetch::{overflow, range_start, Answer, Chunk, Getter, Link};
use super::pipeline::{Output, Pipeline, WRITE_BUFFER};
use super::ranges::{self, Ranged};
use super::target::{place, Placement, Reach};
use super::{verify, Checksums, Expected, Verified};
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::transport::{Context, Profile, RetryContext};

pub(crate) use super::fetch::Access;

/// Where a download goes.
pub(crate) enum Sink {
    /// This file, replaced atomically once the bytes are verified (written through when it is a
    /// FIFO or a device); part files an earlier run of it left behind are removed first.
    File(PathBuf),
    /// As `File`, for a file of a folder download: `target` must stay inside `root`, which
    /// others may be changing, so the folders between them are checked before the part file is
    /// made and before the rename, and a link there is refused (not written through). The tree
    /// engine has already rid the folder of stale part files.
    Inside { root: PathBuf, target: PathBuf },
    /// Keep the bytes in memory, up to the configured inline cap.
    Memory,
}

pub(crate) struct Downloaded {
    pub checksums: Checksums,
    /// The bytes, for `Sink::Memory`.
    pub data: Option<Vec<u8>>,
}

/// Downloads from a signed URL (no Authorization) that `link` hands out — called again for a
/// fresh one when a link has expired — resuming with `Range` after broken connections, and
/// verifying size and checksum against `expected` before anything is replaced.
pub(crate) async fn download<F, Fut>(
    ctx: &Context,
    profile: &Profile,
    expected: &Expected,
    sink: Sink,
    link: F,
) -> Result<Downloaded>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Url>>,
{
    download_from(ctx, profile, expected, sink, Access::Signed, link).await
}

/// As `download`, from a URL authorized as `access` says.
pub(crate) async fn download_from<F, Fut>(
    ctx: &Context,
    profile: &Profile,
    expected: &Expected,
    sink: Sink,
    access: Access,
    link: F,
) -> Result<Downloaded>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Url>>,
{
    let memory_cap = matches!(sink, Sink::Memory).then_some(ctx.config.transfers.inline_max_bytes);
    if let Some(cap) = memory_cap.filter(|cap| expected.size.is_some_and(|size| size > *cap)) {
        return Err(too_large(cap));
    }
    let (placement, file) = match &sink {
        Sink::File(path) => place(ctx, path, Reach::Anywhere)
            .await
            .map(|(p, f)| (Some(p), Some(f)))?,
        Sink::Inside { root, target } => {
            let reach = Reach::Inside(root);
            place(ctx, target, reach).await.map(|(p, f)| (Some(p), Some(f)))?
        }
        Sink::Memory => (None, None),
    };
    let link = Link::open(access, link).await?;
    // A download's retries end with the time its size is given at the slowest accepted rate.
    let started = Instant::now();
    let retry = ctx
        .retry()
        .with_deadline(started + ctx.config.transfer_timeout(expected.size.unwrap_or(0)));
    let mut first = None;
    if let (Some(Placement::Replace { part, .. }), Some(streams), Some(size)) =
        (&placement, parallel_streams(ctx, expected, memory_cap), expected.size)
    {
        let ranged = ranges::download(ctx, profile, expected, &link, &retry, part, (size, streams)).await?;
        match ranged {
            Ranged::Done(checksums) => {
                let how = format!("{streams} ranged connections");
                return land(ctx, expected, placement, (checksums, None), (&how, started)).await;
            }
            Ranged::Ignored(answer) => {
                let line = "the server ignores Range: downloading over one connection instead";
                ctx.log(Level::Info, "transfer", line);
                part.truncate()?;
                first = answer;
            }
        }
    }
    let output = match (file, &placement) {
        (Some(file), Some(Placement::Replace { .. })) => {
            Output::File(std::io::BufWriter::with_capacity(WRITE_BUFFER, file))
        }
        (Some(file), _) => Output::Stream(std::io::BufWriter::with_capacity(WRITE_BUFFER, file)),
        (None, _) => Output::Memory(Vec::new()),
    };
    let patience = Duration::from_secs_f64(ctx.config.timeouts.read_s);
    let pipeline = Pipeline::start(output, expected.needs_md5(), ctx.progress.clone(), patience);
    let mut stream = Single {
        getter: Getter::new(ctx, profile, expected.size, 0)?,
        link: &link,
        size: expected.size,
        cap: memory_cap,
        received: 0,
        pipeline: Some(pipeline),
        written_to: placement.as_ref().map(Placement::path),
    };
    stream.run(&retry, first).await?;
    let (checksums, output) = stream.finish().await?;
    let data = match output {
        Output::Memory(data) => Some(data),
        Output::File(_) | Output::Stream(_) => None,
    };
    land(ctx, expected, placement, (checksums, data), ("one connection", started)).await
}

/// How many ranged connections a download takes: several for a file of known size from the
/// parallel threshold up going to a part file, else none (one stream).
fn parallel_streams(ctx: &Context, expected: &Expected, memory_cap: Option<u64>) -> Option<usize> {
    let transfers = &ctx.config.transfers;
    let size = expected.size?;
    let eligible = memory_cap.is_none()
        && transfers.download_streams > 1
        && size > 0
        && size >= transfers.parallel_threshold_bytes;
    eligible.then_some(transfers.download_streams as usize)
}

/// Verifies what arrived and puts it in place: the part file renamed over the target. `run`
/// says how the bytes came and when the download started, for the log.
async fn land(
    ctx: &Context,
    expected: &Expected,
    placement: Option<Placement>,
    arrived: (Checksums, Option<Vec<u8>>),
    run: (&str, Instant),
) -> Result<Downloaded> {
    let (mut checksums, data) = arrived;
    let verified = verify(&checksums, expected).map_err(|error| match &placement {
        Some(Placement::Direct { path }) => Error::new(
            error.code,
            format!(
                "{}: the bytes were written into {} as they arrived (a FIFO or a device cannot be replaced), so do not trust them",
                error.message.trim_end_matches("; nothing was replaced"),
                path.display()
            ),
        ),
        _ => error,
    })?;
    let (how, started) = run;
    let line = format!(
        "downloaded {} bytes over {how} in {:.2} s ({:.1} MB/s), verified by {}",
        checksums.size,
        started.elapsed().as_secs_f64(),
        checksums.size as f64 / started.elapsed().as_secs_f64().max(1e-6) / 1e6,
        verified.as_str()
    );
    ctx.log(Level::Info, "transfer", &line);
    // The bytes are the stored file's: the md5 the service reports is theirs too.
    if verified == Verified::Sha256 {
        checksums.md5 = checksums
            .md5
            .or_else(|| expected.md5.as_ref().map(|md5| md5.to_lowercase()));
    }
    if let Some(placement) = placement {
        placement.commit().await?;
    }
    Ok(Downloaded { checksums, data })
}

impl Placement {
    fn path(&self) -> PathBuf {
        match self {
            Placement::Replace { part, .. } => part.path.clone(),
            Placement::Direct { path } => path.clone(),
        }
    }
}

/// A download over one connection, in order, resumed from where it broke.
struct Single<'a, F> {
    getter: Getter<'a>,
    link: &'a Link<F>,
    size: Option<u64>,
    /// The inline cap of a memory sink.
    cap: Option<u64>,
    received: u64,
    /// The threads hashing and writing: taken when they stopped early, to learn why.
    pipeline: Option<Pipeline>,
    /// The file written, for errors (none: memory).
    written_to: Option<PathBuf>,
}

impl<F, Fut> Single<'_, F>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Url>>,
{
    /// GETs and resumes until every byte is there; `first` is an answer already in hand.
    async fn run(&mut self, retry: &RetryContext, mut first: Option<(reqwest::Response, Url)>) -> Result<()> {
        let (mut failures, mut best) = (0, 0);
        loop {
            self.getter.ctx.progress.check()?;
            let answer = match first.take() {
                Some((response, url)) => Answer::Body(response, url),
                None => self.getter.get(self.link, self.received, None).await?,
            };
            let error = match answer {
                Answer::Complete => return Ok(()),
                Answer::Again => continue,
                Answer::Broke(error) => error,
                Answer::Body(response, url) => match self.receive(response, &url).await? {
                    None => return Ok(()),
                    Some(error) => error,
                },
            };
            // Only a failure that got further into the file than any before counts from 1 again.
            failures = if self.received > best { 1 } else { failures + 1 };
            best = best.max(self.received);
            let at = self.received;
            retry
                .wait_again(failures, error, |error, wait| {
                    let wait = wait.as_secs_f64();
                    format!(
                        "download broke at byte {at} ({}); resuming in {wait:.1} s",
                        error.message
                    )
                })
                .await?;
        }
    }

    /// Takes the body of a 200 or 206 in: `None` once every byte is there, or the error that
    /// broke it (to resume from). A server that sends from an earlier byte than asked (a 200
    /// ignoring the Range of a resume) has what came already skipped.
    async fn receive(&mut self, mut response: reqwest::Response, url: &Url) -> Result<Option<Error>> {
        let offset = self.received;
        let start = match response.status().as_u16() {
            206 => range_start(&response),
            _ => Some(0),
        };
        let Some(mut position) = start.filter(|start| *start <= offset) else {
            let message = format!("asked for the bytes from {offset} on, the server sent {start:?} on");
            return Ok(Some(self.getter.profile.invalid_response(message)));
        };
        loop {
            let mut bytes = match self.getter.chunk(&mut response, url).await {
                Chunk::Bytes(bytes) => bytes,
                Chunk::End => break,
                Chunk::Broke(error) => return Ok(Some(error)),
            };
            let end = position + bytes.len() as u64;
            if let Some(size) = self.size.filter(|size| end > *size) {
                return Err(overflow(&format!("the {size} bytes the service reports")));
            }
            if position < offset {
                bytes = bytes.slice((offset - position).min(bytes.len() as u64) as usize..);
            }
            position = end;
            if bytes.is_empty() {
                continue;
            }
            self.received += bytes.len() as u64;
            if let Some(cap) = self.cap.filter(|cap| self.received > *cap) {
                return Err(too_large(cap));
            }
            self.push(bytes).await?;
            self.getter.ctx.progress.report(self.received, self.size.unwrap_or(0))?;
        }
        if self.size.is_none_or(|size| self.received >= size) {
            return Ok(None);
        }
        Ok(Some(self.getter.ended_early(&(self.received..self.size.unwrap_or(0)))))
    }

    async fn push(&mut self, bytes: bytes::Bytes) -> Result<()> {
        let pushed = match self.pipeline.as_mut() {
            Some(pipeline) => pipeline.push(bytes).await?,
            None => None,
        };
        match pushed {
            Some(()) => Ok(()),
            None => Err(self.stopped().await),
        }
    }

    /// The error of a pipeline whose writing thread stopped early.
    async fn stopped(&mut self) -> Error {
        if let Some(pipeline) = self.pipeline.take() {
            if let Err(err) = pipeline.finish().await {
                return write_error(self.written_to.as_deref(), err);
            }
        }
        Error::new(ErrorCode::Internal, "the download's writing thread stopped")
    }

    /// Waits for the pipeline: the checksums of what arrived, and where it went.
    async fn finish(mut self) -> Result<(Checksums, Output)> {
        let pipeline = self.pipeline.take().expect("a download finishes once");
        pipeline
            .finish()
            .await
            .map_err(|err| write_error(self.written_to.as_deref(), err))
    }
}

fn write_error(path: Option<&Path>, err: std::io::Error) -> Error {
    match path {
        Some(path) => Error::local_io(&format!("cannot write {}", path.display()), &err),
        None => Error::local_io("cannot keep the download in memory", &err),
    }
}

fn too_large(cap: u64) -> Error {
    Error::new(
        ErrorCode::TooLarge,
        format!("the file is larger than the inline cap of {cap} bytes: give `save_path` (or raise transfers.inline_max_bytes)"),
    )
}
