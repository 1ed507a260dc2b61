//! The library's log: recent lines in memory (`Library.GetLog`), optionally appended to a file
//! and copied to stderr. Lines are built from non-secret pieces only (methods, hosts, paths,
//! statuses, error codes) and masked once more with the call's secrets before they are kept.
//! The log keeps its own settings; `config` installs them when the configuration changes.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Mutex, OnceLock, RwLock};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::secrets::mask;
use crate::sync::{lock, read, write as write_lock};

/// Lines kept in memory for `Library.GetLog`.
const KEPT_LINES: usize = 1000;
/// A longer message is cut (a caller may pass megabytes where a name belongs).
const MAX_MESSAGE_CHARS: usize = 2000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Level {
    Off,
    Error,
    Warn,
    Info,
    Debug,
}

impl Level {
    pub(crate) fn parse(text: &str) -> Option<Level> {
        match text.to_ascii_lowercase().as_str() {
            "off" => Some(Level::Off),
            "error" => Some(Level::Error),
            "warn" | "warning" => Some(Level::Warn),
            "info" => Some(Level::Info),
            "debug" => Some(Level::Debug),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Level::Off => "OFF",
            Level::Error => "ERROR",
            Level::Warn => "WARN",
            Level::Info => "INFO",
            Level::Debug => "DEBUG",
        }
    }
}

/// The `log` part of the configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Settings {
    /// `off`, `error`, `warn`, `info` or `debug`.
    pub level: String,
    /// Append log lines to this file.
    pub file: Option<String>,
    /// Also write log lines to standard error.
    pub stderr: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            level: std::env::var("DISKBRIDGE_LOG_LEVEL").unwrap_or_else(|_| "info".into()),
            file: std::env::var("DISKBRIDGE_LOG_FILE").ok().filter(|f| !f.is_empty()),
            stderr: false,
        }
    }
}

impl Settings {
    fn level(&self) -> Level {
        Level::parse(&self.level).unwrap_or(Level::Info)
    }
}

fn settings() -> &'static RwLock<Settings> {
    static SETTINGS: OnceLock<RwLock<Settings>> = OnceLock::new();
    SETTINGS.get_or_init(Default::default)
}

/// Puts new settings in force (the process-wide configuration changed).
pub(crate) fn install(new: &Settings) {
    *write_lock(settings()) = new.clone();
}

fn lines() -> &'static Mutex<VecDeque<String>> {
    static LINES: OnceLock<Mutex<VecDeque<String>>> = OnceLock::new();
    LINES.get_or_init(|| Mutex::new(VecDeque::with_capacity(KEPT_LINES)))
}

/// Records one line if the configured level lets it through. `secrets` are masked out.
pub(crate) fn write(level: Level, target: &str, message: &str, secrets: &[String]) {
    let settings = read(settings()).clone();
    if level == Level::Off || level > settings.level() {
        return;
    }
    let mut message = mask(message, secrets);
    if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS) {
        message.truncate(cut);
        message.push('…');
    }
    let line = format!("{} {:5} {target}: {message}", timestamp(), level.label());
    {
        let mut kept = lock(lines());
        if kept.len() == KEPT_LINES {
            kept.pop_front();
        }
        kept.push_back(line.clone());
    }
    if let Some(path) = &settings.file {
        if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
            let _ = writeln!(file, "{line}");
        }
    }
    if settings.stderr {
        eprintln!("diskbridge {line}");
    }
}

/// The most recent `limit` lines, oldest first.
pub(crate) fn recent(limit: usize) -> Vec<String> {
    let kept = lock(lines());
    kept.iter().skip(kept.len().saturating_sub(limit)).cloned().collect()
}

/// UTC time with milliseconds, `2026-11-21T10:00:00.123Z`.
fn timestamp() -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Days since the epoch to a civil date (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60,
        now.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_is_iso8601_utc() {
        let stamp = timestamp();
        assert_eq!(stamp.len(), 24, "{stamp}");
        assert!(stamp.ends_with('Z'));
    }
}
