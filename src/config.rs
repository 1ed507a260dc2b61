//! Configuration: process-wide defaults set by `Library.Configure`, overridden per call by
//! `options`, shown (secrets masked) by `Library.GetConfiguration`.
//!
//! The endpoints are not listed here: each service declares its own ([`Endpoint`], beside the
//! service's profile), and the catalogue above the services hands the list to the functions that
//! need it, so a new service adds its endpoints without editing this file.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::{Arc, OnceLock, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::error::{excerpt, Error, ErrorCode, Result, ECHO_CHARS};
use crate::log;
use crate::sync::{read, write};

/// The environment variable that points every endpoint at a sandbox when nothing else was
/// configured.
pub(crate) const SANDBOX_ENV: &str = "DISKBRIDGE_SANDBOX";
/// The longest `timeouts.lock_s`: an hour.
const MAX_LOCK_S: f64 = 3600.0;

/// The most connections one download may take.
const MAX_DOWNLOAD_STREAMS: u32 = 16;

/// A base URL a service is reached at, declared by the service: its name in
/// `configuration.endpoints`, the real service's URL, and where the sandbox serves it.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub name: &'static str,
    pub default_url: &'static str,
    pub sandbox: SandboxAt,
}

/// Where the sandbox serves an endpoint: under a path prefix of its main HTTP port
/// (sandbox/src/lib.rs, `PREFIXES`), or on a listener of its own that `GET
/// /_sandbox/listeners` names (IMAP, SMTP, CalDAV: sandbox/src/listeners.rs).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SandboxAt {
    Prefix(&'static str),
    Listener(&'static str),
}

impl Endpoint {
    /// An endpoint the sandbox serves under `sandbox_prefix` of its main port.
    pub(crate) const fn new(name: &'static str, default_url: &'static str, sandbox_prefix: &'static str) -> Endpoint {
        Endpoint {
            name,
            default_url,
            sandbox: SandboxAt::Prefix(sandbox_prefix),
        }
    }

    /// An endpoint the sandbox serves on its own listener, found by `listener`'s name.
    pub(crate) const fn listener(name: &'static str, default_url: &'static str, listener: &'static str) -> Endpoint {
        Endpoint {
            name,
            default_url,
            sandbox: SandboxAt::Listener(listener),
        }
    }
}

/// Where an endpoint is in force: a URL, or a sandbox listener still to be looked up
/// (`transport::Context::locate` does it, over the network).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Located {
    Url(String),
    SandboxListener { sandbox: String, listener: &'static str },
}

/// The line protocols' URL schemes, plain and secure: IMAP and SMTP use implicit TLS (`imaps`,
/// `smtps`), as the real servers on ports 993 and 465 do; the plain ones are allowed only to
/// loopback (or with `allow_insecure_http`).
const LINE_SCHEMES: &[(&str, &str)] = &[("imap", "imaps"), ("smtp", "smtps")];
/// The longest duration any setting takes, in seconds (a year).
pub(crate) const MAX_SECONDS: u64 = 365 * 24 * 3600;
/// The largest `timeouts.min_rate_kib_s` (1 TiB/s): larger rates are typing mistakes.
const MAX_RATE_KIB_S: u64 = 1 << 30;
/// Attempts per request at most: beyond this, retrying is a loop, not a policy.
const MAX_ATTEMPTS: u32 = 100;
/// The largest inline (base64) download: 1 GiB held in memory, and a third more as base64.
const MAX_INLINE_BYTES: u64 = 1 << 30;

/// Every endpoint the services declared, in documentation order.
pub(crate) type Endpoints = [&'static Endpoint];

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Config {
    /// Base URLs configured by name; an endpoint not named here is the service's default.
    pub endpoints: BTreeMap<String, String>,
    /// A sandbox base URL: sets every endpoint to its prefix for that service.
    pub sandbox: Option<String>,
    /// Allow plain http:// to hosts other than loopback (never needed in production).
    pub allow_insecure_http: bool,
    pub timeouts: Timeouts,
    pub retries: Retries,
    /// Proxy URL (`http://user:pass@host:port`, `socks5://...` is not built in), `"none"` for
    /// a direct connection; absent: the environment's HTTP_PROXY / HTTPS_PROXY / NO_PROXY.
    pub proxy: Option<String>,
    /// A PEM file of extra root certificates, trusted besides the platform's.
    pub ca_file: Option<String>,
    pub user_agent: String,
    pub log: log::Settings,
    pub transfers: Transfers,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Transfers {
    /// A download without `save_path` is returned as base64 up to this size.
    pub inline_max_bytes: u64,
    /// User-Agent of the Yandex Disk upload-link request: the service slows some media types
    /// down for unknown agents, so by default the link is asked for as the Disk's desktop
    /// client asks, as yadisk and rclone do (docs/peers.md §2); null: `user_agent`.
    pub upload_link_user_agent: Option<String>,
    /// How long `wait` polls an asynchronous operation before giving up.
    pub operation_timeout_s: f64,
    /// Ranged connections of one download to a file of at least `parallel_threshold_bytes`
    /// (1: always one).
    pub download_streams: u32,
    /// Downloads of this size and above go over `download_streams` connections.
    pub parallel_threshold_bytes: u64,
    /// How many files a folder transfer moves at once (each large download among them takes
    /// its own `download_streams` connections).
    pub concurrency: u32,
}

/// The Disk desktop client's User-Agent, which yadisk sends on upload-link requests.
pub(crate) const DESKTOP_CLIENT_USER_AGENT: &str = "Yandex.Disk {\"os\":\"windows\"}";

/// The most files a folder transfer may move at once.
pub(crate) const MAX_CONCURRENCY: u32 = 32;

impl Default for Transfers {
    fn default() -> Self {
        Transfers {
            inline_max_bytes: 32 * 1024 * 1024,
            upload_link_user_agent: Some(DESKTOP_CLIENT_USER_AGENT.to_string()),
            operation_timeout_s: 600.0,
            download_streams: 4,
            parallel_threshold_bytes: 64 * 1024 * 1024,
            concurrency: 4,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Timeouts {
    /// Establishing a connection (TCP + TLS).
    pub connect_s: f64,
    /// The longest silence while waiting for bytes of an answer.
    pub read_s: f64,
    /// A whole request, for requests without a large body.
    pub total_s: f64,
    /// Transfers get `total_s` plus their size at this rate, so the total grows with the file.
    pub min_rate_kib_s: u64,
    /// How long a call waits for the lock of its `credentials_file` (another process renewing).
    pub lock_s: f64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect_s: 15.0,
            read_s: 60.0,
            total_s: 300.0,
            min_rate_kib_s: 64,
            lock_s: 60.0,
        }
    }
}

impl Timeouts {
    /// How long to wait for the lock of a credentials file.
    pub(crate) fn lock_wait(&self) -> std::time::Duration {
        std::time::Duration::from_secs_f64(self.lock_s)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Retries {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
    /// A `Retry-After` longer than this is not waited for: the error is returned instead.
    pub max_retry_after_s: u64,
}

impl Default for Retries {
    fn default() -> Self {
        Retries {
            max_attempts: 5,
            base_delay_ms: 500,
            max_delay_ms: 30_000,
            max_retry_after_s: 120,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoints: BTreeMap::new(),
            sandbox: None,
            allow_insecure_http: false,
            timeouts: Timeouts::default(),
            retries: Retries::default(),
            proxy: None,
            ca_file: None,
            user_agent: format!("diskbridge/{}", env!("CARGO_PKG_VERSION")),
            log: log::Settings::default(),
            transfers: Transfers::default(),
        }
    }
}

impl Config {
    /// The sandbox in force: configured, or from `DISKBRIDGE_SANDBOX` when neither a sandbox nor
    /// endpoints were configured.
    pub(crate) fn effective_sandbox(&self) -> Option<String> {
        if self.sandbox.is_some() {
            return self.sandbox.clone();
        }
        if self.endpoints.is_empty() {
            return std::env::var(SANDBOX_ENV).ok().filter(|s| !s.trim().is_empty());
        }
        None
    }

    /// Where a service is: the sandbox's prefix or listener for it, the configured URL, or the
    /// service's own.
    pub(crate) fn locate(&self, endpoint: &Endpoint) -> Located {
        let url = match (self.effective_sandbox(), endpoint.sandbox) {
            (Some(base), SandboxAt::Prefix(prefix)) => format!("{}{prefix}", base.trim_end_matches('/')),
            (Some(sandbox), SandboxAt::Listener(listener)) => {
                let sandbox = sandbox.trim_end_matches('/').to_string();
                return Located::SandboxListener { sandbox, listener };
            }
            (None, _) => self
                .endpoints
                .get(endpoint.name)
                .cloned()
                .unwrap_or_else(|| endpoint.default_url.to_string()),
        };
        Located::Url(url.trim_end_matches('/').to_string())
    }

    /// The base URL of a service, without a trailing slash. A sandbox listener, which only the
    /// sandbox can tell (`transport::Context::locate`), shows as the address that tells it,
    /// `<sandbox>/_sandbox/listeners#<listener>`.
    pub(crate) fn endpoint(&self, endpoint: &Endpoint) -> String {
        match self.locate(endpoint) {
            Located::Url(url) => url,
            Located::SandboxListener { sandbox, listener } => format!("{sandbox}/_sandbox/listeners#{listener}"),
        }
    }

    /// Refuses endpoint names no service declared, and endpoints that are no URL or an insecure
    /// one. Endpoints configured to their default are dropped, so they do not count as
    /// configured.
    fn validate_endpoints(&mut self, known: &Endpoints) -> Result<()> {
        if let Some(name) = self
            .endpoints
            .keys()
            .find(|name| !known.iter().any(|e| e.name == *name))
        {
            let names: Vec<String> = known.iter().map(|e| format!("`{}`", e.name)).collect();
            return Err(Error::invalid_params(format!(
                "unknown endpoint `{}`, expected one of {}",
                excerpt(name, ECHO_CHARS),
                names.join(", ")
            )));
        }
        self.endpoints
            .retain(|name, url| known.iter().any(|e| e.name == *name && e.default_url != url.as_str()));
        for endpoint in known {
            // A sandbox listener is checked when it is looked up; the sandbox's own URL is
            // checked with the endpoints under its prefixes.
            let Located::Url(url) = self.locate(endpoint) else {
                continue;
            };
            let name = endpoint.name;
            let parsed = Url::parse(&url).map_err(|e| {
                Error::invalid_params(format!(
                    "endpoint `{name}` is not a URL ({e}): {}",
                    excerpt(&url, ECHO_CHARS)
                ))
            })?;
            // An endpoint keeps its protocol: https (or http) for HTTP services, imaps or smtps
            // (or their plain forms) for the mail servers.
            let secure = endpoint.default_url.split("://").next().unwrap_or("https");
            let plain = secure.strip_suffix('s').unwrap_or(secure);
            if parsed.scheme() != secure && parsed.scheme() != plain {
                return Err(Error::invalid_params(format!(
                    "endpoint `{name}` must be an {secure}:// URL"
                )));
            }
            let checked = if secure == "https" {
                self.check_url(&parsed)
            } else {
                self.check_line_url(&parsed)
            };
            checked.map_err(|e| Error::new(e.code, format!("endpoint `{name}`: {}", e.message)))?;
        }
        Ok(())
    }

    fn validate(&mut self, known: &Endpoints) -> Result<()> {
        self.validate_endpoints(known)?;
        if let Some(proxy) = &self.proxy {
            if proxy != "none" && Url::parse(proxy).is_err() {
                return Err(Error::invalid_params("`proxy` must be a URL or \"none\""));
            }
        }
        if log::Level::parse(&self.log.level).is_none() {
            return Err(Error::invalid_params(
                "`log.level` must be off, error, warn, info or debug",
            ));
        }
        self.validate_numbers()?;
        for (name, agent) in [
            ("user_agent", Some(&self.user_agent)),
            (
                "transfers.upload_link_user_agent",
                self.transfers.upload_link_user_agent.as_ref(),
            ),
        ] {
            if agent.is_some_and(|agent| reqwest::header::HeaderValue::from_str(agent).is_err()) {
                return Err(Error::invalid_params(format!(
                    "`{name}` has a character an HTTP header cannot carry (a control character such as CR, LF or DEL)"
                )));
            }
        }
        Ok(())
    }

    /// Durations and counts within range: a timeout of 1e20 s or a rate of 2^64 KiB/s is
    /// refused here rather than overflowing a deadline later.
    fn validate_numbers(&self) -> Result<()> {
        let t = &self.timeouts;
        let max_s = MAX_SECONDS as f64;
        let seconds = [
            ("timeouts.connect_s", t.connect_s),
            ("timeouts.read_s", t.read_s),
            ("timeouts.total_s", t.total_s),
            ("transfers.operation_timeout_s", self.transfers.operation_timeout_s),
        ];
        if let Some((name, _)) = seconds.iter().find(|(_, value)| !(*value > 0.0 && *value <= max_s)) {
            return Err(Error::invalid_params(format!(
                "`{name}` must be greater than zero and at most {MAX_SECONDS} seconds (a year)"
            )));
        }
        if !(1..=MAX_RATE_KIB_S).contains(&t.min_rate_kib_s) {
            return Err(Error::invalid_params(format!(
                "`timeouts.min_rate_kib_s` must be from 1 to {MAX_RATE_KIB_S}"
            )));
        }
        let r = &self.retries;
        if r.max_attempts == 0 || r.max_attempts > MAX_ATTEMPTS {
            return Err(Error::invalid_params(format!(
                "`retries.max_attempts` must be from 1 to {MAX_ATTEMPTS}"
            )));
        }
        let limits = [
            ("retries.base_delay_ms", r.base_delay_ms, MAX_SECONDS * 1000),
            ("retries.max_delay_ms", r.max_delay_ms, MAX_SECONDS * 1000),
            ("retries.max_retry_after_s", r.max_retry_after_s, MAX_SECONDS),
            (
                "transfers.inline_max_bytes",
                self.transfers.inline_max_bytes,
                MAX_INLINE_BYTES,
            ),
        ];
        if let Some((name, _, max)) = limits.iter().find(|(_, value, max)| value > max) {
            return Err(Error::invalid_params(format!("`{name}` must be at most {max}")));
        }
        if !(t.lock_s > 0.0 && t.lock_s <= MAX_LOCK_S) {
            return Err(Error::invalid_params(format!(
                "`timeouts.lock_s` must be greater than zero and at most {MAX_LOCK_S}"
            )));
        }
        if !(1..=MAX_DOWNLOAD_STREAMS).contains(&self.transfers.download_streams) {
            return Err(Error::invalid_params(format!(
                "`transfers.download_streams` must be 1 to {MAX_DOWNLOAD_STREAMS}"
            )));
        }
        if !(1..=MAX_CONCURRENCY).contains(&self.transfers.concurrency) {
            return Err(Error::invalid_params(format!(
                "`transfers.concurrency` must be from 1 to {MAX_CONCURRENCY}"
            )));
        }
        Ok(())
    }

    /// The total timeout of a transfer of `bytes`: `total_s` plus the time at `min_rate_kib_s`.
    pub(crate) fn transfer_timeout(&self, bytes: u64) -> std::time::Duration {
        let rate = (self.timeouts.min_rate_kib_s * 1024) as f64;
        std::time::Duration::from_secs_f64(self.timeouts.total_s + bytes as f64 / rate)
    }

    /// Refuses a URL about to be contacted unless it is https, or http to loopback (or anywhere
    /// with allow_insecure_http). Endpoints are checked when configured, so a URL refused here
    /// came from a service (a link, a redirect): another scheme is an answer the library cannot
    /// use.
    pub(crate) fn check_url(&self, url: &Url) -> Result<()> {
        check_target(url, self.allow_insecure_http)
    }

    /// The same for an IMAP or SMTP server (`transport::connect_endpoint`): `imaps`/`smtps`, or plain
    /// `imap`/`smtp` to loopback (or anywhere with allow_insecure_http).
    pub(crate) fn check_line_url(&self, url: &Url) -> Result<()> {
        let scheme = url.scheme();
        let Some((plain, secure)) = LINE_SCHEMES
            .iter()
            .find(|(plain, secure)| scheme == *plain || scheme == *secure)
        else {
            return Err(Error::invalid_params(format!(
                "unsupported URL scheme `{}` for IMAP or SMTP",
                excerpt(scheme, 20)
            )));
        };
        if scheme == *secure || self.allow_insecure_http || is_loopback(url) {
            return Ok(());
        }
        Err(Error::new(
            ErrorCode::InsecureEndpoint,
            format!(
                "plain {plain} to {} is refused: use {secure}, or set allow_insecure_http",
                url.host_str().unwrap_or("?")
            ),
        ))
    }

    /// The configuration as `Library.GetConfiguration` shows it: every endpoint in force,
    /// secrets (a proxy password) masked.
    pub(crate) fn shown(&self, known: &Endpoints) -> Value {
        let mut shown = self.masked_json();
        shown["endpoints"] = known
            .iter()
            .map(|endpoint| (endpoint.name.to_string(), Value::String(self.endpoint(endpoint))))
            .collect::<serde_json::Map<_, _>>()
            .into();
        shown["sandbox"] = serde_json::to_value(self.effective_sandbox()).unwrap_or(Value::Null);
        shown
    }

    /// The configuration as it is stored, a proxy password masked.
    fn masked_json(&self) -> Value {
        let mut shown = self.clone();
        if let Some(proxy) = &shown.proxy {
            if let Ok(mut url) = Url::parse(proxy) {
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                    shown.proxy = Some(url.to_string());
                }
            }
        }
        serde_json::to_value(shown).unwrap_or(Value::Null)
    }
}

impl std::fmt::Debug for Config {
    /// A proxy password is masked.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Config({})", self.masked_json())
    }
}

/// The check of [`Config::check_url`], for the redirect policy of the HTTP client too.
pub(crate) fn check_target(url: &Url, allow_insecure_http: bool) -> Result<()> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http || is_loopback(url) => Ok(()),
        "http" => Err(Error::new(
            ErrorCode::InsecureEndpoint,
            format!(
                "plain http to {} is refused: use https, or set allow_insecure_http",
                url.host_str().unwrap_or("?")
            ),
        )),
        other => Err(Error::new(
            ErrorCode::InvalidResponse,
            format!(
                "a link with the unsupported scheme `{}:` was handed out",
                excerpt(other, 20)
            ),
        )),
    }
}

pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        // Schemes other than http(s) (imap, smtp) keep their host as text, an address too.
        Some(url::Host::Domain(domain)) => {
            domain.eq_ignore_ascii_case("localhost") || domain.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        }
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

struct Global {
    config: Arc<Config>,
    json: Value,
}

fn global() -> &'static RwLock<Global> {
    static GLOBAL: OnceLock<RwLock<Global>> = OnceLock::new();
    GLOBAL.get_or_init(|| {
        let config = Config::default();
        let json = serde_json::to_value(&config).unwrap_or(Value::Null);
        RwLock::new(Global {
            config: Arc::new(config),
            json,
        })
    })
}

/// The process-wide configuration.
pub(crate) fn current() -> Arc<Config> {
    read(global()).config.clone()
}

/// The configuration for one call: the process-wide one with `options` merged over it.
pub(crate) fn effective(options: Option<&Value>, known: &Endpoints) -> Result<Arc<Config>> {
    let Some(options) = options else { return Ok(current()) };
    // The log is one for the process (its recent lines, its file): a per-call level or file
    // could only be half honoured, so it is refused rather than silently ignored.
    if options.get("log").is_some() {
        return Err(Error::invalid_params(
            "`options.log` is not a per-call setting: the log is process-wide, set it with Library.Configure",
        ));
    }
    let base = read(global()).json.clone();
    let config = merged(base, options, "options", known)?;
    Ok(Arc::new(config))
}

/// `Library.Configure`: merges `changes` into the process-wide configuration (after a reset to
/// the defaults when `reset`), validates the result and installs it.
pub(crate) fn configure(changes: &Value, reset: bool, known: &Endpoints) -> Result<Arc<Config>> {
    let mut global = write(global());
    let base = if reset {
        serde_json::to_value(Config::default()).unwrap_or(Value::Null)
    } else {
        global.json.clone()
    };
    let config = merged(base, changes, "configuration", known)?;
    log::install(&config.log);
    global.json = serde_json::to_value(&config).unwrap_or(Value::Null);
    global.config = Arc::new(config);
    Ok(global.config.clone())
}

fn merged(mut base: Value, changes: &Value, what: &str, known: &Endpoints) -> Result<Config> {
    merge(&mut base, changes);
    let mut config: Config = serde_json::from_value(base)
        .map_err(|e| Error::invalid_params(format!("invalid {what}: {}", excerpt(&e.to_string(), 1000))))?;
    config.validate(known)?;
    Ok(config)
}

/// Deep-merges objects; any other value replaces (null clears an optional setting).
fn merge(base: &mut Value, changes: &Value) {
    match (base, changes) {
        (Value::Object(base), Value::Object(changes)) => {
            for (key, value) in changes {
                match base.get_mut(key) {
                    Some(slot) if slot.is_object() && value.is_object() => merge(slot, value),
                    _ => {
                        base.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (base, changes) => *base = changes.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OAUTH: Endpoint = Endpoint::new("yandex_oauth", "https://oauth.yandex.ru", "/yandex-oauth");
    const APIS: Endpoint = Endpoint::new("google_apis", "https://www.googleapis.com/", "/google-apis");
    const IMAP: Endpoint = Endpoint::listener("yandex_imap", "imaps://imap.yandex.com:993", "imap");
    const KNOWN: &Endpoints = &[&OAUTH, &APIS, &IMAP];

    #[test]
    fn sandbox_sets_every_endpoint_to_its_prefix() {
        let config = Config {
            sandbox: Some("http://127.0.0.1:9/".into()),
            ..Config::default()
        };
        assert_eq!(config.endpoint(&OAUTH), "http://127.0.0.1:9/yandex-oauth");
        assert_eq!(config.endpoint(&APIS), "http://127.0.0.1:9/google-apis");
        let shown = config.shown(KNOWN);
        assert_eq!(shown["endpoints"]["google_apis"], "http://127.0.0.1:9/google-apis");
    }

    #[test]
    fn a_listener_endpoint_is_looked_up_at_the_sandbox() {
        let config = Config {
            sandbox: Some("http://127.0.0.1:9/".into()),
            ..Config::default()
        };
        let sandbox = "http://127.0.0.1:9".to_string();
        assert_eq!(
            config.locate(&IMAP),
            Located::SandboxListener {
                sandbox,
                listener: "imap"
            }
        );
        let shown = config.shown(KNOWN);
        assert_eq!(
            shown["endpoints"]["yandex_imap"],
            "http://127.0.0.1:9/_sandbox/listeners#imap"
        );
        let real = Config::default();
        assert_eq!(real.locate(&IMAP), Located::Url("imaps://imap.yandex.com:993".into()));
    }

    #[test]
    fn plain_imap_and_smtp_are_refused_off_loopback() {
        let config = Config::default();
        for url in [
            "imaps://imap.yandex.com:993",
            "smtps://smtp.yandex.com:465",
            "imap://127.0.0.1:1",
            "smtp://[::1]:1",
        ] {
            assert!(config.check_line_url(&Url::parse(url).unwrap()).is_ok(), "{url}");
        }
        for (url, hint) in [
            ("imap://imap.example:143", "use imaps"),
            ("smtp://smtp.example:25", "use smtps"),
        ] {
            let refused = config.check_line_url(&Url::parse(url).unwrap()).unwrap_err();
            assert_eq!(refused.code, ErrorCode::InsecureEndpoint, "{url}");
            assert!(refused.message.contains(hint), "{}", refused.message);
        }
        let base = serde_json::to_value(Config::default()).unwrap();
        let configured = serde_json::json!({"endpoints": {"yandex_imap": "imap://mail.example:143"}});
        let error = merged(base, &configured, "options", KNOWN).unwrap_err();
        assert_eq!(error.code, ErrorCode::InsecureEndpoint);
        assert!(error.message.contains("`yandex_imap`"), "{}", error.message);
        // Each endpoint keeps its protocol; an HTTP link or redirect is never a mail server.
        for (name, url) in [
            ("yandex_imap", "https://imap.example/"),
            ("google_apis", "imaps://apis.example:993"),
        ] {
            let configured = serde_json::json!({"endpoints": {name: url}});
            let base = serde_json::to_value(Config::default()).unwrap();
            let error = merged(base, &configured, "options", KNOWN).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidParams, "{name}");
            assert!(error.message.contains(name), "{}", error.message);
        }
        let link = config.check_url(&Url::parse("imaps://imap.example:993").unwrap());
        assert_eq!(link.unwrap_err().code, ErrorCode::InvalidResponse);
        let web = config.check_line_url(&Url::parse("https://imap.example/").unwrap());
        assert_eq!(web.unwrap_err().code, ErrorCode::InvalidParams);
    }

    #[test]
    fn endpoints_are_the_services_own_unless_configured() {
        let base = serde_json::to_value(Config::default()).unwrap();
        let changes = serde_json::json!({"endpoints": {"yandex_oauth": "https://oauth.example/", "google_apis": "https://www.googleapis.com/"}});
        let config = merged(base.clone(), &changes, "options", KNOWN).unwrap();
        assert_eq!(config.endpoint(&OAUTH), "https://oauth.example");
        assert_eq!(config.endpoint(&APIS), "https://www.googleapis.com");
        assert_eq!(
            config.endpoints.len(),
            1,
            "an endpoint set to its default is not configured"
        );
        let unknown = serde_json::json!({"endpoints": {"yandex_mail": "https://x.example"}});
        let error = merged(base, &unknown, "options", KNOWN).unwrap_err();
        assert!(error.message.contains("`yandex_mail`"), "{}", error.message);
        assert!(error.message.contains("`google_apis`"), "{}", error.message);
    }

    #[test]
    fn plain_http_is_refused_off_loopback() {
        let config = Config::default();
        assert!(config.check_url(&Url::parse("http://127.0.0.1:1/x").unwrap()).is_ok());
        assert!(config.check_url(&Url::parse("http://[::1]:1/x").unwrap()).is_ok());
        assert!(config.check_url(&Url::parse("http://localhost/x").unwrap()).is_ok());
        let refused = config
            .check_url(&Url::parse("http://example.com/x").unwrap())
            .unwrap_err();
        assert_eq!(refused.code, ErrorCode::InsecureEndpoint);
        let allowed = Config {
            allow_insecure_http: true,
            ..Config::default()
        };
        assert!(allowed.check_url(&Url::parse("http://example.com/x").unwrap()).is_ok());
    }

    #[test]
    fn unknown_keys_name_the_accepted_ones() {
        let err = merged(
            serde_json::to_value(Config::default()).unwrap(),
            &serde_json::json!({"retry": 1}),
            "options",
            KNOWN,
        )
        .unwrap_err();
        assert!(err.message.contains("unknown field `retry`"), "{}", err.message);
        assert!(err.message.contains("retries"), "{}", err.message);
    }

    #[test]
    fn proxy_password_is_masked() {
        let config = Config {
            proxy: Some("http://user:hunter2@proxy:3128".into()),
            ..Config::default()
        };
        let shown = config.shown(KNOWN).to_string();
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("***"));
    }
}
