//! The loopback sign-in: a listener on 127.0.0.1 that takes the browser's return from Google,
//! checks its state, exchanges the code at once (with the exact redirect URI and the PKCE
//! verifier), tells the browser it can close the window, and stops.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use url::Url;

use super::handlers::{exchange_code, required_scopes, Client};
use super::profile::ACCOUNTS_ENDPOINT;
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::oauth::{pkce_pair, random_urlsafe, remember_tokens};
use crate::progress::Progress;
use crate::schema::Call;
use crate::sync::lock;
use crate::transport::Context;

/// A browser that connects but sends nothing (a speculative pre-connection) is dropped after
/// this long; the listener keeps serving other connections meanwhile.
const REQUEST_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The request line and headers of the redirect; longer heads are refused.
const MAX_REQUEST_HEAD: usize = 16 * 1024;
/// Finished sessions nobody collected are forgotten this long after they expired.
const SESSION_KEEP: Duration = Duration::from_secs(600);
/// The longest a loopback listener may wait for the person.
const MAX_LOOPBACK_TIMEOUT_S: u64 = 3600;

/// One loopback sign-in in progress: the listener task publishes its outcome here.
struct LoopbackSession {
    outcome: watch::Sender<Option<Result<Value>>>,
    deadline: Instant,
    listener: Mutex<Option<tokio::task::AbortHandle>>,
}

impl LoopbackSession {
    fn stop(&self) {
        if let Some(listener) = lock(&self.listener).take() {
            listener.abort();
        }
    }
}

fn sessions() -> &'static Mutex<HashMap<String, Arc<LoopbackSession>>> {
    static SESSIONS: OnceLock<Mutex<HashMap<String, Arc<LoopbackSession>>>> = OnceLock::new();
    SESSIONS.get_or_init(Default::default)
}

/// Takes a session out of the table, stopping its listener.
fn forget_session(id: &str) {
    let removed = lock(sessions()).remove(id);
    if let Some(session) = removed {
        session.stop();
    }
}

/// What the listener waits for: the redirect carrying this state, to be exchanged with this
/// verifier and redirect URI.
struct Pending {
    client: Client,
    state: String,
    verifier: String,
    redirect_uri: String,
    timeout_s: u64,
}

pub(super) async fn start_loopback_authorization(call: Call) -> Result<Value> {
    let args = &call.args;
    let timeout_s = args.opt_u64("timeout_s").unwrap_or(300);
    if timeout_s == 0 || timeout_s > MAX_LOOPBACK_TIMEOUT_S {
        return Err(Error::invalid_params("`timeout_s` must be 1 to 3600 seconds"));
    }
    let port = u16::try_from(args.opt_u64("port").unwrap_or(0))
        .map_err(|_| Error::invalid_params("`port` must be 0 to 65535"))?;
    let scopes = required_scopes(args, "scopes")?;
    // Only 127.0.0.1: nothing off this machine can reach the listener.
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| Error::local_io(&format!("cannot listen on 127.0.0.1:{port}"), &e))?;
    let bound = listener
        .local_addr()
        .map_err(|e| Error::local_io("cannot read the listener's port", &e))?;
    let (verifier, challenge) = pkce_pair();
    let pending = Pending {
        client: Client::of(args)?,
        state: random_urlsafe(24),
        verifier,
        redirect_uri: format!("http://127.0.0.1:{}/", bound.port()),
        timeout_s,
    };
    let url = consent_url(&call.ctx, &pending, &scopes, &challenge)?;
    let line = format!(
        "loopback sign-in listening on {} for {timeout_s} s",
        pending.redirect_uri
    );
    call.ctx.log(Level::Info, "auth", &line);
    let redirect_uri = pending.redirect_uri.clone();
    // The host's progress callback is only valid during this call; the listener outlives it.
    let ctx = call.ctx.with_progress(Progress::default());
    let session_id = listen(ctx, listener, pending);
    Ok(json!({
        "url": url.as_str(),
        "session": session_id,
        "redirect_uri": redirect_uri,
        "expires_in": timeout_s,
    }))
}

/// The consent URL: PKCE S256 and a random state, always; offline access with consent, for a
/// refresh token.
fn consent_url(ctx: &Context, pending: &Pending, scopes: &str, challenge: &str) -> Result<Url> {
    let mut url = ctx.url(&ACCOUNTS_ENDPOINT, "/o/oauth2/v2/auth")?;
    url.query_pairs_mut()
        .append_pair("client_id", &pending.client.id)
        .append_pair("redirect_uri", &pending.redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", scopes)
        .append_pair("state", &pending.state)
        .append_pair("code_challenge", challenge)
        .append_pair("code_challenge_method", "S256")
        // A refresh token is what lets `credentials` work for good; Google hands one out only
        // with offline access, and only on a consent (not when a returning user is waved through).
        .append_pair("access_type", "offline")
        .append_pair("prompt", "consent");
    Ok(url)
}

/// Starts the listener task for a new session; returns the session's id.
fn listen(ctx: Context, listener: TcpListener, pending: Pending) -> String {
    let session_id = random_urlsafe(18);
    let deadline = Instant::now() + Duration::from_secs(pending.timeout_s);
    let session = Arc::new(LoopbackSession {
        outcome: watch::channel(None).0,
        deadline,
        listener: Mutex::new(None),
    });
    {
        let mut table = lock(sessions());
        table.retain(|_, s| s.deadline + SESSION_KEEP > Instant::now());
        table.insert(session_id.clone(), session.clone());
    }
    let task = crate::runtime::runtime().spawn({
        let session = session.clone();
        async move {
            let deadline = tokio::time::Instant::from_std(deadline);
            let outcome = match tokio::time::timeout_at(deadline, serve_redirect(&ctx, listener, &pending)).await {
                Ok(outcome) => outcome,
                Err(_) => Err(Error::new(
                    ErrorCode::Expired,
                    format!(
                        "nobody signed in within {} s: call StartLoopbackAuthorization again",
                        pending.timeout_s
                    ),
                )),
            };
            if let Err(error) = &outcome {
                ctx.log(Level::Info, "auth", &format!("loopback sign-in ended: {error}"));
            }
            session.outcome.send_replace(Some(outcome));
        }
    });
    *lock(&session.listener) = Some(task.abort_handle());
    session_id
}

/// A request that reached the listener.
struct Arrival {
    stream: TcpStream,
    method: String,
    path: String,
    query: Vec<(String, String)>,
}

/// Accepts connections until one carries the redirect, then checks it, exchanges the code and
/// answers the browser. Connections are read concurrently: browsers open speculative
/// connections that send nothing, and those must not hold up the real redirect.
async fn serve_redirect(ctx: &Context, listener: TcpListener, pending: &Pending) -> Result<Value> {
    let mut reading = FuturesUnordered::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    reading.push(read_request(stream));
                }
            }
            Some(arrival) = reading.next(), if !reading.is_empty() => {
                let Some(arrival) = arrival else { continue };
                if let Some(outcome) = handle_arrival(ctx, arrival, pending).await {
                    return outcome;
                }
            }
        }
    }
}

/// Reads the request line and headers (a minimal HTTP/1.1 parser: the redirect is one GET).
async fn read_request(mut stream: TcpStream) -> Option<Arrival> {
    let head = tokio::time::timeout(REQUEST_READ_TIMEOUT, async {
        let mut head = Vec::with_capacity(1024);
        let mut buffer = [0u8; 2048];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            if head.len() > MAX_REQUEST_HEAD {
                return None;
            }
            let read = stream.read(&mut buffer).await.ok()?;
            if read == 0 {
                return None;
            }
            head.extend_from_slice(&buffer[..read]);
        }
        Some(head)
    })
    .await
    .ok()??;
    let text = String::from_utf8_lossy(&head);
    let mut request_line = text.lines().next()?.split(' ');
    let method = request_line.next()?.to_string();
    let target = request_line.next()?;
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    Some(Arrival {
        path: path.to_string(),
        query: url::form_urlencoded::parse(query.as_bytes()).into_owned().collect(),
        method,
        stream,
    })
}

/// A page for the browser.
struct Page {
    status: u16,
    title: &'static str,
    text: &'static str,
}

/// What a request to the listener is.
enum Visit {
    /// Not the redirect (another method or path, a bare visit): answer it and keep waiting.
    Elsewhere(Page),
    /// A redirect that ends the sign-in without tokens.
    Refused(Page, Error),
    /// The redirect with its code.
    Code(String),
}

/// Judges a request by its method, path and query against the pending sign-in.
fn judge(method: &str, path: &str, query: &[(String, String)], pending: &Pending) -> Visit {
    let param = |key: &str| query.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    if method != "GET" {
        let page = Page {
            status: 405,
            title: "Not the sign-in",
            text: "This address only takes the browser's return from Google.",
        };
        return Visit::Elsewhere(page);
    }
    let is_redirect = param("code").is_some() || param("error").is_some() || param("state").is_some();
    if path != "/" || !is_redirect {
        let page = Page {
            status: 404,
            title: "Waiting for Google",
            text: "This is the sign-in listener of an application; it is waiting for Google to send your browser back.",
        };
        return Visit::Elsewhere(page);
    }
    if param("state") != Some(pending.state.as_str()) {
        let page = Page { status: 400, title: "Sign-in refused", text: "This page was not opened by the sign-in the application started. Nothing was signed in; start again from the application." };
        let error = Error::new(
            ErrorCode::AccessDenied,
            "the redirect to the loopback listener carried a missing or different state (a forged or stale request): the sign-in was refused; call StartLoopbackAuthorization again",
        );
        return Visit::Refused(page, error);
    }
    if let Some(error) = param("error") {
        let page = Page {
            status: 200,
            title: "Sign-in declined",
            text: "Access was not granted. You can close this window.",
        };
        let code = if error == "access_denied" {
            ErrorCode::AccessDenied
        } else {
            ErrorCode::BadRequest
        };
        let message = format!("Google sent the browser back with error `{error}`: nothing was signed in");
        return Visit::Refused(page, Error::new(code, message));
    }
    match param("code") {
        Some(code) => Visit::Code(code.to_string()),
        None => {
            let page = Page {
                status: 400,
                title: "Sign-in failed",
                text: "Google sent no code. Start again from the application.",
            };
            let error = Error::new(
                ErrorCode::InvalidResponse,
                "Google's redirect carried neither a code nor an error",
            );
            Visit::Refused(page, error)
        }
    }
}

/// `None`: not the redirect, keep waiting. `Some`: the session's outcome.
async fn handle_arrival(ctx: &Context, arrival: Arrival, pending: &Pending) -> Option<Result<Value>> {
    let mut stream = arrival.stream;
    let code = match judge(&arrival.method, &arrival.path, &arrival.query, pending) {
        Visit::Elsewhere(page) => {
            respond(&mut stream, &page).await;
            return None;
        }
        Visit::Refused(page, error) => {
            respond(&mut stream, &page).await;
            return Some(Err(error));
        }
        Visit::Code(code) => code,
    };
    ctx.add_secret(&code);
    let outcome = exchange_code(
        ctx,
        &pending.client,
        &code,
        &pending.redirect_uri,
        Some(&pending.verifier),
    )
    .await;
    let page = match &outcome {
        Ok(_) => Page {
            status: 200,
            title: "Signed in",
            text: "You are signed in. You can close this window and return to the application.",
        },
        Err(_) => Page {
            status: 502,
            title: "Sign-in failed",
            text: "Google did not accept the sign-in. Close this window and start again from the application.",
        },
    };
    respond(&mut stream, &page).await;
    Some(outcome)
}

async fn respond(stream: &mut TcpStream, page: &Page) {
    let (status, title, text) = (page.status, page.title, page.text);
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Bad Gateway",
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;margin:3em\"><h1>{title}</h1><p>{text}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    // The browser may be gone already; the outcome does not depend on it.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

pub(super) async fn complete_loopback_authorization(call: Call) -> Result<Value> {
    let id = call.args.str("session")?;
    let session = lock(sessions())
        .get(id)
        .cloned()
        .ok_or_else(|| {
            Error::new(
                ErrorCode::Expired,
                "no loopback sign-in has that session: it was completed already, failed, or expired; call StartLoopbackAuthorization again",
            )
        })?;
    let timeout = call.args.opt_u64("timeout_s").map(Duration::from_secs);
    let mut outcome = session.outcome.subscribe();
    let started = Instant::now();
    let progress = &call.ctx.progress;
    loop {
        if let Some(result) = outcome.borrow_and_update().clone() {
            forget_session(id);
            if let Ok(tokens) = &result {
                remember_tokens(&call.ctx, tokens);
            }
            return result;
        }
        let elapsed = started.elapsed();
        if timeout.is_some_and(|timeout| elapsed >= timeout) {
            return Err(Error::new(
                ErrorCode::Timeout,
                format!(
                    "nobody completed the sign-in within {} s; the listener goes on waiting until the session expires: call CompleteLoopbackAuthorization again",
                    elapsed.as_secs()
                ),
            ));
        }
        let total = session.deadline.saturating_duration_since(started).as_secs();
        let heartbeat = Duration::from_millis(200);
        let wait = timeout.map_or(heartbeat, |timeout| heartbeat.min(timeout - elapsed));
        tokio::select! {
            _ = outcome.changed() => {}
            slept = progress.sleep(wait) => {
                if let Err(error) = slept.and_then(|()| progress.report(elapsed.as_secs(), total)) {
                    // Cancelled: the sign-in is abandoned, so its listener goes too.
                    forget_session(id);
                    return Err(error);
                }
            }
        }
    }
}
