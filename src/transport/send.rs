//! Sending a request: the token header with one refresh after a 401, then attempts under the
//! retry context until one is final.

use std::time::{Duration, Instant};

use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use serde_json::Value;

use super::request::{header_safe, Body};
use super::{
    client, failure_error, failure_is_retryable, status_is_retryable, within, Context, Failure, Reply, Request,
};
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;

/// Sends the request and returns the JSON of a successful answer; an HTTP error status becomes
/// an error reply.
pub(crate) async fn send_json(ctx: &Context, request: &Request) -> Result<Value> {
    let reply = send(ctx, request).await?;
    if !reply.is_success() {
        return Err(request.profile.error(&reply));
    }
    reply.json(request.profile)
}

/// Sends the request with the call's token (refreshing once after a 401 when `credentials`
/// allow it) and retries; returns whatever status the service finally answered.
pub(crate) async fn send(ctx: &Context, request: &Request) -> Result<Reply> {
    let provider = if request.authorized { ctx.auth.as_ref() } else { None };
    let mut refreshed_after_401 = false;
    loop {
        let authorization = match provider {
            Some(provider) => Some(provider.authorization(ctx).await?),
            None => None,
        };
        check_headers(request, authorization.as_deref())?;
        let reply = send_with_retries(ctx, request, authorization.as_deref()).await?;
        if reply.status == 401 && !refreshed_after_401 {
            if let Some(provider) = provider {
                if provider.refresh_after_unauthorized(ctx).await? {
                    refreshed_after_401 = true;
                    continue;
                }
            }
        }
        return Ok(reply);
    }
}

async fn send_with_retries(ctx: &Context, request: &Request, authorization: Option<&str>) -> Result<Reply> {
    ctx.config.check_url(&request.url)?;
    let client = client(&ctx.config)?;
    let retry = ctx.retry();
    let mut failures = 0;
    loop {
        ctx.progress.check()?;
        let started = Instant::now();
        let outcome = attempt(&client, ctx, request, authorization).await.map_err(|failure| {
            (
                failure_error(&request.method, &request.url, request.profile, &failure),
                failure,
            )
        });
        let (method, target, elapsed_ms) = (&request.method, request.target(), started.elapsed().as_millis());
        let line = match &outcome {
            Ok(reply) => format!("{method} {target} -> {} in {elapsed_ms} ms", reply.status),
            Err((error, _)) => format!("{method} {target} failed in {elapsed_ms} ms: {}", error.message),
        };
        ctx.log(Level::Info, "http", &line);
        let (retry_after, last) = match outcome {
            Ok(reply) => {
                let refused = request.profile.refused_for_rate(&reply);
                if !status_is_retryable(reply.status, request.idempotent, refused) {
                    return Ok(reply);
                }
                (reply.retry_after(), Ok(reply))
            }
            Err((error, failure)) => {
                // Only a connection that failed or went silent may go better next time; a
                // refusal (a redirect, a certificate) or an oversized answer will not.
                let transient = matches!(error.code, ErrorCode::Network | ErrorCode::Timeout);
                if !transient || !failure_is_retryable(request.idempotent, failure.never_sent()) {
                    return Err(error);
                }
                (None, Err(error))
            }
        };
        failures += 1;
        let Some(wait) = retry.again(failures, retry_after) else {
            return last;
        };
        ctx.log(
            Level::Warn,
            "http",
            &format!(
                "{} {}: retry {failures}/{} in {:.1} s{}",
                request.method,
                request.target(),
                retry.policy().max_attempts - 1,
                wait.as_secs_f64(),
                if retry_after.is_some() { " (Retry-After)" } else { "" }
            ),
        );
        retry.pause(wait).await?;
    }
}

/// One attempt: the request built afresh, the whole answer read.
async fn attempt(
    client: &reqwest::Client,
    ctx: &Context,
    request: &Request,
    authorization: Option<&str>,
) -> std::result::Result<Reply, Failure> {
    let config = &ctx.config;
    let mut builder = client
        .request(request.method.clone(), request.url.clone())
        .timeout(Duration::from_secs_f64(config.timeouts.total_s));
    if !request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("user-agent"))
    {
        builder = builder.header(USER_AGENT, &config.user_agent);
    }
    if let Some(authorization) = authorization {
        builder = builder.header(AUTHORIZATION, authorization);
    }
    for (name, value) in &request.headers {
        builder = builder.header(*name, value);
    }
    builder = match &request.body {
        Body::Empty => builder,
        Body::Form(pairs) => builder.header(CONTENT_TYPE, "application/x-www-form-urlencoded").body(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(pairs)
                .finish(),
        ),
        Body::Json(value) => builder
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .body(value.to_string()),
        Body::Bytes(content_type, bytes) => builder.header(CONTENT_TYPE, content_type).body(bytes.clone()),
    };
    let idle = Duration::from_secs_f64(config.timeouts.read_s);
    let response = within(idle, builder.send()).await?;
    Reply::receive(response, idle, request.max_body).await
}

/// Refuses, before anything is sent, header values HTTP cannot carry (CR, LF, DEL and other
/// control characters): the token, the user agent and any header built from the call's input.
/// reqwest would only fail at send time, as if the network had.
fn check_headers(request: &Request, authorization: Option<&str>) -> Result<()> {
    let values = request.headers.iter().map(|(name, value)| (*name, value.as_str()));
    let values = values.chain(authorization.map(|value| ("Authorization", value)));
    for (name, value) in values {
        if !header_safe(value) {
            let what = if name == "Authorization" { "the token" } else { name };
            return Err(Error::invalid_params(format!(
                "{what} has a character an HTTP header cannot carry (a control character such as CR, LF or DEL)"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;
    use crate::config::Config;
    use crate::error::ErrorCode;
    use crate::progress::Progress;
    use crate::secrets::Secrets;
    use crate::transport::{read_error_and_description, Profile};

    const TEST: Profile = Profile::new("test_dav", "Test DAV", read_error_and_description);

    /// A server that answers every connection with `answer`; it returns what it was sent.
    async fn serve(answer: Vec<u8>) -> (String, tokio::task::JoinHandle<Vec<String>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/calendars/a%40b/", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            let mut seen = Vec::new();
            while let Ok(Ok((mut stream, _))) =
                tokio::time::timeout(Duration::from_millis(1500), listener.accept()).await
            {
                let mut head = vec![0u8; 4096];
                let n = stream.read(&mut head).await.unwrap_or(0);
                seen.push(String::from_utf8_lossy(&head[..n]).into_owned());
                let _ = stream.write_all(&answer).await;
                let _ = stream.shutdown().await;
            }
            seen
        });
        (url, task)
    }

    fn context() -> Context {
        let mut config = Config::default();
        config.retries.base_delay_ms = 10;
        config.retries.max_delay_ms = 20;
        Context::new(Arc::new(config), Progress::default(), Secrets::new(Vec::new()), None)
    }

    #[tokio::test]
    async fn extension_methods_carry_their_headers_and_body() {
        let (url, server) =
            serve(b"HTTP/1.1 207 Multi-Status\r\nContent-Length: 5\r\nConnection: close\r\n\r\n<a/>\n".to_vec()).await;
        let request = Request::extension("PROPFIND", &TEST, url::Url::parse(&url).unwrap(), true)
            .header("Depth", "1".into())
            .bytes(
                "application/xml; charset=utf-8".into(),
                bytes::Bytes::from_static(b"<propfind/>"),
            )
            .max_body(100);
        let reply = send(&context(), &request).await.unwrap();
        assert_eq!((reply.status, &reply.body[..]), (207, &b"<a/>\n"[..]));
        let seen = server.await.unwrap();
        assert!(
            seen[0].starts_with("PROPFIND /calendars/a%40b/ HTTP/1.1"),
            "{}",
            seen[0]
        );
        assert!(seen[0].to_lowercase().contains("depth: 1"));
        assert!(seen[0].ends_with("<propfind/>"));
    }

    #[tokio::test]
    async fn an_answer_over_the_cap_is_refused_once_not_retried() {
        let mut answer = b"HTTP/1.1 207 Multi-Status\r\nContent-Length: 200000\r\nConnection: close\r\n\r\n".to_vec();
        answer.extend(std::iter::repeat_n(b'x', 200_000));
        let (url, server) = serve(answer).await;
        let request = Request::extension("REPORT", &TEST, url::Url::parse(&url).unwrap(), true).max_body(1000);
        let error = send(&context(), &request).await.err().expect("refused");
        assert_eq!(error.code, ErrorCode::InvalidResponse);
        assert!(error.message.contains("more than 1000 bytes"), "{}", error.message);
        assert_eq!(server.await.unwrap().len(), 1, "asked once");
    }
}
