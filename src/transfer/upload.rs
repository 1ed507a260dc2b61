//! Sending bytes: a whole source PUT to a signed URL, or a range of it as one request of a
//! chunked, resumable protocol. Neither retries: the service's protocol decides what a failure
//! means (did the bytes arrive? where does the upload stand?).

use std::ops::Range;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use url::Url;

use super::source::Tally;
use super::{Checksums, Source};
use crate::error::Result;
use crate::log::Level;
use crate::sync::lock;
use crate::transport::{client, failure_error, target_of, within, Context, Failure, Profile, Reply};

/// PUTs the source to a signed URL, with no Authorization header. A network failure comes back
/// as an error with code `network` or `timeout`: the bytes may or may not have arrived. The reply
/// comes with the size and sha256 of what was sent (no md5).
pub(crate) async fn put(ctx: &Context, profile: &Profile, url: &Url, source: &Source) -> Result<(Reply, Checksums)> {
    ctx.config.check_url(url)?;
    let client = client(&ctx.config)?;
    let size = source.size();
    let tally = Arc::new(Mutex::new(Tally::default()));
    let body = source.body(ctx.progress.clone(), tally.clone())?;
    // The answer comes after the last byte: the wait for it grows with the file.
    let deadline = ctx.config.transfer_timeout(size);
    let request = client
        .put(url.clone())
        .timeout(deadline)
        .header(USER_AGENT, &ctx.config.user_agent)
        .header(CONTENT_LENGTH, size)
        .header(CONTENT_TYPE, "application/octet-stream")
        .body(body);
    let started = Instant::now();
    let answer = read_reply(ctx, deadline, request).await;
    // A successful answer means the whole body was read, so the reader is done or about to be;
    // after a failure its checksum is not needed and it ends once the request lets go of the body.
    let reader = lock(&tally).reader.take();
    if let (Some(reader), Ok(Reply { status: 200..=299, .. })) = (reader, &answer) {
        let _ = tokio::task::spawn_blocking(move || reader.join()).await;
    }
    let mut tally = lock(&tally);
    if let Some(error) = tally.local_error.take() {
        return Err(error);
    }
    // A cancel that came once the whole body was sent does not undo what the service did with
    // it: an answer is returned as it is, and the caller says what really happened.
    let reply = answer.map_err(|failure| {
        let error = failure_error(&reqwest::Method::PUT, url, profile, &failure);
        ctx.progress.check().err().unwrap_or(error)
    })?;
    let seconds = started.elapsed().as_secs_f64();
    ctx.log(
        Level::Info,
        "transfer",
        &format!(
            "PUT {} -> {}: {size} bytes in {seconds:.2} s ({:.1} MB/s)",
            target_of(url),
            reply.status,
            size as f64 / seconds.max(1e-6) / 1e6
        ),
    );
    Ok((reply, std::mem::take(&mut tally.hashers).finish()))
}

/// Sends `range` of the source as the body of `method url`, with `headers` and no Authorization
/// (a resumable session URI or a signed URL carries its own authority): the building block of
/// chunked, resumable uploads. An empty range sends an empty body (a status query). A network
/// failure is an error (`network` or `timeout`): how much arrived is for the caller's protocol
/// to find out.
pub(crate) async fn send_range(
    ctx: &Context,
    profile: &Profile,
    method: reqwest::Method,
    url: &Url,
    source: &Source,
    range: Range<u64>,
    headers: &[(&'static str, String)],
) -> Result<Reply> {
    ctx.config.check_url(url)?;
    ctx.progress.check()?;
    let client = client(&ctx.config)?;
    let length = range.end - range.start;
    let body = source.range_body(range, ctx.progress.clone()).await?;
    let deadline = ctx.config.transfer_timeout(length);
    let mut request = client
        .request(method.clone(), url.clone())
        .timeout(deadline)
        .header(USER_AGENT, &ctx.config.user_agent)
        .header(CONTENT_LENGTH, length);
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let started = Instant::now();
    let answer = read_reply(ctx, deadline, request.body(body)).await;
    // As in `put`: an answer is returned even when a cancel came after the body was sent.
    let reply = answer.map_err(|failure| {
        let error = failure_error(&method, url, profile, &failure);
        ctx.progress.check().err().unwrap_or(error)
    })?;
    let seconds = started.elapsed().as_secs_f64();
    ctx.log(
        Level::Debug,
        "transfer",
        &format!(
            "{method} {} ({length} bytes) -> {} in {seconds:.2} s",
            target_of(url),
            reply.status
        ),
    );
    Ok(reply)
}

/// Sends a request whose body streams, and reads the (small) answer.
async fn read_reply(
    ctx: &Context,
    deadline: Duration,
    request: reqwest::RequestBuilder,
) -> std::result::Result<Reply, Failure> {
    let response = within(deadline, request.send()).await?;
    let idle = Duration::from_secs_f64(ctx.config.timeouts.read_s);
    Reply::receive(response, idle, None).await
}
