//! Retrying, once for every loop that talks to a server. An operation makes one
//! [`RetryContext`] from the configured policy (attempts, exponential back-off with jitter, the
//! `Retry-After` cap, an optional deadline) and the call's progress (so waits can be cancelled);
//! its loop keeps only the protocol decisions (resume from a byte, ask where an upload stands,
//! get a fresh link) and asks the context "again, and after how long?". The context is shared
//! by reference, so several streams of one operation can borrow it at once, each counting its
//! own failures.
//!
//! The decisions themselves are pure functions of their inputs, tested by a table below.

use std::time::{Duration, Instant};

use super::Context;
use crate::config::Retries;
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;

/// The configured retry policy, in durations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct RetryPolicy {
    /// Attempts in all, the first included (1: no retries).
    pub max_attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited for: the failure is returned instead.
    pub max_retry_after: Duration,
}

impl RetryPolicy {
    pub(crate) fn from_config(retries: &Retries) -> RetryPolicy {
        RetryPolicy {
            max_attempts: retries.max_attempts,
            base_delay: Duration::from_millis(retries.base_delay_ms),
            max_delay: Duration::from_millis(retries.max_delay_ms),
            max_retry_after: Duration::from_secs(retries.max_retry_after_s),
        }
    }
}

/// Whether an answered request may go again: 429 and refusals for rate always (nothing was
/// done), 5xx only when the request is idempotent (it may have done its work before failing).
pub(crate) fn status_is_retryable(status: u16, idempotent: bool, refused_for_rate: bool) -> bool {
    refused_for_rate || status == 429 || (matches!(status, 500 | 502 | 503 | 504) && idempotent)
}

/// Whether a request that got no answer may go again: one that never left (the connection did
/// not open) always, one that may have arrived only when it is idempotent.
pub(crate) fn failure_is_retryable(idempotent: bool, never_sent: bool) -> bool {
    idempotent || never_sent
}

/// Exponential back-off with jitter: a wait between half and all of `base * 2^(attempt-1)`,
/// capped; `jitter` is any random number.
pub(crate) fn backoff(policy: &RetryPolicy, attempt: u32, jitter: u64) -> Duration {
    let base = policy.base_delay.as_millis() as u64;
    let ceiling = base
        .saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
        .min(policy.max_delay.as_millis() as u64);
    Duration::from_millis(ceiling - jitter % (ceiling / 2 + 1))
}

/// After the `failures`-th failure in a row: how long to wait before the next attempt, or
/// `None` to give up — attempts used up, a `Retry-After` beyond the cap, or a wait that would
/// end past the deadline (`left` is the time until it).
pub(crate) fn next_wait(
    policy: &RetryPolicy,
    failures: u32,
    retry_after: Option<Duration>,
    left: Option<Duration>,
    jitter: u64,
) -> Option<Duration> {
    if failures >= policy.max_attempts {
        return None;
    }
    if retry_after.is_some_and(|after| after > policy.max_retry_after) {
        return None;
    }
    let wait = retry_after.unwrap_or_else(|| backoff(policy, failures, jitter));
    if left.is_some_and(|left| wait >= left) {
        return None;
    }
    Some(wait)
}

/// The retry state of one operation, borrowed by its loops.
pub(crate) struct RetryContext {
    policy: RetryPolicy,
    /// The operation's context: its progress (to cancel a wait) and its log.
    ctx: Context,
    deadline: Option<Instant>,
}

impl RetryContext {
    pub(crate) fn new(retries: &Retries, ctx: &Context) -> RetryContext {
        RetryContext {
            policy: RetryPolicy::from_config(retries),
            ctx: ctx.clone(),
            deadline: None,
        }
    }

    /// No wait may end after `deadline`: the operation gives up instead.
    pub(crate) fn with_deadline(mut self, deadline: Instant) -> RetryContext {
        self.deadline = Some(deadline);
        self
    }

    pub(crate) fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// After the `failures`-th failure in a row (count from 1; a loop that made progress counts
    /// from 1 again): `Some(wait)` to go again after `wait`, `None` to give up.
    pub(crate) fn again(&self, failures: u32, retry_after: Option<Duration>) -> Option<Duration> {
        let left = self
            .deadline
            .map(|deadline| deadline.saturating_duration_since(Instant::now()));
        let mut random = [0u8; 8];
        let _ = getrandom::fill(&mut random);
        next_wait(&self.policy, failures, retry_after, left, u64::from_le_bytes(random))
    }

    /// Waits, waking every heartbeat to let the host cancel.
    pub(crate) async fn pause(&self, wait: Duration) -> Result<()> {
        self.ctx.progress.sleep(wait).await
    }

    /// `again` and `pause` in one, for a loop whose failures are errors: after the `failures`-th
    /// failure in a row, logs the wait as `describe` tells it and returns `Ok` once it is over,
    /// or returns the failure when the loop should give up.
    pub(crate) async fn wait_again(
        &self,
        failures: u32,
        failure: Error,
        describe: impl FnOnce(&Error, Duration) -> String,
    ) -> Result<()> {
        // A refusal (a certificate not trusted, a redirect off policy) or an unusable answer is
        // the same next time.
        let refused = matches!(
            failure.code,
            ErrorCode::UntrustedCertificate | ErrorCode::InsecureEndpoint | ErrorCode::InvalidResponse
        );
        let Some(wait) = self.again(failures, None).filter(|_| !refused) else {
            return Err(failure);
        };
        self.ctx.log(Level::Warn, "transfer", &describe(&failure, wait));
        self.pause(wait).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 5,
        base_delay: Duration::from_millis(500),
        max_delay: Duration::from_millis(30_000),
        max_retry_after: Duration::from_secs(120),
    };

    fn ms(ms: u64) -> Duration {
        Duration::from_millis(ms)
    }

    #[test]
    fn what_is_retried() {
        // (status, idempotent, refused for rate) -> retried
        let table = [
            (429, false, false, true),
            (429, true, false, true),
            (403, false, true, true),
            (403, true, false, false),
            (500, true, false, true),
            (502, true, false, true),
            (503, true, false, true),
            (504, true, false, true),
            (503, false, false, false),
            (501, true, false, false),
            (507, true, false, false),
            (400, true, false, false),
            (401, true, false, false),
            (404, true, false, false),
            (200, true, false, false),
        ];
        for (status, idempotent, refused, retried) in table {
            assert_eq!(
                status_is_retryable(status, idempotent, refused),
                retried,
                "status {status}, idempotent {idempotent}, refused for rate {refused}"
            );
        }
        // (idempotent, never sent) -> retried
        for (idempotent, never_sent, retried) in [
            (true, false, true),
            (true, true, true),
            (false, true, true),
            (false, false, false),
        ] {
            assert_eq!(failure_is_retryable(idempotent, never_sent), retried);
        }
    }

    #[test]
    fn how_long_to_wait() {
        // (failures so far, Retry-After, time left, jitter) -> wait
        type Row = (u32, Option<Duration>, Option<Duration>, u64, Option<Duration>);
        let table: [Row; 12] = [
            (1, None, None, 0, Some(ms(500))),
            (1, None, None, 250, Some(ms(250))),
            (1, None, None, 251, Some(ms(500))),
            (2, None, None, 0, Some(ms(1000))),
            (3, None, None, 0, Some(ms(2000))),
            (4, None, None, 1, Some(ms(3999))),
            (5, None, None, 0, None),
            (1, Some(ms(1000)), None, 7, Some(ms(1000))),
            (
                1,
                Some(Duration::from_secs(120)),
                None,
                0,
                Some(Duration::from_secs(120)),
            ),
            (1, Some(Duration::from_secs(121)), None, 0, None),
            (1, None, Some(ms(400)), 0, None),
            (2, Some(ms(100)), Some(ms(400)), 0, Some(ms(100))),
        ];
        for (failures, retry_after, left, jitter, wait) in table {
            assert_eq!(
                next_wait(&POLICY, failures, retry_after, left, jitter),
                wait,
                "failures {failures}, Retry-After {retry_after:?}, left {left:?}, jitter {jitter}"
            );
        }
    }

    #[test]
    fn backoff_grows_and_stays_within_the_cap() {
        for attempt in 1..30 {
            for jitter in [0, 1, 12345, u64::MAX] {
                let wait = backoff(&POLICY, attempt, jitter).as_millis() as u64;
                let ceiling = (500u64 << (attempt - 1).min(20)).min(30_000);
                assert!(wait >= ceiling / 2 && wait <= ceiling, "attempt {attempt}: {wait}");
            }
        }
    }

    #[test]
    fn one_attempt_means_no_retry() {
        let once = RetryPolicy {
            max_attempts: 1,
            ..POLICY
        };
        assert_eq!(next_wait(&once, 1, None, None, 0), None);
    }
}
