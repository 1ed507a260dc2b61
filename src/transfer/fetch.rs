//! One GET of a download and what its answer means, shared by the single stream and by the
//! ranges of a parallel download: the URL (a signed link asked for again when it expires, or
//! an API URL with the call's token, refreshed once after a 401) — renewed once for all the
//! streams that saw it fail —, the status decisions, and the body read a chunk at a time
//! within the read timeout.

use std::future::Future;
use std::ops::Range;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{AUTHORIZATION, CONTENT_RANGE, RANGE, USER_AGENT};
use url::Url;

use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::transport::{client_lane, failure_error, target_of, within, Context, Profile, Reply, TokenProvider};

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

/// The URL of a download, shared by its streams.
pub(super) struct Link<F> {
    access: Access,
    state: tokio::sync::Mutex<LinkState<F>>,
}

struct LinkState<F> {
    url: Url,
    /// Bumped whenever the link or the token was renewed: streams that saw the same failure
    /// renew once.
    generation: u32,
    fresh_links: u32,
    refreshed_after_401: bool,
    make: F,
}

impl<F, Fut> Link<F>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Url>>,
{
    /// The first URL, from `make`; `make` is called again for a fresh signed link.
    pub(super) async fn open(access: Access, mut make: F) -> Result<Link<F>> {
        let url = make().await?;
        let state = LinkState {
            url,
            generation: 0,
            fresh_links: 0,
            refreshed_after_401: false,
            make,
        };
        Ok(Link {
            access,
            state: tokio::sync::Mutex::new(state),
        })
    }

    async fn current(&self) -> (Url, u32) {
        let state = self.state.lock().await;
        (state.url.clone(), state.generation)
    }

    /// After a 403/404/410 of the link of `generation`: a fresh one (unless another stream got
    /// it already). False when no more fresh links may be asked for.
    async fn renew(&self, ctx: &Context, generation: u32, status: u16) -> Result<bool> {
        let mut state = self.state.lock().await;
        if state.generation != generation {
            return Ok(true);
        }
        if state.fresh_links >= MAX_FRESH_LINKS {
            return Ok(false);
        }
        let line = format!("download link answered {status}: asking for a new one");
        ctx.log(Level::Info, "transfer", &line);
        state.fresh_links += 1;
        state.url = (state.make)().await?;
        state.generation += 1;
        Ok(true)
    }

    /// After a 401 of the token of `generation`: a refresh, once per download. False when the
    /// refusal stands.
    async fn refresh(&self, ctx: &Context, provider: &Arc<dyn TokenProvider>, generation: u32) -> Result<bool> {
        let mut state = self.state.lock().await;
        if state.generation != generation {
            return Ok(true);
        }
        if state.refreshed_after_401 || !provider.refresh_after_unauthorized(ctx).await? {
            return Ok(false);
        }
        state.refreshed_after_401 = true;
        state.generation += 1;
        Ok(true)
    }
}

/// What one GET came to.
pub(super) enum Answer {
    /// 200 or 206: the body to read, from the URL it was asked of.
    Body(reqwest::Response, Url),
    /// Go again at once: a fresh link, a refreshed token.
    Again,
    /// 416 for a resume at the file's end: every byte is there.
    Complete,
    /// The connection broke or the service failed for now: wait, then again.
    Broke(Error),
}

/// One chunk of a body.
pub(super) enum Chunk {
    Bytes(Bytes),
    End,
    Broke(Error),
}

/// Sends the GETs of one download stream.
pub(super) struct Getter<'a> {
    pub ctx: &'a Context,
    pub profile: &'a Profile,
    client: reqwest::Client,
    idle: Duration,
    /// The size the service reports.
    size: Option<u64>,
}

impl<'a> Getter<'a> {
    /// A getter for the stream `lane` (0 for a single stream): each lane has connections of its
    /// own, so the ranges of a parallel download travel apart even over HTTP/2.
    pub(super) fn new(ctx: &'a Context, profile: &'a Profile, size: Option<u64>, lane: usize) -> Result<Getter<'a>> {
        Ok(Getter {
            ctx,
            profile,
            client: client_lane(&ctx.config, lane)?,
            idle: Duration::from_secs_f64(ctx.config.timeouts.read_s),
            size,
        })
    }

    /// GETs `range` (its end None: to the end of the file) and sorts the answer.
    pub(super) async fn get<F, Fut>(&self, link: &Link<F>, start: u64, end: Option<u64>) -> Result<Answer>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Url>>,
    {
        let (ctx, profile) = (self.ctx, self.profile);
        let (url, generation) = link.current().await;
        ctx.config.check_url(&url)?;
        let provider = match link.access {
            Access::Token => ctx.auth.as_ref(),
            Access::Signed => None,
        };
        let request = self.request(&url, start, end, provider).await?;
        let response = match within(self.idle, request.send()).await {
            Ok(response) => response,
            Err(failure) => {
                return Ok(Answer::Broke(failure_error(
                    &reqwest::Method::GET,
                    &url,
                    profile,
                    &failure,
                )))
            }
        };
        let status = response.status().as_u16();
        match status {
            200 | 206 => Ok(Answer::Body(response, url)),
            416 if start > 0 && end.is_none() && self.size == Some(start) => Ok(Answer::Complete),
            401 if provider.is_some() => {
                let refreshed = match provider {
                    Some(provider) => link.refresh(ctx, provider, generation).await?,
                    None => false,
                };
                match refreshed {
                    true => Ok(Answer::Again),
                    false => Err(profile.error(&Reply::read(response).await)),
                }
            }
            // Signed links expire: ask for a fresh one.
            403 | 404 | 410 if link.access == Access::Signed => match link.renew(ctx, generation, status).await? {
                true => Ok(Answer::Again),
                false => Err(profile.error(&Reply::read(response).await)),
            },
            429 | 500..=599 => {
                let code = if status == 429 {
                    ErrorCode::RateLimited
                } else {
                    ErrorCode::ServerError
                };
                let error = Error::new(code, format!("GET {} answered HTTP {status}", target_of(&url)));
                Ok(Answer::Broke(error.with_service(profile.id)))
            }
            _ => {
                let reply = Reply::read(response).await;
                let error = profile.error(&reply);
                if profile.refused_for_rate(&reply) {
                    Ok(Answer::Broke(error))
                } else {
                    Err(error)
                }
            }
        }
    }

    async fn request(
        &self,
        url: &Url,
        start: u64,
        end: Option<u64>,
        provider: Option<&Arc<dyn TokenProvider>>,
    ) -> Result<reqwest::RequestBuilder> {
        let config = &self.ctx.config;
        let last = end.or(self.size).unwrap_or(start);
        let mut request = self
            .client
            .get(url.clone())
            .timeout(config.transfer_timeout(last.saturating_sub(start)))
            .header(USER_AGENT, &config.user_agent);
        match end {
            Some(end) => request = request.header(RANGE, format!("bytes={start}-{}", end - 1)),
            None if start > 0 => request = request.header(RANGE, format!("bytes={start}-")),
            None => {}
        }
        if let Some(provider) = provider {
            request = request.header(AUTHORIZATION, provider.authorization(self.ctx).await?);
        }
        Ok(request)
    }

    /// The next chunk of a body, within the read timeout.
    pub(super) async fn chunk(&self, response: &mut reqwest::Response, url: &Url) -> Chunk {
        match within(self.idle, response.chunk()).await {
            Ok(Some(bytes)) => Chunk::Bytes(bytes),
            Ok(None) => Chunk::End,
            Err(failure) => Chunk::Broke(failure_error(&reqwest::Method::GET, url, self.profile, &failure)),
        }
    }

    /// The error of a body that ended before `range` was whole: resumed from where it ended.
    pub(super) fn ended_early(&self, range: &Range<u64>) -> Error {
        let message = format!("the download ended early, at byte {} of {}", range.start, range.end);
        Error::new(ErrorCode::Network, message).with_service(self.profile.id)
    }
}

/// Where a 206 answer starts (`Content-Range: bytes START-END/TOTAL`).
pub(super) fn range_start(response: &reqwest::Response) -> Option<u64> {
    let value = response.headers().get(CONTENT_RANGE)?.to_str().ok()?;
    value.strip_prefix("bytes ")?.split('-').next()?.trim().parse().ok()
}

/// More bytes arrived than the service said there are: the transfer stops at once, and the
/// part written so far goes.
pub(super) fn overflow(what: &str) -> Error {
    Error::new(
        ErrorCode::ChecksumMismatch,
        format!("the server sent more than {what}: stopped there, nothing was replaced"),
    )
}
