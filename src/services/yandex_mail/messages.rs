//! GetMessages (one folder's messages by UID page, their headers decoded) and DownloadMessage
//! (one raw RFC 822 message, to a file written atomically or inline as base64). Folders are
//! opened with EXAMINE and bodies fetched with BODY.PEEK[], so reading marks nothing seen.

use std::path::Path;

use base64::Engine;
use mail_parser::{Address, MessageParser};
use serde_json::{json, Value};

use super::files::write_atomically;
use super::session::{address, open};
use crate::error::{Error, ErrorCode, Result};
use crate::mail::imap::Fetched;
use crate::schema::Call;

/// The header fields GetMessages shows.
const HEADER_FIELDS: &str = "BODY.PEEK[HEADER.FIELDS (FROM TO CC SUBJECT DATE MESSAGE-ID)]";

pub(super) const DEFAULT_LIMIT: u64 = 100;
pub(super) const MAX_LIMIT: u64 = 1000;

pub(super) async fn get_messages(call: Call) -> Result<Value> {
    let folder = call.args.opt_str("folder").unwrap_or("INBOX").to_string();
    let after_uid = call.args.opt_u64("after_uid").unwrap_or(0);
    let limit = call.args.opt_u64("limit").unwrap_or(DEFAULT_LIMIT);
    if limit == 0 || limit > MAX_LIMIT {
        return Err(Error::invalid_params(format!("`limit` must be 1 to {MAX_LIMIT}")));
    }
    let email = address(&call).await?;
    let mut session = open(&call.ctx, &email).await?;
    let selected = session.examine(&folder).await?;
    // The page's UIDs first (one short response per message), then their headers.
    let mut uids = Vec::new();
    let first = after_uid.saturating_add(1);
    if selected.exists > 0 {
        let max = selected.exists as usize;
        session
            .uid_fetch(&format!("{first}:*"), "UID", first, max, |fetched| {
                uids.push(fetched.uid);
                Ok(())
            })
            .await?;
    }
    uids.sort_unstable();
    let more = uids.len() as u64 > limit;
    uids.truncate(limit as usize);
    let mut messages = Vec::with_capacity(uids.len());
    if let (Some(low), Some(high)) = (uids.first(), uids.last()) {
        let items = format!("UID FLAGS RFC822.SIZE INTERNALDATE {HEADER_FIELDS}");
        session
            .uid_fetch(&format!("{low}:{high}"), &items, *low, uids.len(), |fetched| {
                if fetched.uid <= *high {
                    messages.push(summary(fetched));
                }
                Ok(())
            })
            .await?;
    }
    session.logout().await;
    messages.sort_by_key(|m| m["uid"].as_u64());
    let next_after_uid = if more { uids.last().copied() } else { None };
    Ok(json!({
        "email": email,
        "folder": folder,
        "uidvalidity": selected.uidvalidity,
        "uidnext": selected.uidnext,
        "exists": selected.exists,
        "messages": messages,
        "next_after_uid": next_after_uid,
    }))
}

/// One message of GetMessages: its attributes and decoded header fields.
fn summary(fetched: Fetched) -> Value {
    let header = fetched.header.unwrap_or_default();
    let parsed = MessageParser::default().parse_headers(&header);
    let message = parsed.as_ref();
    let field = |address: Option<&Address<'_>>| address.map(addresses).unwrap_or_default();
    json!({
        "uid": fetched.uid,
        "size": fetched.size,
        "flags": fetched.flags,
        "internal_date": fetched.internal_date,
        "from": field(message.and_then(|m| m.from())),
        "to": field(message.and_then(|m| m.to())),
        "cc": field(message.and_then(|m| m.cc())),
        "subject": parsed.as_ref().and_then(|m| m.subject()).unwrap_or(""),
        "date": parsed.as_ref().and_then(|m| m.date()).map(|d| d.to_rfc3339()),
        "message_id": parsed.as_ref().and_then(|m| m.message_id()),
    })
}

fn addresses(address: &Address<'_>) -> Vec<Value> {
    address
        .iter()
        .map(|addr| json!({"name": addr.name(), "email": addr.address()}))
        .collect()
}

pub(super) async fn download_message(call: Call) -> Result<Value> {
    let folder = call.args.opt_str("folder").unwrap_or("INBOX").to_string();
    let uid = call
        .args
        .opt_u64("uid")
        .filter(|uid| *uid > 0)
        .ok_or_else(|| Error::invalid_params("`uid` must be a message's UID (1 or more)"))?;
    let email = address(&call).await?;
    let mut session = open(&call.ctx, &email).await?;
    let selected = session.examine(&folder).await?;
    let mut body = None;
    session
        .uid_fetch(&uid.to_string(), "UID RFC822.SIZE BODY.PEEK[]", uid, 1, |fetched| {
            if fetched.uid == uid {
                body = fetched.body;
            }
            Ok(())
        })
        .await?;
    session.logout().await;
    let Some(body) = body else {
        return Err(Error::new(
            ErrorCode::NotFound,
            format!(
                "no message with UID {uid} in folder `{folder}` (UIDVALIDITY {})",
                selected.uidvalidity
            ),
        ));
    };
    let size = body.len() as u64;
    let mut result = json!({"folder": folder, "uid": uid, "uidvalidity": selected.uidvalidity, "size": size});
    match call.args.opt_str("save_path") {
        Some(save_path) => {
            let target = Path::new(save_path);
            write_atomically(target, &body)?;
            let shown = std::path::absolute(target).unwrap_or(target.to_path_buf());
            result["path"] = json!(shown.to_string_lossy());
        }
        None => {
            let cap = call.ctx.config.transfers.inline_max_bytes;
            if size > cap {
                return Err(Error::new(
                    ErrorCode::TooLarge,
                    format!("the message is {size} bytes, over the inline cap of {cap}: give `save_path` (or raise transfers.inline_max_bytes)"),
                ));
            }
            result["data_base64"] = json!(base64::engine::general_purpose::STANDARD.encode(&body));
        }
    }
    Ok(result)
}
