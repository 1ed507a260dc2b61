//! The sandbox's shared state: the clock, the request log, the faults, the settings and each
//! emulated service's own store.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::faults::Faults;
use crate::reqlog::RequestLog;
use crate::{calendar, google, mail, telemost, yandex_360, yandex_disk, yandex_oauth};

pub type AppState = Arc<Shared>;

pub struct Shared {
    pub clock: Clock,
    pub log: RequestLog,
    pub faults: Faults,
    pub settings: Mutex<Settings>,
    pub secrets: Secrets,
    pub yandex: Mutex<yandex_oauth::State>,
    pub disk: yandex_disk::Store,
    pub google: google::Store,
    pub y360: Mutex<yandex_360::State>,
    pub mail: mail::Store,
    pub calendar: calendar::Store,
    pub telemost: telemost::Store,
    /// Where the IMAP, SMTP and CalDAV listeners are (`GET /_sandbox/listeners`), set at start.
    pub listeners: OnceLock<serde_json::Value>,
    /// `--data-dir`: where state is kept between runs (None: in memory).
    pub data_dir: Option<PathBuf>,
    /// With TLS: the PEM file of the CA clients should trust (`GET /_sandbox/tls`).
    pub ca_file: Option<PathBuf>,
}

impl Shared {
    /// State kept in `data_dir` (in memory when None), file contents of an in-memory sandbox
    /// in `work_dir`.
    pub fn new(data_dir: Option<PathBuf>, work_dir: &Path, ca_file: Option<PathBuf>) -> std::io::Result<AppState> {
        if let Some(dir) = &data_dir {
            std::fs::create_dir_all(dir)?;
        }
        let shared = Arc::new(Shared {
            clock: Clock::default(),
            log: RequestLog::default(),
            faults: Faults::default(),
            settings: Mutex::new(Settings::default()),
            secrets: Secrets::default(),
            yandex: Mutex::new(yandex_oauth::State::default()),
            disk: yandex_disk::Store::new(data_dir.as_deref(), work_dir)?,
            google: google::Store::new(data_dir.as_deref(), work_dir)?,
            y360: Mutex::new(yandex_360::State::default()),
            mail: mail::Store::new(),
            calendar: calendar::Store::new(),
            telemost: telemost::Store::default(),
            listeners: OnceLock::new(),
            data_dir,
            ca_file,
        });
        shared.load()?;
        Ok(shared)
    }

    /// Back to the state of a fresh start: services, settings, faults, the log and the clock.
    pub fn reset(&self) {
        *lock(&self.yandex) = yandex_oauth::State::default();
        *lock(&self.y360) = yandex_360::State::default();
        *lock(&self.settings) = Settings::default();
        self.disk.reset();
        self.google.reset();
        self.mail.reset();
        self.calendar.reset();
        self.telemost.reset();
        self.faults.clear();
        self.log.clear();
        self.clock.offset_s.store(0, Ordering::SeqCst);
        self.save();
    }

    fn state_file(&self) -> Option<PathBuf> {
        self.data_dir.as_ref().map(|dir| dir.join("state.json"))
    }

    /// Writes the state to `--data-dir` (if any) after a request that may have changed it.
    /// Written to a temporary file and renamed, so a killed sandbox never leaves half a file.
    pub fn save(&self) {
        let Some(path) = self.state_file() else { return };
        let snapshot = serde_json::json!({
            "yandex": &*lock(&self.yandex),
            "yandex_360": &*lock(&self.y360),
            "settings": &*lock(&self.settings),
            "disk": self.disk.snapshot(),
            "google": self.google.snapshot(),
            "mail": self.mail.snapshot(),
            "calendar": self.calendar.snapshot(),
            "telemost": self.telemost.snapshot(),
            "clock_offset_s": self.clock.offset_s.load(Ordering::SeqCst),
        });
        let tmp = path.with_extension("json.tmp");
        let written = serde_json::to_vec(&snapshot)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&tmp, bytes))
            .and_then(|()| std::fs::rename(&tmp, &path));
        if let Err(err) = written {
            eprintln!("diskbridge-sandbox: cannot save state to {}: {err}", path.display());
        }
    }

    fn load(&self) -> std::io::Result<()> {
        let Some(path) = self.state_file() else { return Ok(()) };
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(err) => return Err(err),
        };
        let snapshot: serde_json::Value = serde_json::from_slice(&bytes).map_err(std::io::Error::other)?;
        let field = |name: &str| snapshot.get(name).cloned().unwrap_or_default();
        if let Ok(state) = serde_json::from_value(field("yandex")) {
            *lock(&self.yandex) = state;
        }
        if let Ok(state) = serde_json::from_value(field("yandex_360")) {
            *lock(&self.y360) = state;
        }
        if let Ok(settings) = serde_json::from_value(field("settings")) {
            *lock(&self.settings) = settings;
        }
        self.disk.restore(field("disk"));
        self.google.restore(field("google"));
        self.mail.restore(field("mail"));
        self.calendar.restore(field("calendar"));
        self.telemost.restore(field("telemost"));
        let offset = field("clock_offset_s").as_i64().unwrap_or(0);
        self.clock.offset_s.store(offset, Ordering::SeqCst);
        Ok(())
    }

    pub fn settings(&self) -> Settings {
        lock(&self.settings).clone()
    }
}

/// Locks a mutex, recovering from poisoning: one panicking handler must not wedge the sandbox.
pub fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Tunables changed through `POST /_sandbox/settings`. Defaults are the real services' values.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Yandex Disk mutations answer 202 + operation instead of 201/204.
    pub yandex_disk_async: bool,
    /// How long a 202 operation stays `in-progress`.
    pub async_delay_ms: u64,
    /// `interval` of the Yandex device flow.
    pub yandex_device_interval_s: u64,
    /// `expires_in` of a Yandex device code.
    pub yandex_device_expires_in_s: u64,
    /// Lifetime of Yandex access and refresh tokens.
    pub yandex_token_ttl_s: u64,
    /// Lifetime of Google access tokens.
    pub google_token_ttl_s: u64,
    /// `interval` of the Google device flow (polling faster is `slow_down`).
    pub google_device_interval_s: u64,
    /// `expires_in` of a Google device code.
    pub google_device_expires_in_s: u64,
    /// Lifetime of signed upload and download links.
    pub link_ttl_s: u64,
    /// The largest page of the Yandex 360 directory lists; a larger page size asks for no more.
    pub yandex_360_max_page_size: u64,
    /// Bandwidth of each connection, each way, in bytes per second: 0 is loopback's own.
    /// Applies to connections opened after it is set. Not a property of the real services: it
    /// stands for the link to them (see `link.rs`).
    pub link_bytes_per_s: u64,
    /// IMAP: once a session's token has expired, its next command gets `* BYE` (whether Yandex
    /// ends sessions so is unverified; off, a session outlives its token).
    pub mail_session_ends_with_token: bool,
    /// IMAP `SENTSINCE` also finds mail sent this many days before the date, as Yandex's does
    /// (docs/protocols-mail.md §2.6); 0 is the RFC's rule.
    pub imap_sentsince_slack_days: u32,
    /// CalDAV ETags in quotes, as RFC 9110 writes them, instead of Yandex's bare numbers.
    pub caldav_quoted_etags: bool,
    /// CalDAV MKCALENDAR creates calendars (whether Yandex allows it is unverified; refused
    /// when off).
    pub caldav_mkcalendar: bool,
    /// Latency of the link, in milliseconds: every request waits this long before it is
    /// handled, and a new connection this long again (its handshake). Like `link_bytes_per_s`,
    /// a model of the link, not of the services.
    pub rtt_ms: u64,
    /// The download hosts (Yandex Disk's downloader, Drive's `alt=media`) ignore `Range` and
    /// answer 200 with the whole file, as a server or proxy without range support does.
    pub ignore_range: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            yandex_disk_async: false,
            async_delay_ms: 300,
            yandex_device_interval_s: 5,
            yandex_device_expires_in_s: 300,
            yandex_token_ttl_s: 31_536_000,
            google_token_ttl_s: 3599,
            google_device_interval_s: 5,
            google_device_expires_in_s: 1800,
            link_ttl_s: 3600,
            yandex_360_max_page_size: 100,
            link_bytes_per_s: 0,
            mail_session_ends_with_token: false,
            imap_sentsince_slack_days: 2,
            caldav_quoted_etags: false,
            caldav_mkcalendar: false,
            rtt_ms: 0,
            ignore_range: false,
        }
    }
}

/// The sandbox's clock: real time plus an offset that `POST /_sandbox/clock` advances, so tests
/// can let codes and tokens expire without waiting.
#[derive(Default)]
pub struct Clock {
    pub offset_s: AtomicI64,
}

impl Clock {
    /// Seconds since the Unix epoch, as the sandbox sees them.
    pub fn now(&self) -> i64 {
        let real = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        real + self.offset_s.load(Ordering::SeqCst)
    }

    pub fn advance(&self, seconds: i64) -> i64 {
        self.offset_s.fetch_add(seconds, Ordering::SeqCst);
        self.now()
    }
}

/// Every secret the sandbox hands out or knows (tokens, codes, client secrets, keys), so the
/// tests can prove that none of them leaks into the library's logs or error messages. Also
/// appended to the file named by `DISKBRIDGE_SANDBOX_SECRETS_FILE`, for the whole-run audit.
#[derive(Default)]
pub struct Secrets {
    values: Mutex<Vec<String>>,
}

impl Secrets {
    pub fn record(&self, secret: &str) {
        if secret.is_empty() {
            return;
        }
        lock(&self.values).push(secret.to_string());
        if let Ok(path) = std::env::var("DISKBRIDGE_SANDBOX_SECRETS_FILE") {
            use std::io::Write;
            if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
                let _ = writeln!(file, "{secret}");
            }
        }
    }

    pub fn all(&self) -> Vec<String> {
        lock(&self.values).clone()
    }
}
