//! Progress reporting and cancellation for one call: the C callback of
//! `diskbridge_call_with_progress`, and the counters and cancel flag behind `Jobs.*`.
//! [`Progress`] is public: a Rust host (the CLI, the 1C add-in) passes one to
//! [`crate::call_async`], watches its counters and cancels through it.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::error::{Error, Result};
use crate::sync::lock;

/// The host's callback: `int32_t (*)(void *user_data, uint64_t done, uint64_t total)`.
pub(crate) type ProgressFn = unsafe extern "C" fn(*mut c_void, u64, u64) -> i32;

/// How often long waits (polling, back-off) give the callback a chance to cancel.
const HEARTBEAT: Duration = Duration::from_millis(100);

struct HostCallback {
    function: ProgressFn,
    user_data: *mut c_void,
}

// SAFETY: the C contract of `diskbridge_call_with_progress` says the callback may be called
// from the calling thread or a library thread, with the `user_data` the host gave; the host
// promises both are usable from there.
unsafe impl Send for HostCallback {}
unsafe impl Sync for HostCallback {}

#[derive(Default)]
struct Inner {
    callback: Option<HostCallback>,
    cancelled: AtomicBool,
    done: AtomicU64,
    total: AtomicU64,
}

/// Shared by the call and whoever watches it (the C caller through its callback, or a job).
#[derive(Clone, Default)]
pub struct Progress {
    inner: Arc<Inner>,
    /// For a part of a larger transfer (one file of a folder moved beside others): the sum it
    /// adds to, and what this part reported last.
    share: Option<Share>,
}

/// One part of [`Shares`]: its size, and what it reported last.
#[derive(Clone)]
struct Share {
    shares: Arc<Shares>,
    size: u64,
    reported: Arc<AtomicU64>,
}

/// The parts of a transfer that run at once (the files of a folder moved a few at a time): each
/// reports its own bytes through [`Progress::share`], and the host is told their sum, which never
/// goes backwards.
pub(crate) struct Shares {
    total: u64,
    sum: AtomicU64,
    /// The last sum the host was told; held while telling it, so the host's callback is never
    /// entered twice at once and sees the figures in order.
    shown: Mutex<u64>,
}

impl Shares {
    pub(crate) fn new(total: u64) -> Arc<Shares> {
        Arc::new(Shares {
            total,
            sum: AtomicU64::new(0),
            shown: Mutex::new(0),
        })
    }
}

impl Progress {
    pub(crate) fn with_callback(function: ProgressFn, user_data: *mut c_void) -> Progress {
        Progress {
            inner: Arc::new(Inner {
                callback: Some(HostCallback { function, user_data }),
                ..Inner::default()
            }),
            share: None,
        }
    }

    /// A view for one part of `shares`, of `size` bytes: `report(done, _)` moves the sum by what
    /// changed since this part's last report (at most `size`); cancellation is shared.
    pub(crate) fn share(&self, shares: &Arc<Shares>, size: u64) -> Progress {
        let share = Share {
            shares: shares.clone(),
            size,
            reported: Arc::new(AtomicU64::new(0)),
        };
        Progress {
            inner: self.inner.clone(),
            share: Some(share),
        }
    }

    /// Records bytes (or seconds) done of total (0: unknown) and lets the host cancel.
    pub(crate) fn report(&self, done: u64, total: u64) -> Result<()> {
        let Some(Share { shares, size, reported }) = &self.share else {
            return self.tell(done, total);
        };
        let done = done.min(*size);
        let before = reported.swap(done, Ordering::SeqCst);
        if done >= before {
            shares.sum.fetch_add(done - before, Ordering::SeqCst);
        } else {
            shares.sum.fetch_sub(before - done, Ordering::SeqCst);
        }
        let mut shown = lock(&shares.shown);
        *shown = (*shown).max(shares.sum.load(Ordering::SeqCst));
        self.tell(*shown, shares.total)
    }

    /// Tells the host (and the counters) the figures.
    fn tell(&self, done: u64, total: u64) -> Result<()> {
        self.inner.done.store(done, Ordering::Relaxed);
        self.inner.total.store(total, Ordering::Relaxed);
        if let Some(callback) = &self.inner.callback {
            // SAFETY: see `HostCallback`; the host keeps the callback valid during the call.
            let verdict = unsafe { (callback.function)(callback.user_data, done, total) };
            if verdict != 0 {
                self.cancel();
            }
        }
        self.check()
    }

    /// `Err(cancelled)` once the call was cancelled.
    pub(crate) fn check(&self) -> Result<()> {
        if self.inner.cancelled.load(Ordering::SeqCst) {
            Err(Error::cancelled())
        } else {
            Ok(())
        }
    }

    /// Cancels the call: it stops at its next chance and replies `cancelled`, leaving nothing
    /// partial behind.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
    }

    /// Tells the host the last figures again (a heartbeat while waiting), so it can cancel.
    fn again(&self) -> Result<()> {
        match &self.share {
            Some(Share { shares, .. }) => {
                let shown = lock(&shares.shown);
                self.tell(*shown, shares.total)
            }
            None => {
                let (done, total) = self.counters();
                self.tell(done, total)
            }
        }
    }

    /// The last figures reported: done and total (0: unknown), bytes or seconds waited.
    pub fn counters(&self) -> (u64, u64) {
        (
            self.inner.done.load(Ordering::Relaxed),
            self.inner.total.load(Ordering::Relaxed),
        )
    }

    /// Sleeps for `duration`, waking every heartbeat to report the same figures again, so a
    /// host can cancel a long wait promptly.
    pub(crate) async fn sleep(&self, duration: Duration) -> Result<()> {
        let now = tokio::time::Instant::now();
        // No wait is that long (durations are capped where they are read), but no deadline may
        // overflow either.
        let deadline = now.checked_add(duration).unwrap_or(now + HEARTBEAT * 10_000_000);
        loop {
            self.again()?;
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(());
            }
            tokio::time::sleep((deadline - now).min(HEARTBEAT)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_add_up_and_the_sum_never_goes_back() {
        let progress = Progress::default();
        let shares = Shares::new(300);
        let (a, b) = (progress.share(&shares, 100), progress.share(&shares, 200));
        a.report(60, 100).unwrap();
        b.report(50, 200).unwrap();
        assert_eq!(progress.counters(), (110, 300));
        // A part that starts over (a download whose server ignored Range) takes its bytes
        // back from the sum, but the host is never told less than before.
        b.report(10, 200).unwrap();
        assert_eq!(progress.counters(), (110, 300));
        b.report(90, 200).unwrap();
        assert_eq!(progress.counters(), (150, 300));
        // A part reports no more than its size.
        a.report(500, 100).unwrap();
        b.report(200, 200).unwrap();
        assert_eq!(progress.counters(), (300, 300));
        progress.cancel();
        assert!(a.report(100, 100).is_err(), "cancellation is shared");
    }
}
