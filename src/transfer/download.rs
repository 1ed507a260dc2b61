//! Downloads: streamed into a temporary file beside the target (or memory), resumed with
//! `Range` after a broken connection, verified against the size and checksums the service
//! reports, and only then renamed into place. The resume loop keeps the protocol decisions
//! (resume from a byte, start over, refresh the token, get a fresh link) and asks the retry
//! context how long to wait.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_RANGE, RANGE, USER_AGENT};
use url::Url;

use super::inside::check_inside;
use super::pipeline::{Output, Pipeline, TempFile};
use super::{hex, verify, Checksums, Expected, CHUNK};
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::transport::{client, failure_error, target_of, within, Context, Profile, Reply, TokenProvider};

/// An expired signed link (403/404/410) is asked for again at most this many times.
const MAX_FRESH_LINKS: u32 = 3;

/// How a download URL is authorized.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    /// A signed link: no Authorization; an expired link (403/404/410) is asked for again.
    Signed,
    /// An API URL: the call's token (refreshed once after a 401); the URL stays the same, so
    /// 403/404/410 are the service's final word.
    Token,
}

/// Where a download goes.
pub(crate) enum Sink {
    /// Replace this file atomically once the bytes are verified.
    File(PathBuf),
    /// As `File`, for a target inside `root` that others may be changing: the folders between
    /// them are checked before the temporary file is made and before the rename (`inside`).
    Inside { root: PathBuf, target: PathBuf },
    /// Keep the bytes in memory, up to the configured inline cap.
    Memory,
}

impl Sink {
    /// The file to replace, and nothing on the way to it taken elsewhere.
    fn checked_target(&self) -> Result<Option<&Path>> {
        match self {
            Sink::File(target) => Ok(Some(target)),
            Sink::Inside { root, target } => check_inside(root, target).map(|()| Some(target.as_path())),
            Sink::Memory => Ok(None),
        }
    }
}

pub(crate) struct Downloaded {
    pub checksums: Checksums,
    /// The bytes, for `Sink::Memory`.
    pub data: Option<Vec<u8>>,
}

/// Downloads from a signed URL (no Authorization) that `link` hands out — called again for a
/// fresh one when a link has expired — resuming with `Range` after broken connections, and
/// verifying size, md5 and sha256 against `expected` before anything is replaced.
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
    mut link: F,
) -> Result<Downloaded>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Url>>,
{
    let mut landing = Landing::open(ctx, expected, &sink)?;
    let mut resume = Resume::new(ctx, profile, expected, access)?;
    // A download's retries end with the time its size is given at the slowest accepted rate.
    let started = Instant::now();
    let retry = ctx
        .retry()
        .with_deadline(started + ctx.config.transfer_timeout(expected.size.unwrap_or(0)));
    let mut url = link().await?;
    let mut failures = 0;
    loop {
        ctx.progress.check()?;
        match resume.attempt(&url, &mut landing).await? {
            Step::Complete => break,
            Step::Again => {}
            Step::FreshLink => url = link().await?,
            Step::Broke { error, progressed } => {
                failures = if progressed { 1 } else { failures + 1 };
                let at = resume.received;
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
    }
    landing
        .finish(ctx, expected, sink, (&url, resume.received, started))
        .await
}

/// What one GET of the resume loop came to.
enum Step {
    /// Every byte is there.
    Complete,
    /// Go again at once (a token refreshed, a server that ignored `Range` restarted).
    Again,
    /// The signed link expired: ask for a fresh one.
    FreshLink,
    /// The connection broke or the service failed for now: wait, then resume.
    Broke { error: Error, progressed: bool },
}

/// The protocol state of a download: how far it got, and what it already tried.
struct Resume<'a> {
    ctx: &'a Context,
    profile: &'a Profile,
    expected: &'a Expected,
    access: Access,
    client: reqwest::Client,
    idle: Duration,
    received: u64,
    refreshed_after_401: bool,
    fresh_links: u32,
}

impl<'a> Resume<'a> {
    fn new(ctx: &'a Context, profile: &'a Profile, expected: &'a Expected, access: Access) -> Result<Resume<'a>> {
        Ok(Resume {
            ctx,
            profile,
            expected,
            access,
            client: client(&ctx.config)?,
            idle: Duration::from_secs_f64(ctx.config.timeouts.read_s),
            received: 0,
            refreshed_after_401: false,
            fresh_links: 0,
        })
    }

    /// The call's token, for an API URL.
    fn provider(&self) -> Option<&'a Arc<dyn TokenProvider>> {
        match self.access {
            Access::Token => self.ctx.auth.as_ref(),
            Access::Signed => None,
        }
    }

    /// One GET from `received` on, its answer handled.
    async fn attempt(&mut self, url: &Url, landing: &mut Landing) -> Result<Step> {
        let (ctx, profile) = (self.ctx, self.profile);
        ctx.config.check_url(url)?;
        let offset = self.received;
        let request = self.request(url, offset).await?;
        let response = match within(self.idle, request.send()).await {
            Ok(response) => response,
            Err(failure) => {
                let error = failure_error(&reqwest::Method::GET, url, profile, &failure);
                return Ok(Step::Broke {
                    error,
                    progressed: false,
                });
            }
        };
        let status = response.status().as_u16();
        if offset > 0 && status == 416 && self.expected.size == Some(offset) {
            return Ok(Step::Complete);
        }
        match status {
            200 | 206 => self.receive(response, url, landing).await,
            401 if !self.refreshed_after_401 && self.provider().is_some() => self.refresh(response).await,
            // Signed links expire: ask for a fresh one.
            403 | 404 | 410 if self.access == Access::Signed && self.fresh_links < MAX_FRESH_LINKS => {
                self.fresh_links += 1;
                let line = format!("download link answered {status}: asking for a new one");
                ctx.log(Level::Info, "transfer", &line);
                Ok(Step::FreshLink)
            }
            429 | 500..=599 => {
                let code = if status == 429 {
                    ErrorCode::RateLimited
                } else {
                    ErrorCode::ServerError
                };
                let error = Error::new(code, format!("GET {} answered HTTP {status}", target_of(url)));
                Ok(Step::Broke {
                    error,
                    progressed: false,
                })
            }
            _ => {
                let reply = Reply::read(response).await;
                let error = profile.error(&reply);
                if profile.refused_for_rate(&reply) {
                    Ok(Step::Broke {
                        error,
                        progressed: false,
                    })
                } else {
                    Err(error)
                }
            }
        }
    }

    async fn request(&self, url: &Url, offset: u64) -> Result<reqwest::RequestBuilder> {
        let config = &self.ctx.config;
        let remaining = self.expected.size.map(|size| size.saturating_sub(offset)).unwrap_or(0);
        let mut request = self
            .client
            .get(url.clone())
            .timeout(config.transfer_timeout(remaining))
            .header(USER_AGENT, &config.user_agent);
        if offset > 0 {
            request = request.header(RANGE, format!("bytes={offset}-"));
        }
        if let Some(provider) = self.provider() {
            request = request.header(AUTHORIZATION, provider.authorization(self.ctx).await?);
        }
        Ok(request)
    }

    /// After a 401 on an API URL: refresh once, or give the service's answer.
    async fn refresh(&mut self, response: reqwest::Response) -> Result<Step> {
        let provider = self.provider().expect("only API URLs are refreshed");
        if !provider.refresh_after_unauthorized(self.ctx).await? {
            return Err(self.profile.error(&Reply::read(response).await));
        }
        self.refreshed_after_401 = true;
        Ok(Step::Again)
    }

    /// Takes the body of a 200 or 206; a server that sent from another place than asked makes
    /// the download start over.
    async fn receive(&mut self, mut response: reqwest::Response, url: &Url, landing: &mut Landing) -> Result<Step> {
        let status = response.status().as_u16();
        let offset = self.received;
        if status == 200 && offset > 0 || status == 206 && range_start(&response) != Some(offset) {
            landing.restart().await?;
            self.received = 0;
            if status == 206 {
                return Ok(Step::Again);
            }
        }
        let total = self.expected.size.unwrap_or(0);
        let mut progressed = false;
        loop {
            match within(self.idle, response.chunk()).await {
                Ok(Some(chunk)) => {
                    self.received += chunk.len() as u64;
                    landing.push(&chunk, self.received).await?;
                    progressed = true;
                    self.ctx.progress.report(self.received, total)?;
                }
                Ok(None) => break,
                Err(failure) => {
                    let error = failure_error(&reqwest::Method::GET, url, self.profile, &failure);
                    return Ok(Step::Broke { error, progressed });
                }
            }
        }
        if self.expected.size.is_none_or(|size| self.received >= size) {
            return Ok(Step::Complete);
        }
        // The body ended early without an error: resume from there too.
        let error = Error::new(ErrorCode::Network, "the download ended early").with_service(self.profile.id);
        Ok(Step::Broke { error, progressed })
    }
}

/// Where the bytes land: the pipeline that hashes and writes them, and the temporary file of a
/// file sink. The pipeline is declared first so it is dropped first: the file is closed before
/// the temporary file is removed.
struct Landing {
    pipeline: Option<Pipeline>,
    temp: Option<TempFile>,
    /// The inline cap of a memory sink.
    cap: Option<u64>,
}

impl Landing {
    fn open(ctx: &Context, expected: &Expected, sink: &Sink) -> Result<Landing> {
        let cap = matches!(sink, Sink::Memory).then_some(ctx.config.transfers.inline_max_bytes);
        if let Some(cap) = cap.filter(|cap| expected.size.is_some_and(|size| size > *cap)) {
            return Err(too_large(cap));
        }
        let (output, temp) = match sink.checked_target()? {
            None => (Output::Memory(Vec::new()), None),
            Some(target) => {
                let path = temp_path(target);
                let file = std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .map_err(|e| Error::local_io(&format!("cannot create {}", path.display()), &e))?;
                let temp = TempFile { path, committed: false };
                (Output::File(std::io::BufWriter::with_capacity(CHUNK, file)), Some(temp))
            }
        };
        Ok(Landing {
            pipeline: Some(Pipeline::start(output)),
            temp,
            cap,
        })
    }

    fn write_error(&self, err: std::io::Error) -> Error {
        match &self.temp {
            Some(temp) => Error::local_io(&format!("cannot write {}", temp.path.display()), &err),
            None => Error::local_io("cannot keep the download in memory", &err),
        }
    }

    /// Adds received bytes; `received` is the running total, checked against the inline cap.
    async fn push(&mut self, chunk: &[u8], received: u64) -> Result<()> {
        if let Some(cap) = self.cap.filter(|cap| received > *cap) {
            return Err(too_large(cap));
        }
        let pushed = match self.pipeline.as_mut() {
            Some(pipeline) => pipeline.push(chunk).await,
            None => false,
        };
        if pushed {
            Ok(())
        } else {
            Err(self.stopped().await)
        }
    }

    /// Drops what arrived so far: the download starts over.
    async fn restart(&mut self) -> Result<()> {
        let restarted = match self.pipeline.as_mut() {
            Some(pipeline) => pipeline.restart().await,
            None => false,
        };
        if restarted {
            Ok(())
        } else {
            Err(self.stopped().await)
        }
    }

    /// The error of a pipeline whose writing thread stopped early.
    async fn stopped(&mut self) -> Error {
        if let Some(pipeline) = self.pipeline.take() {
            if let Err(err) = pipeline.finish().await {
                return self.write_error(err);
            }
        }
        Error::new(ErrorCode::Internal, "the download's writing thread stopped")
    }

    /// Waits for the pipeline, verifies, and puts the file in place. `run` is the URL, the
    /// bytes received and when the download started, for the log.
    async fn finish(
        mut self,
        ctx: &Context,
        expected: &Expected,
        sink: Sink,
        run: (&Url, u64, Instant),
    ) -> Result<Downloaded> {
        let (url, received, started) = run;
        let network_s = started.elapsed().as_secs_f64();
        let pipeline = self.pipeline.take().expect("a download finishes once");
        let (md5, sha256, output) = pipeline.finish().await.map_err(|err| self.write_error(err))?;
        ctx.log(
            Level::Info,
            "transfer",
            &format!(
                "GET {}: {received} bytes in {network_s:.2} s ({:.1} MB/s), verified and written {:.2} s later",
                target_of(url),
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
        let file = match output {
            Output::Memory(data) => {
                return Ok(Downloaded {
                    checksums,
                    data: Some(data),
                })
            }
            Output::File(file) => file,
        };
        drop(file);
        let (Some(target), Some(temp)) = (sink.checked_target()?, self.temp.as_mut()) else {
            unreachable!("a file output has a file sink and a temporary file")
        };
        tokio::fs::rename(&temp.path, &target)
            .await
            .map_err(|e| Error::local_io(&format!("cannot replace {}", target.display()), &e))?;
        temp.committed = true;
        Ok(Downloaded { checksums, data: None })
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
