//! Downloads and exports: streamed from the API URL with the call's token, resumed with `Range`,
//! verified against Drive's size, md5Checksum and sha256Checksum before anything is replaced.

use serde_json::Value;
use url::Url;

use super::api::{api, file_path, send, FOLDER_MIME};
use super::profile::{explain, PROFILE};
use crate::error::{Error, Result};
use crate::schema::Call;
use crate::services::params;
use crate::transfer::{download_from, Access, Expected};
use crate::transport::Request;

/// Runs a download of `url` (an API URL, with the call's token) into `save_path` or memory.
async fn fetch(call: &Call, url: Url, expected: &Expected) -> Result<Value> {
    let sink = params::sink(&call.args);
    let link = move || {
        let url = url.clone();
        async move { Ok(url) }
    };
    let downloaded = download_from(&call.ctx, &PROFILE, expected, sink, Access::Token, link)
        .await
        .map_err(explain)?;
    Ok(params::downloaded(&call.args, downloaded))
}

pub(super) async fn download_file(call: Call) -> Result<Value> {
    let path = file_path(&call.args, "")?;
    let request = Request::get(&PROFILE, api(&call.ctx, &path)?)
        .query("fields", "id,name,mimeType,size,md5Checksum,sha256Checksum");
    let meta = send(&call.ctx, request).await?;
    let mime = meta.get("mimeType").and_then(Value::as_str).unwrap_or("");
    if mime == FOLDER_MIME {
        return Err(Error::invalid_params(
            "the ID is a folder's: folders have no content to download",
        ));
    }
    if mime.starts_with("application/vnd.google-apps.") {
        return Err(Error::invalid_params(format!(
            "the file is a Google document ({mime}): it has no bytes of its own; use ExportFile with a format such as application/pdf"
        )));
    }
    let expected = Expected {
        size: meta.get("size").and_then(Value::as_str).and_then(|s| s.parse().ok()),
        md5: meta.get("md5Checksum").and_then(Value::as_str).map(String::from),
        sha256: meta.get("sha256Checksum").and_then(Value::as_str).map(String::from),
    };
    let mut url = api(&call.ctx, &path)?;
    url.query_pairs_mut().append_pair("alt", "media");
    fetch(&call, url, &expected).await
}

pub(super) async fn export_file(call: Call) -> Result<Value> {
    let mut url = api(&call.ctx, &file_path(&call.args, "/export")?)?;
    url.query_pairs_mut()
        .append_pair("mimeType", call.args.str("mime_type")?);
    // An export has no checksums to compare with: Drive makes it on the fly.
    fetch(&call, url, &Expected::default()).await
}
