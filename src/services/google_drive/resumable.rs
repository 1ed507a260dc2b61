//! Drive's resumable upload protocol (docs/protocols.md §4.5): chunks of `chunk` bytes with
//! `Content-Range`; after a broken connection or a 5xx, a status query (`bytes */TOTAL`) says
//! where to go on from; a lost session (404/410) starts over with a new one. Memory stays at one
//! read buffer: chunks stream from the file, and the checksums are taken from the file as Drive
//! confirms the bytes.

use std::ops::Range;
use std::time::Instant;

use serde_json::Value;
use url::Url;

use super::profile::{explain, PROFILE};
use super::upload::Target;
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::transfer::{send_range, Checksums, Hashers, Source};
use crate::transport::{send, Context, Reply};

/// A lost session (404/410) is started again at most this many times per upload.
const MAX_NEW_SESSIONS: u32 = 3;

/// Uploads the source through a resumable session: the file Drive stored, and the checksums of
/// what it confirmed.
pub(super) async fn upload_resumable(
    ctx: &Context,
    target: &Target,
    source: &Source,
    media_type: &str,
    chunk: u64,
) -> Result<(Value, Checksums)> {
    let mut upload = Resumable::start(ctx, target, source, media_type, chunk).await?;
    // The upload resumes rather than starting over, so its retries end with the time its size
    // is given at the slowest accepted rate.
    let retry = ctx
        .retry()
        .with_deadline(Instant::now() + ctx.config.transfer_timeout(source.size()));
    let mut failures = 0;
    loop {
        ctx.progress.check()?;
        match upload.step().await? {
            Step::Finished(file, checksums) => return Ok((file, checksums)),
            Step::Moved { progressed } => {
                if progressed {
                    failures = 0;
                }
            }
            Step::Broke(error) => {
                failures += 1;
                let at = upload.offset;
                retry
                    .wait_again(failures, error, |error, wait| {
                        let wait = wait.as_secs_f64();
                        let what = &error.message;
                        format!("resumable upload interrupted at byte {at} ({what}): asking Drive where it stands in {wait:.1} s")
                    })
                    .await?;
                upload.ask = true;
            }
        }
    }
}

/// What one request of the protocol came to.
enum Step {
    Finished(Value, Checksums),
    /// Drive confirmed bytes (`progressed` when more than before), or a new session started.
    Moved {
        progressed: bool,
    },
    /// The connection broke or Drive failed for now: ask where it stands after a wait.
    Broke(Error),
}

/// A resumable upload in progress.
struct Resumable<'a> {
    ctx: &'a Context,
    target: &'a Target,
    source: &'a Source,
    media_type: &'a str,
    chunk: u64,
    total: u64,
    session: Url,
    sessions: u32,
    /// The bytes Drive confirmed.
    offset: u64,
    /// Checksums of the confirmed bytes.
    hashers: Hashers,
    /// After a failure the next request asks where Drive stands instead of sending bytes.
    ask: bool,
}

type Hashing = Option<tokio::task::JoinHandle<Result<Hashers>>>;

impl<'a> Resumable<'a> {
    async fn start(
        ctx: &'a Context,
        target: &'a Target,
        source: &'a Source,
        media_type: &'a str,
        chunk: u64,
    ) -> Result<Resumable<'a>> {
        Ok(Resumable {
            session: new_session(ctx, target, source, media_type).await?,
            ctx,
            target,
            source,
            media_type,
            chunk,
            total: source.size(),
            sessions: 1,
            offset: 0,
            hashers: Hashers::default(),
            ask: false,
        })
    }

    /// Sends the next chunk (or asks where Drive stands) and takes the answer in.
    async fn step(&mut self) -> Result<Step> {
        let (total, offset) = (self.total, self.offset);
        let (range, content_range) = if self.ask {
            (offset..offset, format!("bytes */{total}"))
        } else {
            let end = (offset + self.chunk).min(total);
            (offset..end, format!("bytes {offset}-{}/{total}", end - 1))
        };
        let sent_through = range.end;
        let hashing = self.hash_alongside(&range);
        let headers = [("Content-Range", content_range)];
        let sent = send_range(
            self.ctx,
            &PROFILE,
            reqwest::Method::PUT,
            &self.session,
            self.source,
            range,
            &headers,
        )
        .await;
        let reply = match sent {
            Ok(reply) => reply,
            Err(error) if matches!(error.code, ErrorCode::Network | ErrorCode::Timeout) => {
                return Ok(Step::Broke(error))
            }
            Err(error) => return Err(error),
        };
        match reply.status {
            200 | 201 => self.finished(&reply, hashing, sent_through).await,
            308 => self.confirmed(&reply, hashing, sent_through).await,
            404 | 410 if self.sessions <= MAX_NEW_SESSIONS => self.restart(reply.status).await,
            429 | 500 | 502 | 503 | 504 => Ok(Step::Broke(explain(PROFILE.error(&reply)))),
            _ => Err(explain(PROFILE.error(&reply))),
        }
    }

    /// The chunk is hashed on another worker while it is sent, so the checksums cost no time;
    /// the result is kept only if Drive confirms exactly this chunk.
    fn hash_alongside(&self, range: &Range<u64>) -> Hashing {
        (!self.ask && self.hashers.size() == self.offset).then(|| {
            let (source, mut candidate, range) = (self.source.clone(), self.hashers.clone(), range.clone());
            tokio::spawn(async move { source.hash_range(range, &mut candidate).await.map(|()| candidate) })
        })
    }

    /// Drive has the whole file: its JSON, and the checksums of all of it.
    async fn finished(&mut self, reply: &Reply, hashing: Hashing, sent_through: u64) -> Result<Step> {
        let file = serde_json::from_slice::<Value>(&reply.body)
            .map_err(|_| PROFILE.invalid_response("Drive finished the upload with a body that is not JSON"))?;
        match hashing {
            Some(task) if sent_through == self.total => self.hashers = hashed(task).await?,
            _ => {
                if self.hashers.size() < self.total {
                    let rest = self.hashers.size()..self.total;
                    self.source.hash_range(rest, &mut self.hashers).await?;
                }
            }
        }
        Ok(Step::Finished(file, std::mem::take(&mut self.hashers).finish()))
    }

    /// A 308: Drive says how much it has, and maybe a new session URI.
    async fn confirmed(&mut self, reply: &Reply, hashing: Hashing, sent_through: u64) -> Result<Step> {
        let have = confirmed_bytes(reply)?;
        if have > self.total {
            let message = format!("Drive claims {have} bytes of a {}-byte upload", self.total);
            return Err(PROFILE.invalid_response(message));
        }
        if let Some(moved) = reply.header("location").and_then(|l| Url::parse(l).ok()) {
            self.session = moved;
        }
        // The checksums follow what Drive confirms, read back from the source unless the chunk
        // hashed while it was sent is exactly what Drive has.
        match hashing {
            Some(task) if have == sent_through => self.hashers = hashed(task).await?,
            _ => {
                if have < self.hashers.size() {
                    self.hashers = Hashers::default();
                }
                let missing = self.hashers.size()..have;
                self.source.hash_range(missing, &mut self.hashers).await?;
            }
        }
        let stalled = !self.ask && have <= self.offset;
        let progressed = have > self.offset;
        // Asked where it stands, Drive holds every byte and still has not finished: a server
        // that keeps saying so is asked again only after a wait, and a bounded number of times.
        let unfinished = self.ask && have == self.total;
        if !self.ask && have < sent_through {
            let line = format!("Drive kept {have} of the {sent_through} bytes sent: going on from there");
            self.ctx.log(Level::Info, "transfer", &line);
        }
        self.offset = have;
        // What Drive holds is progress (and a chance to cancel between chunks).
        self.ctx.progress.report(self.offset, self.total)?;
        // Everything is there but the upload is not finished: ask again.
        self.ask = self.offset == self.total;
        if stalled {
            let error = Error::new(ErrorCode::ServerError, "Drive kept none of the bytes of a chunk");
            return Ok(Step::Broke(error.with_service(PROFILE.id)));
        }
        if unfinished {
            let message = format!(
                "Drive holds all {} bytes of the upload but does not finish it",
                self.total
            );
            return Ok(Step::Broke(PROFILE.invalid_response(message)));
        }
        Ok(Step::Moved { progressed })
    }

    /// The session is gone: start a new one from the first byte.
    async fn restart(&mut self, status: u16) -> Result<Step> {
        let line = format!("the resumable session is gone (HTTP {status}): starting a new one");
        self.ctx.log(Level::Warn, "transfer", &line);
        self.session = new_session(self.ctx, self.target, self.source, self.media_type).await?;
        self.sessions += 1;
        self.offset = 0;
        self.hashers = Hashers::default();
        self.ask = false;
        Ok(Step::Moved { progressed: false })
    }
}

/// Starts a resumable session; its URI is in `Location`.
async fn new_session(ctx: &Context, target: &Target, source: &Source, media_type: &str) -> Result<Url> {
    let request = target
        .request(ctx, "resumable")?
        .json(target.metadata())
        .header("X-Upload-Content-Type", media_type.to_string())
        .header("X-Upload-Content-Length", source.size().to_string())
        // Starting a second session is harmless (an unused one expires), so this may be resent.
        .idempotent(true)
        .authorized();
    let reply = send(ctx, &request).await?;
    if !reply.is_success() {
        return Err(explain(PROFILE.error(&reply)));
    }
    reply
        .header("location")
        .and_then(|l| Url::parse(l).ok())
        .ok_or_else(|| PROFILE.invalid_response("Drive started a resumable upload without a session URI"))
}

/// `Range: bytes=0-N` of a 308: the bytes Drive has (none when the header is absent).
fn confirmed_bytes(reply: &Reply) -> Result<u64> {
    let Some(range) = reply.headers.get("range") else {
        return Ok(0);
    };
    range
        .to_str()
        .ok()
        .and_then(|r| r.trim().strip_prefix("bytes=0-"))
        .and_then(|last| last.trim().parse::<u64>().ok())
        .map(|last| last + 1)
        .ok_or_else(|| PROFILE.invalid_response("Drive answered a resumable upload with an unreadable Range"))
}

/// What a chunk's hashing task arrived at.
async fn hashed(task: tokio::task::JoinHandle<Result<Hashers>>) -> Result<Hashers> {
    task.await
        .map_err(|_| Error::new(ErrorCode::Internal, "hashing an upload chunk failed"))?
}
