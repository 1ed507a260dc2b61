//! Configuration: process-wide defaults set by `Library.Configure`, overridden per call by
//! `options`, shown (secrets masked) by `Library.GetConfiguration`.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock, RwLock};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use url::Url;

use crate::error::{Error, ErrorCode, Result};

/// The environment variable that points every endpoint at a sandbox when nothing else was
/// configured.
pub const SANDBOX_ENV: &str = "DISKBRIDGE_SANDBOX";

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub endpoints: Endpoints,
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
    pub log: LogConfig,
    pub transfers: Transfers,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Transfers {
    /// A download without `save_path` is returned as base64 up to this size.
    pub inline_max_bytes: u64,
    /// User-Agent of the Yandex Disk upload-link request: the service slows some media types
    /// down by user agent (reference/peers.md); absent: `user_agent`.
    pub upload_link_user_agent: Option<String>,
    /// How long `wait` polls an asynchronous operation before giving up.
    pub operation_timeout_s: f64,
}

impl Default for Transfers {
    fn default() -> Self {
        Transfers {
            inline_max_bytes: 32 * 1024 * 1024,
            upload_link_user_agent: None,
            operation_timeout_s: 600.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Endpoints {
    pub yandex_oauth: String,
    pub yandex_login: String,
    pub yandex_disk: String,
    pub yandex_360: String,
    pub google_accounts: String,
    pub google_oauth: String,
    pub google_apis: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            yandex_oauth: "https://oauth.yandex.ru".into(),
            yandex_login: "https://login.yandex.ru".into(),
            yandex_disk: "https://cloud-api.yandex.net".into(),
            yandex_360: "https://api360.yandex.net".into(),
            google_accounts: "https://accounts.google.com".into(),
            google_oauth: "https://oauth2.googleapis.com".into(),
            google_apis: "https://www.googleapis.com".into(),
        }
    }
}

/// The endpoints by name, with the sandbox path prefix of each (sandbox/src/lib.rs PREFIXES).
const ENDPOINT_NAMES: &[(&str, &str)] = &[
    ("yandex_oauth", "/yandex-oauth"),
    ("yandex_login", "/yandex-login"),
    ("yandex_disk", "/yandex-disk"),
    ("yandex_360", "/yandex-360"),
    ("google_accounts", "/google-accounts"),
    ("google_oauth", "/google-oauth"),
    ("google_apis", "/google-apis"),
];

impl Endpoints {
    fn get(&self, name: &str) -> &str {
        match name {
            "yandex_oauth" => &self.yandex_oauth,
            "yandex_login" => &self.yandex_login,
            "yandex_disk" => &self.yandex_disk,
            "yandex_360" => &self.yandex_360,
            "google_accounts" => &self.google_accounts,
            "google_oauth" => &self.google_oauth,
            _ => &self.google_apis,
        }
    }

    fn for_sandbox(base: &str) -> Endpoints {
        let base = base.trim_end_matches('/');
        let url = |name: &str| {
            let prefix = ENDPOINT_NAMES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, p)| *p)
                .unwrap_or("");
            format!("{base}{prefix}")
        };
        Endpoints {
            yandex_oauth: url("yandex_oauth"),
            yandex_login: url("yandex_login"),
            yandex_disk: url("yandex_disk"),
            yandex_360: url("yandex_360"),
            google_accounts: url("google_accounts"),
            google_oauth: url("google_oauth"),
            google_apis: url("google_apis"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Timeouts {
    /// Establishing a connection (TCP + TLS).
    pub connect_s: f64,
    /// The longest silence while waiting for bytes of an answer.
    pub read_s: f64,
    /// A whole request, for requests without a large body.
    pub total_s: f64,
    /// Transfers get `total_s` plus their size at this rate, so the total grows with the file.
    pub min_rate_kib_s: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            connect_s: 15.0,
            read_s: 60.0,
            total_s: 300.0,
            min_rate_kib_s: 64,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Retries {
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `off`, `error`, `warn`, `info` or `debug`.
    pub level: String,
    /// Append log lines to this file.
    pub file: Option<String>,
    /// Also write log lines to standard error.
    pub stderr: bool,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: std::env::var("DISKBRIDGE_LOG_LEVEL").unwrap_or_else(|_| "info".into()),
            file: std::env::var("DISKBRIDGE_LOG_FILE").ok().filter(|f| !f.is_empty()),
            stderr: false,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            endpoints: Endpoints::default(),
            sandbox: None,
            allow_insecure_http: false,
            timeouts: Timeouts::default(),
            retries: Retries::default(),
            proxy: None,
            ca_file: None,
            user_agent: format!("diskbridge/{}", env!("CARGO_PKG_VERSION")),
            log: LogConfig::default(),
            transfers: Transfers::default(),
        }
    }
}

impl Config {
    /// The sandbox in force: configured, or from `DISKBRIDGE_SANDBOX` when neither a sandbox nor
    /// endpoints were configured.
    pub fn effective_sandbox(&self) -> Option<String> {
        if self.sandbox.is_some() {
            return self.sandbox.clone();
        }
        if self.endpoints == Endpoints::default() {
            return std::env::var(SANDBOX_ENV).ok().filter(|s| !s.trim().is_empty());
        }
        None
    }

    pub fn effective_endpoints(&self) -> Endpoints {
        match self.effective_sandbox() {
            Some(base) => Endpoints::for_sandbox(&base),
            None => self.endpoints.clone(),
        }
    }

    /// The base URL of one service, without a trailing slash.
    pub fn endpoint(&self, name: &str) -> String {
        self.effective_endpoints().get(name).trim_end_matches('/').to_string()
    }

    pub fn log_level(&self) -> crate::log::Level {
        crate::log::Level::parse(&self.log.level).unwrap_or(crate::log::Level::Info)
    }

    fn validate(&self) -> Result<()> {
        let endpoints = self.effective_endpoints();
        for (name, _) in ENDPOINT_NAMES {
            let url = endpoints.get(name);
            let parsed = Url::parse(url)
                .map_err(|e| Error::invalid_params(format!("endpoint `{name}` is not a URL ({e}): {url}")))?;
            self.check_url(&parsed)
                .map_err(|e| Error::new(e.code, format!("endpoint `{name}`: {}", e.message)))?;
        }
        if let Some(proxy) = &self.proxy {
            if proxy != "none" && Url::parse(proxy).is_err() {
                return Err(Error::invalid_params("`proxy` must be a URL or \"none\""));
            }
        }
        if crate::log::Level::parse(&self.log.level).is_none() {
            return Err(Error::invalid_params(
                "`log.level` must be off, error, warn, info or debug",
            ));
        }
        let t = &self.timeouts;
        if !(t.connect_s > 0.0 && t.read_s > 0.0 && t.total_s > 0.0 && t.min_rate_kib_s > 0) {
            return Err(Error::invalid_params("timeouts must be greater than zero"));
        }
        if self.transfers.operation_timeout_s <= 0.0 || self.transfers.operation_timeout_s.is_nan() {
            return Err(Error::invalid_params(
                "`transfers.operation_timeout_s` must be greater than zero",
            ));
        }
        if self.retries.max_attempts == 0 {
            return Err(Error::invalid_params("`retries.max_attempts` must be at least 1"));
        }
        Ok(())
    }

    /// The total timeout of a transfer of `bytes`: `total_s` plus the time at `min_rate_kib_s`.
    pub fn transfer_timeout(&self, bytes: u64) -> std::time::Duration {
        let rate = (self.timeouts.min_rate_kib_s * 1024) as f64;
        std::time::Duration::from_secs_f64(self.timeouts.total_s + bytes as f64 / rate)
    }

    /// Refuses schemes other than https, and http to anything but loopback unless allowed.
    pub fn check_url(&self, url: &Url) -> Result<()> {
        match url.scheme() {
            "https" => Ok(()),
            "http" if self.allow_insecure_http || is_loopback(url) => Ok(()),
            "http" => Err(Error::new(
                ErrorCode::InsecureEndpoint,
                format!(
                    "plain http to {} is refused: use https, or set allow_insecure_http",
                    url.host_str().unwrap_or("?")
                ),
            )),
            other => Err(Error::invalid_params(format!("unsupported URL scheme `{other}`"))),
        }
    }

    /// The configuration as `Library.GetConfiguration` shows it: effective endpoints, secrets
    /// (a proxy password) masked.
    pub fn masked_json(&self) -> Value {
        let mut shown = self.clone();
        shown.endpoints = self.effective_endpoints();
        shown.sandbox = self.effective_sandbox();
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
    /// As `Library.GetConfiguration` shows it: a proxy password is masked.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Config({})", self.masked_json())
    }
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
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
pub fn current() -> Arc<Config> {
    global().read().unwrap_or_else(|p| p.into_inner()).config.clone()
}

/// The configuration for one call: the process-wide one with `options` merged over it.
pub fn effective(options: Option<&Value>) -> Result<Arc<Config>> {
    let Some(options) = options else { return Ok(current()) };
    let base = global().read().unwrap_or_else(|p| p.into_inner()).json.clone();
    let config = merged(base, options, "options")?;
    Ok(Arc::new(config))
}

/// `Library.Configure`: merges `changes` into the process-wide configuration (after a reset to
/// the defaults when `reset`), validates the result and installs it.
pub fn configure(changes: &Value, reset: bool) -> Result<Arc<Config>> {
    let mut global = global().write().unwrap_or_else(|p| p.into_inner());
    let base = if reset {
        serde_json::to_value(Config::default()).unwrap_or(Value::Null)
    } else {
        global.json.clone()
    };
    let config = merged(base, changes, "configuration")?;
    global.json = serde_json::to_value(&config).unwrap_or(Value::Null);
    global.config = Arc::new(config);
    Ok(global.config.clone())
}

fn merged(mut base: Value, changes: &Value, what: &str) -> Result<Config> {
    merge(&mut base, changes);
    let config: Config =
        serde_json::from_value(base).map_err(|e| Error::invalid_params(format!("invalid {what}: {e}")))?;
    config.validate()?;
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

    #[test]
    fn sandbox_sets_every_endpoint_to_its_prefix() {
        let config = Config {
            sandbox: Some("http://127.0.0.1:9/".into()),
            ..Config::default()
        };
        assert_eq!(config.endpoint("yandex_oauth"), "http://127.0.0.1:9/yandex-oauth");
        assert_eq!(config.endpoint("google_apis"), "http://127.0.0.1:9/google-apis");
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
        let shown = config.masked_json().to_string();
        assert!(!shown.contains("hunter2"));
        assert!(shown.contains("***"));
    }
}
