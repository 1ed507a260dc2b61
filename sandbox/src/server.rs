//! The HTTP server: one hyper connection per socket, the request log, fault injection (including
//! resets in the middle of a body, which need control over the connection itself) and the router.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::Router;
use bytes::Bytes;
use futures_util::{stream, StreamExt};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use serde_json::json;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::faults::{Fault, ResetPoint};
use crate::link::Link;
use crate::listeners::Listeners;
use crate::reqlog::{is_text_body, Entry, MAX_LOGGED_BODY};
use crate::state::{AppState, Shared};
use crate::tls::Tls;
use crate::workdir::WorkDir;
use crate::{calendar, control, google, telemost, yandex_360, yandex_disk, yandex_oauth};

#[derive(Clone, Debug, Default)]
pub struct SandboxOptions {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Keep state in this directory between runs; in memory when None.
    pub data_dir: Option<PathBuf>,
    /// Serve HTTPS with a certificate made at start (see `tls.rs`); the CA's PEM file is
    /// [`Sandbox::ca_file`].
    pub tls: bool,
    /// With `tls`: offer only HTTP/1.1 by ALPN (otherwise HTTP/2 and HTTP/1.1).
    pub http1_only: bool,
    /// With `tls`: serve a certificate of a second CA that is reported nowhere, so a client
    /// given [`Sandbox::ca_file`] refuses it (a certificate the client does not trust).
    pub untrusted_certificate: bool,
}

/// A running sandbox on its own thread and runtime; stopped when dropped.
pub struct Sandbox {
    url: String,
    listeners: serde_json::Value,
    ca_file: Option<PathBuf>,
    /// File contents of an in-memory sandbox and the TLS files; removed last, when the
    /// sandbox stops.
    work_dir: WorkDir,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Sandbox {
    /// Starts a sandbox on a free port of 127.0.0.1 with its state in memory.
    pub fn start() -> std::io::Result<Sandbox> {
        Sandbox::start_with(SandboxOptions::default())
    }

    pub fn start_with(options: SandboxOptions) -> std::io::Result<Sandbox> {
        let listener = std::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], options.port)))?;
        listener.set_nonblocking(true)?;
        let scheme = if options.tls { "https" } else { "http" };
        let url = format!("{scheme}://{}", listener.local_addr()?);
        let work_dir = WorkDir::create()?;
        let tls_dir = work_dir.path().join("tls");
        let tls = match (options.tls, options.untrusted_certificate) {
            (false, _) => None,
            (true, false) => Some(Tls::generate(&tls_dir)?),
            (true, true) => Some(Tls::generate_untrusted(&tls_dir)?),
        };
        let ca_file = tls.as_ref().map(|tls| tls.ca_file().to_path_buf());
        let acceptor = tls
            .as_ref()
            .map(|tls| tls.http_acceptor(!options.http1_only))
            .transpose()?;
        let extra = Listeners::bind(tls.as_ref(), !options.http1_only)?;
        let listeners = extra.describe(&url)?;
        let state = Shared::new(options.data_dir, work_dir.path(), ca_file.clone())?;
        let _ = state.listeners.set(listeners.clone());
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("diskbridge-sandbox")
            .enable_all()
            .build()?;
        let (shutdown, stopped) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("diskbridge-sandbox".into())
            .spawn(move || runtime.block_on(run(listener, extra, state, acceptor, stopped)))?;
        Ok(Sandbox {
            url,
            listeners,
            ca_file,
            work_dir,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The base URL, `http://127.0.0.1:PORT` (`https://` with TLS).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Where the IMAP, SMTP and CalDAV listeners are, as `GET /_sandbox/listeners` answers:
    /// `{"http": "http://127.0.0.1:P", "imap": "127.0.0.1:P1", "smtp": "127.0.0.1:P2",
    /// "caldav": "http://127.0.0.1:P3/"}` (with TLS, `https` URLs and `"tls": true`).
    pub fn listeners(&self) -> &serde_json::Value {
        &self.listeners
    }

    /// The sandbox's temporary directory (removed when it stops).
    pub fn work_dir(&self) -> &Path {
        self.work_dir.path()
    }

    /// With TLS: the PEM file of the CA that clients should trust (their `ca_file`).
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// Serves until the process gets SIGTERM or SIGINT (Ctrl-C elsewhere), then stops and
    /// removes the temporary directory: what a program that only serves the sandbox calls. A
    /// signal that comes before this call is missed; [`Termination::listen`] before the start
    /// catches those too.
    pub fn wait(self) {
        match Termination::listen() {
            Ok(termination) => self.wait_for(termination),
            Err(err) => eprintln!("diskbridge-sandbox: cannot wait for signals: {err}"),
        }
    }

    /// Serves until `termination` sees SIGTERM or SIGINT, then stops and cleans up.
    pub fn wait_for(self, termination: Termination) {
        termination.wait();
    }
}

/// SIGTERM and SIGINT (Ctrl-C elsewhere), caught from the moment it is made: the way a program
/// serving the sandbox stops it cleanly.
pub struct Termination {
    runtime: tokio::runtime::Runtime,
    #[cfg(unix)]
    signals: [tokio::signal::unix::Signal; 2],
}

impl Termination {
    pub fn listen() -> std::io::Result<Termination> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        #[cfg(unix)]
        let signals = {
            use tokio::signal::unix::{signal, SignalKind};
            let _entered = runtime.enter();
            [signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?]
        };
        Ok(Termination {
            runtime,
            #[cfg(unix)]
            signals,
        })
    }

    /// Blocks until one of the signals comes.
    fn wait(self) {
        #[cfg(unix)]
        {
            let [mut terminate, mut interrupt] = self.signals;
            self.runtime.block_on(async {
                tokio::select! {
                    _ = terminate.recv() => {}
                    _ = interrupt.recv() => {}
                }
            });
        }
        #[cfg(not(unix))]
        self.runtime.block_on(async {
            let _ = tokio::signal::ctrl_c().await;
        });
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .nest("/yandex-oauth", yandex_oauth::oauth_router())
        .nest("/yandex-login", yandex_oauth::login_router())
        .nest("/yandex-disk", yandex_disk::api_router())
        .nest("/yandex-disk-upload", yandex_disk::upload_router())
        .nest("/yandex-disk-download", yandex_disk::download_router())
        .nest("/yandex-360", yandex_360::router())
        .nest("/yandex-telemost", telemost::router())
        .nest("/google-accounts", google::accounts_router())
        .nest("/google-oauth", google::oauth_router())
        .nest("/google-apis", google::apis_router())
        .nest("/_sandbox", control::router())
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such sandbox route") })
        .with_state(state)
}

/// Serves the main port and the IMAP, SMTP and CalDAV listeners until `stopped` (the
/// sandbox's shutdown): then every accept loop is dropped, and the runtime's end cancels the
/// sessions and connections still open.
async fn run(
    listener: std::net::TcpListener,
    extra: Listeners,
    state: AppState,
    acceptor: Option<TlsAcceptor>,
    stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => listener,
        Err(err) => {
            eprintln!("diskbridge-sandbox: {err}");
            return;
        }
    };
    let app = router(state.clone());
    let caldav = |listener, tls| serve(listener, calendar::router(state.clone()), state.clone(), tls);
    tokio::select! {
        _ = serve(listener, app, state.clone(), acceptor) => {}
        _ = extra.serve(state.clone(), caldav) => {}
        _ = stopped => {}
    }
}

/// Serves `app` on `listener` (the main port, and CalDAV's own), with the request log and
/// fault injection; [`run`] stops it with the sandbox.
async fn serve(listener: tokio::net::TcpListener, app: Router, state: AppState, acceptor: Option<TlsAcceptor>) {
    loop {
        let Ok((socket, _)) = listener.accept().await else {
            continue;
        };
        let _ = socket.set_nodelay(true);
        let settings = state.settings();
        let socket = Link::new(socket, settings.link_bytes_per_s);
        let (app, state, acceptor) = (app.clone(), state.clone(), acceptor.clone());
        tokio::spawn(async move {
            // The handshakes of a link with latency: TCP's, and TLS's one more round trip.
            let handshakes = 1 + u64::from(acceptor.is_some());
            round_trips(settings.rtt_ms, handshakes).await;
            match acceptor {
                None => serve_connection(socket, app, state, false).await,
                Some(acceptor) => {
                    // A failed handshake is the client's business (it did not trust us, or left).
                    if let Ok(stream) = acceptor.accept(socket).await {
                        serve_connection(stream, app, state, true).await;
                    }
                }
            }
        });
    }
}

/// Serves one connection: HTTP/1.1, or HTTP/2 when TLS negotiated it by ALPN.
async fn serve_connection<S>(io: S, app: Router, state: AppState, tls: bool)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn(move |request| handle(request, app.clone(), state.clone(), tls));
    let mut builder = auto::Builder::new(TokioExecutor::new());
    if !tls {
        builder = builder.http1_only();
    }
    // An error here is a dropped connection: a client going away or an injected reset.
    let _ = builder.serve_connection(TokioIo::new(io), service).await;
}

/// Waits `count` round trips of `rtt_ms` (setting `rtt_ms`: the link's latency, not the service's).
pub(crate) async fn round_trips(rtt_ms: u64, count: u64) {
    if rtt_ms > 0 {
        tokio::time::sleep(Duration::from_millis(rtt_ms.saturating_mul(count))).await;
    }
}

/// Returned by the service to make hyper drop the connection without an answer.
#[derive(Debug)]
struct InjectedReset;

impl std::fmt::Display for InjectedReset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset injected by /_sandbox/faults")
    }
}

impl std::error::Error for InjectedReset {}

async fn handle(
    mut request: Request<Incoming>,
    app: Router,
    state: AppState,
    tls: bool,
) -> Result<Response<Body>, InjectedReset> {
    let path = request.uri().path().to_string();
    if path.starts_with("/_sandbox/") || path == "/_sandbox" {
        set_origin(&mut request, tls);
        return Ok(call(app, request.map(Body::new)).await);
    }
    let entry = state.log.start(request.method(), request.uri(), request.headers());
    entry.set_version(request.version());
    set_origin(&mut request, tls);
    let fault = state.faults.take(request.method().as_str(), &path, request.headers());
    // The request's way there and the answer's way back over a link with latency.
    round_trips(state.settings().rtt_ms, 1).await;
    if let Some(delay) = fault.as_ref().and_then(|f| f.delay_ms) {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let mutating = !matches!(request.method().as_str(), "GET" | "HEAD");
    let request = match &fault {
        Some(fault) if fault.reset == Some(ResetPoint::Request) => {
            reset_request(request, fault.after_bytes, &entry).await?
        }
        _ => capture_body(request, &entry).await,
    };
    let response = match &fault {
        Some(fault) if fault.status.is_some() && fault.landed => {
            let _ = call(app, request).await;
            fault_response(fault, &path)
        }
        Some(fault) if fault.status.is_some() => fault_response(fault, &path),
        _ => call(app, request).await,
    };
    entry.set_status(response.status().as_u16());
    if mutating {
        state.save();
    }
    match &fault {
        Some(fault) if fault.reset == Some(ResetPoint::Response) => Ok(reset_response(response, fault.after_bytes)),
        _ => Ok(response),
    }
}

/// Tells the handlers how the client reached the sandbox, for the links they hand out: the
/// scheme in `X-Forwarded-Proto` (the sandbox is its own TLS front end; whatever a client sent
/// there is replaced) and, for HTTP/2, `Host` from the request's authority.
fn set_origin<B>(request: &mut Request<B>, tls: bool) {
    if !request.headers().contains_key(header::HOST) {
        let authority = request.uri().authority().map(|a| a.as_str().to_string());
        if let Some(value) = authority.and_then(|a| HeaderValue::from_str(&a).ok()) {
            request.headers_mut().insert(header::HOST, value);
        }
    }
    let scheme = HeaderValue::from_static(if tls { "https" } else { "http" });
    request.headers_mut().insert("x-forwarded-proto", scheme);
}

async fn call(app: Router, request: Request<Body>) -> Response<Body> {
    match app.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Keeps a small text body (a form or JSON) in the log; counts the bytes of any other body as
/// they stream through, without holding them.
async fn capture_body(request: Request<Incoming>, entry: &Arc<Entry>) -> Request<Body> {
    let (parts, body) = request.into_parts();
    let content_type = parts.headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    let length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if is_text_body(content_type) && length.is_some_and(|n| n <= MAX_LOGGED_BODY) {
        // Within the announced length; a body that errors is passed on as empty and the handler
        // sees what a truncated request looks like.
        let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
        entry.body_bytes.store(bytes.len() as u64, Ordering::SeqCst);
        entry.set_body_text(String::from_utf8_lossy(&bytes).into_owned());
        return Request::from_parts(parts, Body::from(bytes));
    }
    let counter = entry.clone();
    let counted = body.into_data_stream().map(move |chunk| {
        if let Ok(bytes) = &chunk {
            counter.body_bytes.fetch_add(bytes.len() as u64, Ordering::SeqCst);
        }
        chunk
    });
    Request::from_parts(parts, Body::from_stream(counted))
}

/// Reads `after_bytes` of the request body, then drops the connection. A body shorter than that
/// is passed on whole, as if no fault had matched.
async fn reset_request(
    request: Request<Incoming>,
    after_bytes: u64,
    entry: &Arc<Entry>,
) -> Result<Request<Body>, InjectedReset> {
    let (parts, mut body) = request.into_parts();
    let mut seen: Vec<Bytes> = Vec::new();
    let mut count = 0u64;
    loop {
        if count >= after_bytes {
            entry.body_bytes.store(count, Ordering::SeqCst);
            return Err(InjectedReset);
        }
        match body.frame().await {
            Some(Ok(frame)) => {
                if let Ok(data) = frame.into_data() {
                    count += data.len() as u64;
                    seen.push(data);
                }
            }
            Some(Err(_)) => return Err(InjectedReset),
            None => break,
        }
    }
    entry.body_bytes.store(count, Ordering::SeqCst);
    let replay = stream::iter(seen.into_iter().map(Ok::<_, Infallible>));
    Ok(Request::from_parts(parts, Body::from_stream(replay)))
}

/// Passes `after_bytes` of the response body, then fails the body so hyper drops the connection.
fn reset_response(response: Response<Body>, after_bytes: u64) -> Response<Body> {
    let (parts, body) = response.into_parts();
    let mut left = after_bytes;
    let truncated = body.into_data_stream().flat_map(move |chunk| {
        let items: Vec<Result<Bytes, std::io::Error>> = match chunk {
            Err(err) => vec![Err(std::io::Error::other(err))],
            Ok(_) if left == 0 => vec![Err(std::io::Error::other(InjectedReset))],
            Ok(bytes) if (bytes.len() as u64) < left => {
                left -= bytes.len() as u64;
                vec![Ok(bytes)]
            }
            Ok(bytes) => {
                let head = bytes.slice(..left as usize);
                left = 0;
                vec![Ok(head), Err(std::io::Error::other(InjectedReset))]
            }
        };
        stream::iter(items)
    });
    Response::from_parts(parts, Body::from_stream(truncated))
}

/// The answer of a `status` fault: the given body, or the emulated service's own error shape.
fn fault_response(fault: &Fault, path: &str) -> Response<Body> {
    let status = StatusCode::from_u16(fault.status.unwrap_or(500)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = fault.body.clone().unwrap_or_else(|| default_error_body(status, path));
    let mut response = Response::new(Body::from(body.to_string()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(seconds) = fault.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

fn default_error_body(status: StatusCode, path: &str) -> serde_json::Value {
    let reason = status.canonical_reason().unwrap_or("Error");
    if path.starts_with("/yandex-disk") {
        json!({"message": reason, "description": reason, "error": yandex_disk_error_name(status)})
    } else if path.starts_with("/yandex-oauth")
        || path.starts_with("/google-oauth")
        || path.starts_with("/google-accounts")
    {
        json!({"error": "server_error", "error_description": reason})
    } else if path.starts_with("/yandex-360") {
        json!({"code": grpc_code(status), "message": reason, "details": []})
    } else if path.starts_with("/google") {
        google::error_body(status, reason, google_reason(status))
    } else {
        json!({"error": reason})
    }
}

fn yandex_disk_error_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "UnauthorizedError",
        403 => "ForbiddenError",
        404 => "DiskNotFoundError",
        423 => "DiskResourceLockedError",
        429 => "TooManyRequestsError",
        507 => "DiskStorageQuotaExhaustedError",
        _ if status.is_server_error() => "InternalServerError",
        _ => "FieldValidationError",
    }
}

fn google_reason(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "badRequest",
        401 => "authError",
        403 => "forbidden",
        404 => "notFound",
        429 => "rateLimitExceeded",
        503 => "backendError",
        _ if status.is_server_error() => "internalError",
        _ => "unknown",
    }
}

/// The gRPC status number grpc-gateway puts in `code` for an HTTP status.
fn grpc_code(status: StatusCode) -> u32 {
    match status.as_u16() {
        400 => 3,
        401 => 16,
        403 => 7,
        404 => 5,
        409 => 6,
        429 => 8,
        501 => 12,
        503 => 14,
        504 => 4,
        _ => 2,
    }
}
