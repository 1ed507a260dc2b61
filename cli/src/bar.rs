//! The progress line on stderr while a call runs, drawn only when stderr is a terminal: bytes
//! for transfers, seconds for sign-in waits. It polls the call's progress counters.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use diskbridge::Progress;

const REDRAW: Duration = Duration::from_millis(200);
const WIDTH: usize = 24;

/// What a call's progress counts: API calls report bytes transferred, sign-in calls (the ones
/// that take no token) report seconds waited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Bytes,
    Seconds,
}

pub struct Bar {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl Bar {
    /// Starts drawing `progress` with a label, when stderr is a terminal.
    pub fn start(progress: &Progress, unit: Unit, label: String) -> Option<Bar> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (progress, stop) = (progress.clone(), stop.clone());
            std::thread::spawn(move || {
                let started = Instant::now();
                let mut drawn = false;
                while !stop.load(Ordering::Relaxed) {
                    let (done, total) = progress.counters();
                    if let Some(line) = render(&label, unit, done, total, started.elapsed()) {
                        eprint!("\r\x1b[2K{line}");
                        let _ = std::io::stderr().flush();
                        drawn = true;
                    }
                    std::thread::sleep(REDRAW);
                }
                if drawn {
                    eprint!("\r\x1b[2K");
                    let _ = std::io::stderr().flush();
                }
            })
        };
        Some(Bar { stop, thread })
    }

    /// Stops drawing and clears the line.
    pub fn finish(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

/// One progress line, or None while there is nothing to show (a call that transfers nothing).
pub fn render(label: &str, unit: Unit, done: u64, total: u64, elapsed: Duration) -> Option<String> {
    match unit {
        Unit::Bytes if done == 0 && total == 0 => None,
        Unit::Bytes => {
            let seconds = elapsed.as_secs_f64();
            let rate = if seconds > 0.0 {
                (done as f64 / seconds) as u64
            } else {
                0
            };
            let figures = format!("{}/s", bytes(rate));
            Some(if total > 0 {
                format!(
                    "{label} {} {:>3}%  {} / {}  {figures}",
                    gauge(done, total),
                    done.min(total) * 100 / total,
                    bytes(done),
                    bytes(total)
                )
            } else {
                format!("{label} {}  {figures}", bytes(done))
            })
        }
        Unit::Seconds => Some(if total > 0 {
            format!("{label} {} {done} s / {total} s", gauge(done, total))
        } else {
            format!("{label} {done} s")
        }),
    }
}

fn gauge(done: u64, total: u64) -> String {
    let filled = (done.min(total) as u128 * WIDTH as u128 / total.max(1) as u128) as usize;
    format!("[{}{}]", "#".repeat(filled), "-".repeat(WIDTH - filled))
}

/// 1536 → "1.5 KiB".
pub fn bytes(count: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = count as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{count} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_lines_show_the_gauge_the_percentage_and_the_rate() {
        let line = render(
            "UploadFile",
            Unit::Bytes,
            3 * 1024 * 1024,
            12 * 1024 * 1024,
            Duration::from_secs(2),
        )
        .unwrap();
        assert_eq!(
            line,
            "UploadFile [######------------------]  25%  3.0 MiB / 12.0 MiB  1.5 MiB/s"
        );
        let unknown = render("DownloadFile", Unit::Bytes, 2048, 0, Duration::from_secs(1)).unwrap();
        assert_eq!(unknown, "DownloadFile 2.0 KiB  2.0 KiB/s");
        assert_eq!(render("GetObject", Unit::Bytes, 0, 0, Duration::from_secs(1)), None);
    }

    #[test]
    fn waits_count_seconds() {
        let line = render("waiting", Unit::Seconds, 30, 300, Duration::from_secs(30)).unwrap();
        assert_eq!(line, "waiting [##----------------------] 30 s / 300 s");
        assert_eq!(bytes(1023), "1023 B");
        assert_eq!(bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
