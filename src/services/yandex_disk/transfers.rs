//! Uploads and downloads of single files. An upload PUTs the raw bytes to an upload link with no
//! Authorization header and confirms the stored size and sha256 (md5 where the Disk reports no
//! sha256); when the answer is lost, the Disk is asked whether the file arrived whole before it
//! is sent again with a fresh link.

use std::time::Duration;

use serde_json::Value;
use url::Url;

use super::api::{
    get, invalid_answer, path_arg, resource, resource_if_any, set_custom_properties, upload_link, wait_for_operation,
};
use super::profile::PROFILE;
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::progress::Progress;
use crate::schema::Call;
use crate::services::params;
use crate::transfer::{self, verify, Checksums, Downloaded, Expected, Sink, Source};
use crate::transport::Context;

pub(super) async fn upload_file(call: Call) -> Result<Value> {
    if let Some(chunk) = call.args.opt_u64("chunk_size") {
        if chunk < 64 * 1024 {
            return Err(Error::invalid_params("`chunk_size` must be at least 65536 bytes"));
        }
    }
    let source = params::source(&call.args)?;
    let path = path_arg(&call.args, "path")?;
    upload(&call.ctx, &path, &source, call.args.bool("overwrite"), None).await
}

/// What one PUT to an upload link came to.
enum Put {
    /// The file is stored, its size and checksum confirmed: its resource.
    Stored(Value),
    /// The service failed or the connection broke before the file arrived: send again.
    Again(Error),
}

/// Uploads `source` to `path` and returns the stored resource once its size and checksum match
/// what was sent, with `properties` merged into its `custom_properties` when given. Every
/// attempt asks for a fresh link: a failed one is not reused (docs/protocols.md §2.4).
pub(super) async fn upload(
    ctx: &Context,
    path: &str,
    source: &Source,
    overwrite: bool,
    properties: Option<&Value>,
) -> Result<Value> {
    let retry = ctx.retry();
    // The source's checksums, once a broken upload needed them.
    let mut local: Option<Checksums> = None;
    let mut attempt = 0;
    loop {
        attempt += 1;
        // After a broken upload the file may be there, partly or whole: it is replaced.
        let link = upload_link(ctx, path, overwrite || attempt > 1 && local.is_some()).await?;
        let failure = match put_to_link(ctx, (path, properties), &link, source, &mut local).await? {
            Put::Stored(stored) => return Ok(stored),
            Put::Again(error) => error,
        };
        retry
            .wait_again(attempt, failure, |error, wait| {
                let wait = wait.as_secs_f64();
                format!(
                    "upload failed ({}); again with a new link in {wait:.1} s",
                    error.message
                )
            })
            .await?;
    }
}

/// PUTs the source to the link, then waits for the Disk's operation and confirms what it
/// stored (setting `properties` on the way). A broken connection may still have delivered the
/// whole file: the Disk is asked.
async fn put_to_link(
    ctx: &Context,
    (path, properties): (&str, Option<&Value>),
    link: &Value,
    source: &Source,
    local: &mut Option<Checksums>,
) -> Result<Put> {
    let href = link
        .get("href")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_answer("an upload link without href"))?;
    let href = Url::parse(href).map_err(|_| invalid_answer("an unusable upload href"))?;
    match transfer::put(ctx, &PROFILE, &href, source).await {
        Ok((reply, sent)) if (200..=202).contains(&reply.status) => {
            let ctx = &past_cancelling(ctx);
            if reply.status == 202 {
                if let Some(operation) = link.get("operation_id").and_then(Value::as_str) {
                    wait_for_operation(ctx, operation).await?;
                }
            }
            confirm_upload(ctx, (path, properties), source, &sent)
                .await
                .map(Put::Stored)
        }
        Ok((reply, _)) if reply.status >= 500 => Ok(Put::Again(PROFILE.error(&reply))),
        Ok((reply, _)) => Err(PROFILE.error(&reply)),
        Err(error) if matches!(error.code, ErrorCode::Network | ErrorCode::Timeout) => {
            let sums = match local.take() {
                Some(sums) => sums,
                None => source.checksums(false).await?,
            };
            if let Some(stored) = arrived_whole(ctx, path, source, &sums).await? {
                let line = "the upload's answer was lost, but the file arrived whole: not sent again";
                ctx.log(Level::Info, "transfer", line);
                return match properties {
                    Some(properties) => set_custom_properties(ctx, path, properties).await.map(Put::Stored),
                    None => Ok(Put::Stored(stored)),
                };
            }
            *local = Some(sums);
            Ok(Put::Again(error))
        }
        Err(error) => Err(error),
    }
}

/// The stored resource, if it holds `sent` (a broken upload that arrived anyway).
async fn arrived_whole(ctx: &Context, path: &str, source: &Source, sent: &Checksums) -> Result<Option<Value>> {
    let Some(stored) = resource_if_any(ctx, path, "type,size,md5,sha256").await? else {
        return Ok(None);
    };
    if holds(&stored, source, sent).await? == Some(true) {
        resource(ctx, path, None).await.map(Some)
    } else {
        Ok(None)
    }
}

/// Whether a stored resource holds what was sent: its size and sha256, or its md5 when the
/// Disk reports no sha256 (the source is read again for it then). None while it reports no
/// checksum yet.
async fn holds(stored: &Value, source: &Source, sent: &Checksums) -> Result<Option<bool>> {
    let expected = expected_of(stored);
    if !expected.has_checksum() {
        return Ok(None);
    }
    let with_md5;
    let actual = if expected.needs_md5() && sent.md5.is_none() {
        with_md5 = source.checksums(true).await?;
        &with_md5
    } else {
        sent
    };
    Ok(Some(verify(actual, &expected).is_ok()))
}

/// The context of what follows once the Disk has every byte of an upload: a cancel can no
/// longer undo the upload, so it is not honoured and the reply says what was stored rather than
/// "cancelled, nothing left". The waits that follow are bounded (the operation by
/// transfers.operation_timeout_s, the checksums by 10 s).
fn past_cancelling(ctx: &Context) -> Context {
    ctx.with_progress(Progress::default())
}

/// Reads the stored resource back (through the PATCH that sets `properties`, when given) and
/// checks its size and checksum against what was sent. The checksums may lag behind the upload
/// for a moment (rclone waits for them too), so it is asked again.
async fn confirm_upload(
    ctx: &Context,
    (path, properties): (&str, Option<&Value>),
    source: &Source,
    sent: &Checksums,
) -> Result<Value> {
    let mut waited = Duration::ZERO;
    let mut properties = properties;
    loop {
        let stored = match properties.take() {
            Some(properties) => set_custom_properties(ctx, path, properties).await?,
            None => resource(ctx, path, None).await?,
        };
        match holds(&stored, source, sent).await? {
            Some(true) => return Ok(stored),
            Some(false) => {
                let field = |name: &str| stored.get(name).and_then(Value::as_str).unwrap_or("?").to_string();
                return Err(Error::new(
                    ErrorCode::ChecksumMismatch,
                    format!(
                        "the Disk stored {} bytes with sha256 {} (md5 {}), but {} bytes with sha256 {} were sent",
                        stored.get("size").and_then(Value::as_u64).unwrap_or(0),
                        field("sha256"),
                        field("md5"),
                        sent.size,
                        sent.sha256
                    ),
                )
                .with_service(PROFILE.id));
            }
            None if waited < Duration::from_secs(10) => {
                ctx.progress.sleep(Duration::from_millis(500)).await?;
                waited += Duration::from_millis(500);
            }
            None => return Err(invalid_answer("a stored file without sha256 or md5")),
        }
    }
}

/// What a file's resource says it holds.
pub(super) fn expected_of(resource: &Value) -> Expected {
    Expected {
        size: resource.get("size").and_then(Value::as_u64),
        md5: resource.get("md5").and_then(Value::as_str).map(String::from),
        sha256: resource.get("sha256").and_then(Value::as_str).map(String::from),
    }
}

pub(super) async fn download_file(call: Call) -> Result<Value> {
    let path = path_arg(&call.args, "path")?;
    let meta = resource(&call.ctx, &path, Some("type,size,md5,sha256")).await?;
    if meta.get("type").and_then(Value::as_str) == Some("dir") {
        return Err(Error::invalid_params(format!(
            "{path} is a folder: use DownloadDirectory"
        )));
    }
    let downloaded = download(&call.ctx, &path, &expected_of(&meta), params::sink(&call.args)).await?;
    Ok(params::downloaded(&call.args, downloaded))
}

/// Downloads the file at `path` through its download link, asking for a fresh link when one
/// expires.
pub(super) async fn download(ctx: &Context, path: &str, expected: &Expected, sink: Sink) -> Result<Downloaded> {
    transfer::download(ctx, &PROFILE, expected, sink, || async {
        let link = get(ctx, "/resources/download", &[("path", path.to_string())]).await?;
        let href = link
            .get("href")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid_answer("a download link without href"))?;
        Url::parse(href).map_err(|_| invalid_answer("an unusable download href"))
    })
    .await
}
