//! Finding an endpoint the sandbox serves on a listener of its own (IMAP, SMTP, CalDAV): `GET
//! <sandbox>/_sandbox/listeners` answers `{"imap": "127.0.0.1:P", "smtp": …, "caldav":
//! "http://127.0.0.1:P/", "tls"?: true}` (docs/sandbox-mail.md, "Listeners"). The answer is
//! kept per sandbox URL, so a call looks it up once per process and sandbox.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use serde_json::Value;
use url::Url;

use super::client::{untrusted_certificate, untrusted_detail};
use super::{client, Context};
use crate::error::{Error, ErrorCode, Result};
use crate::sync::lock;

/// The largest listeners answer read: a few short fields.
const MAX_ANSWER_BYTES: usize = 64 * 1024;

fn cache() -> &'static Mutex<HashMap<String, Value>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Value>>> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The URL of `listener` at `sandbox` (a base URL without a trailing slash): the answer's URL,
/// or, for an address alone, `<listener>://` or with TLS `<listener>s://` and the address.
pub(crate) async fn listener_url(ctx: &Context, sandbox: &str, listener: &str) -> Result<Url> {
    let cached = lock(cache()).get(sandbox).cloned();
    let answer = match cached {
        Some(answer) => answer,
        None => {
            let answer = fetch(ctx, sandbox).await?;
            let mut cache = lock(cache());
            cache.insert(sandbox.to_string(), answer.clone());
            answer
        }
    };
    let Some(address) = answer.get(listener).and_then(Value::as_str) else {
        return Err(Error::new(
            ErrorCode::InvalidResponse,
            format!("the sandbox at {sandbox} names no `{listener}` listener in GET /_sandbox/listeners"),
        ));
    };
    let text = if address.contains("://") {
        address.to_string()
    } else {
        let tls = if answer.get("tls").and_then(Value::as_bool) == Some(true) {
            "s"
        } else {
            ""
        };
        format!("{listener}{tls}://{address}")
    };
    Url::parse(&text).map_err(|e| {
        Error::new(
            ErrorCode::InvalidResponse,
            format!("the sandbox's `{listener}` listener is no address ({e}): {text}"),
        )
    })
}

/// Forgets what `sandbox` answered, after its listener could not be reached (a sandbox started
/// again on the same port has new listeners).
pub(crate) fn forget(sandbox: &str) {
    lock(cache()).remove(sandbox);
}

async fn fetch(ctx: &Context, sandbox: &str) -> Result<Value> {
    let url = Url::parse(&format!("{sandbox}/_sandbox/listeners"))
        .map_err(|e| Error::invalid_params(format!("`sandbox` is not a URL ({e}): {sandbox}")))?;
    ctx.config.check_url(&url)?;
    let unanswered = |detail: String| {
        Error::new(
            ErrorCode::Network,
            format!("the sandbox at {sandbox} does not answer GET /_sandbox/listeners: {detail}"),
        )
    };
    let timeout = Duration::from_secs_f64(ctx.config.timeouts.total_s.min(ctx.config.timeouts.read_s));
    let host = url.host_str().unwrap_or("").to_string();
    let request = client(&ctx.config)?.get(url).timeout(timeout).send();
    let reply = request.await.map_err(|e| match untrusted_certificate(&e) {
        // Final, like any HTTPS request's: another attempt would meet the same certificate.
        Some(problem) => Error::new(ErrorCode::UntrustedCertificate, untrusted_detail(&host, &problem)),
        None => unanswered(e.to_string()),
    })?;
    if !reply.status().is_success() {
        return Err(unanswered(format!("HTTP {}", reply.status().as_u16())));
    }
    let mut reply = reply;
    let mut body = Vec::new();
    while let Some(chunk) = reply.chunk().await.map_err(|e| unanswered(e.to_string()))? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(unanswered(format!("an answer over {MAX_ANSWER_BYTES} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    let answer: Value = serde_json::from_slice(&body).map_err(|e| unanswered(format!("not JSON ({e})")))?;
    if !answer.is_object() {
        return Err(unanswered("not a JSON object".into()));
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use diskbridge_sandbox::{Sandbox, SandboxOptions};

    use super::*;
    use crate::config::{Config, Endpoint};
    use crate::progress::Progress;
    use crate::secrets::Secrets;

    fn context(sandbox: &str, ca_file: Option<String>) -> Context {
        let config = Config {
            sandbox: Some(sandbox.to_string()),
            ca_file,
            ..Config::default()
        };
        Context::new(Arc::new(config), Progress::default(), Secrets::new(Vec::new()), None)
    }

    #[test]
    fn listeners_are_found_at_the_sandbox() {
        let sandbox = Sandbox::start().unwrap();
        let ctx = context(sandbox.url(), None);
        const IMAP: Endpoint = Endpoint::listener("yandex_imap", "imaps://imap.yandex.com:993", "imap");
        let imap = crate::runtime::block_on(ctx.locate(&IMAP)).unwrap();
        assert_eq!(
            imap.as_str(),
            format!("imap://{}", sandbox.listeners()["imap"].as_str().unwrap())
        );
        let smtp = crate::runtime::block_on(listener_url(&ctx, sandbox.url(), "smtp")).unwrap();
        assert_eq!(smtp.scheme(), "smtp");
        let caldav = crate::runtime::block_on(listener_url(&ctx, sandbox.url(), "caldav")).unwrap();
        assert_eq!(caldav.as_str(), sandbox.listeners()["caldav"].as_str().unwrap());
        let unknown = crate::runtime::block_on(listener_url(&ctx, sandbox.url(), "pop3")).unwrap_err();
        assert_eq!(unknown.code, ErrorCode::InvalidResponse);
        assert!(unknown.message.contains("`pop3`"), "{}", unknown.message);
    }

    #[test]
    fn a_tls_sandbox_gives_implicit_tls_addresses() {
        let options = SandboxOptions {
            tls: true,
            ..SandboxOptions::default()
        };
        let sandbox = Sandbox::start_with(options).unwrap();
        let ca_file = sandbox.ca_file().map(|path| path.display().to_string());
        let ctx = context(sandbox.url(), ca_file);
        let imap = crate::runtime::block_on(listener_url(&ctx, sandbox.url(), "imap")).unwrap();
        assert_eq!(imap.scheme(), "imaps");
        let smtp = crate::runtime::block_on(listener_url(&ctx, sandbox.url(), "smtp")).unwrap();
        assert_eq!(smtp.scheme(), "smtps");
        let caldav = crate::runtime::block_on(listener_url(&ctx, sandbox.url(), "caldav")).unwrap();
        assert_eq!(caldav.scheme(), "https");
    }

    #[test]
    fn a_silent_sandbox_is_a_clear_network_error() {
        // A port that was free a moment ago: nothing listens there.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let sandbox = format!("http://127.0.0.1:{port}");
        let ctx = context(&sandbox, None);
        let error = crate::runtime::block_on(listener_url(&ctx, &sandbox, "imap")).unwrap_err();
        assert_eq!(error.code, ErrorCode::Network);
        assert!(
            error.message.contains(&format!(
                "the sandbox at {sandbox} does not answer GET /_sandbox/listeners"
            )),
            "{}",
            error.message
        );
    }
}
