//! Progress reporting and cancellation for one call: the C callback of
//! `diskbridge_call_with_progress`, and the counters and cancel flag behind `Jobs.*`.
//! [`Progress`] is public: a Rust host (the CLI, the 1C add-in) passes one to
//! [`crate::call_async`], watches its counters and cancels through it.

use std::ffi::c_void;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};

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
    /// For a part of a larger transfer (one file of a folder): what came before it, and the
    /// whole total.
    part: Option<(u64, u64)>,
}

impl Progress {
    pub(crate) fn with_callback(function: ProgressFn, user_data: *mut c_void) -> Progress {
        Progress {
            inner: Arc::new(Inner {
                callback: Some(HostCallback { function, user_data }),
                ..Inner::default()
            }),
            part: None,
        }
    }

    /// A view for one part of a larger transfer: `report(done, _)` reports `before + done` of
    /// `total`, and cancellation is shared.
    pub(crate) fn part(&self, before: u64, total: u64) -> Progress {
        Progress {
            inner: self.inner.clone(),
            part: Some((before, total)),
        }
    }

    /// Records bytes (or seconds) done of total (0: unknown) and lets the host cancel.
    pub(crate) fn report(&self, done: u64, total: u64) -> Result<()> {
        let (done, total) = match self.part {
            Some((before, whole)) => (before + done, whole),
            None => (done, total),
        };
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

    /// The same progress, reporting whole figures.
    fn whole(&self) -> Progress {
        Progress {
            inner: self.inner.clone(),
            part: None,
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
            let (done, total) = self.counters();
            self.whole().report(done, total)?;
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(());
            }
            tokio::time::sleep((deadline - now).min(HEARTBEAT)).await;
        }
    }
}
