//! Writes whose outcome is checked rather than assumed (docs/protocols-mail.md §4.5: a CalDAV
//! write may answer 504 and yet have landed). PUT and DELETE carry a precondition (`If-None-Match:
//! *` for a new event, `If-Match` for a change), so sending one again can never apply it twice —
//! but a blind repeat would answer 412 or 404 for a write that in fact succeeded. So the
//! transport does not repeat them; after a 5xx or a broken connection this loop reads the object
//! back and asks whether the write is there, and only sends again when it is not, under the
//! call's retry policy.

use std::future::Future;

use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::schema::Call;
use crate::transport::{send, Reply, Request};

/// How a checked write ended.
pub(super) enum Outcome {
    /// The server's final answer (any status below 500).
    Answered(Reply),
    /// A 5xx or a lost answer, but reading back showed the write had landed.
    Landed,
}

/// What reading back after a failed write found.
pub(super) enum Found {
    /// The write is there.
    Landed,
    /// It is not: send it again.
    Absent,
}

/// Sends `request` (not repeated by the transport) and, after each 5xx or lost answer, asks
/// `check` whether it landed; sends again while it has not, as the retry policy allows.
pub(super) async fn checked_write<F, Fut>(call: &Call, request: Request, check: F) -> Result<Outcome>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Found>>,
{
    let request = request.idempotent(false).authorized();
    let retry = call.ctx.retry();
    let mut failures = 0;
    loop {
        let failure: Error = match send(&call.ctx, &request).await {
            Ok(reply) if reply.status < 500 => return Ok(Outcome::Answered(reply)),
            Ok(reply) => super::dav::refusal(&reply),
            Err(error) if matches!(error.code, ErrorCode::Network | ErrorCode::Timeout) => error,
            Err(error) => return Err(error),
        };
        if let Found::Landed = check().await? {
            call.ctx.log(
                Level::Info,
                "caldav",
                &format!(
                    "{} {}: the write landed despite: {}",
                    request.method,
                    request.url.path(),
                    failure.message
                ),
            );
            return Ok(Outcome::Landed);
        }
        failures += 1;
        retry
            .wait_again(failures, failure, |error, wait| {
                format!(
                    "{} {}: not written ({}), again in {:.1} s",
                    request.method,
                    request.url.path(),
                    error.message,
                    wait.as_secs_f64()
                )
            })
            .await?;
    }
}
