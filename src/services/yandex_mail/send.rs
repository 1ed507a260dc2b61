//! SendMessage: a message composed here (text and/or HTML, file attachments) and sent over SMTP
//! with XOAUTH2 (docs/protocols-mail.md §3). Its size is checked before anything is sent, against
//! Yandex's limit and the one the server announces; the envelope's recipients are To, Cc and
//! Bcc, and Bcc never appears in the message.

use std::time::Duration;

use mail_builder::headers::address::Address;
use mail_builder::MessageBuilder;
use serde_json::{json, Value};

use super::profile::{SERVICE, SIZE_LIMIT, SMTP_ENDPOINT};
use super::session::address;
use crate::error::{Error, ErrorCode, Result};
use crate::log::Level;
use crate::mail::imap::xoauth2;
use crate::mail::smtp::{Reply, Smtp};
use crate::schema::Call;
use crate::transport::{connect_endpoint, Context};

/// At most this many recipients in all.
const MAX_RECIPIENTS: usize = 100;

pub(super) async fn send_message(call: Call) -> Result<Value> {
    let email = address(&call).await?;
    let from = call
        .args
        .opt_str("from")
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .unwrap_or(&email)
        .to_string();
    if !plausible(&from) {
        return Err(Error::invalid_params(format!(
            "`from`: `{from}` is not an e-mail address"
        )));
    }
    let to = addresses(&call, "to")?;
    let cc = addresses(&call, "cc")?;
    let bcc = addresses(&call, "bcc")?;
    let recipients: Vec<&String> = to.iter().chain(&cc).chain(&bcc).collect();
    if recipients.is_empty() {
        return Err(Error::invalid_params(
            "give at least one recipient in `to`, `cc` or `bcc`",
        ));
    }
    if recipients.len() > MAX_RECIPIENTS {
        return Err(Error::invalid_params(format!("at most {MAX_RECIPIENTS} recipients")));
    }
    let message_id = message_id(&from);
    let message = compose(&call, &from, &to, &cc, &message_id)?;
    check_size(message.len() as u64, SIZE_LIMIT)?;
    let mut smtp = connect_smtp(&call.ctx).await?;
    if let Some(limit) = smtp.size_limit {
        check_size(message.len() as u64, limit)?;
    }
    login(&call.ctx, &mut smtp, &email).await?;
    let reply = smtp
        .command(&format!("MAIL FROM:<{from}> SIZE={}", message.len()))
        .await?;
    refuse_unless(&smtp, &reply, 250, &format!("the sender <{from}>"))?;
    for recipient in &recipients {
        let reply = smtp.command(&format!("RCPT TO:<{recipient}>")).await?;
        if reply.code != 250 && reply.code != 251 {
            return Err(refused(&smtp, &reply, &format!("the recipient <{recipient}>")));
        }
    }
    let reply = smtp.data(&message).await?;
    refuse_unless(&smtp, &reply, 250, "the message")?;
    smtp.quit().await;
    Ok(json!({
        "message_id": message_id,
        "from": from,
        "recipients": recipients,
        "size": message.len(),
        "queued": reply.text,
    }))
}

/// `to`, `cc` or `bcc`: one address, a comma-separated list or an array.
fn addresses(call: &Call, key: &str) -> Result<Vec<String>> {
    let list: Vec<String> = match call.args.value(key) {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(text)) => text.split([',', ';']).map(String::from).collect(),
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(String::from).collect(),
        Some(_) => {
            return Err(Error::invalid_params(format!(
                "`{key}` must be an address or an array of them"
            )))
        }
    };
    let list: Vec<String> = list
        .into_iter()
        .map(|a| a.trim().to_string())
        .filter(|a| !a.is_empty())
        .collect();
    if let Some(bad) = list.iter().find(|a| !plausible(a)) {
        return Err(Error::invalid_params(format!(
            "`{key}`: `{bad}` is not an e-mail address"
        )));
    }
    Ok(list)
}

/// Enough of an address to put in an SMTP command: one `@`, no spaces, brackets or line breaks.
fn plausible(address: &str) -> bool {
    let forbidden = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"".contains(c);
    address.matches('@').count() == 1
        && !address.starts_with('@')
        && !address.ends_with('@')
        && !address.contains(forbidden)
}

fn message_id(from: &str) -> String {
    let mut random = [0u8; 12];
    let _ = getrandom::fill(&mut random);
    let random: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let domain = from.rsplit('@').next().unwrap_or("diskbridge.local");
    format!("{random}@{domain}")
}

fn compose(call: &Call, from: &str, to: &[String], cc: &[String], message_id: &str) -> Result<Vec<u8>> {
    let text = call.args.opt_str("text");
    let html = call.args.opt_str("html");
    if text.is_none() && html.is_none() {
        return Err(Error::invalid_params("give `text`, `html` or both"));
    }
    let list = |addresses: &[String]| Address::from(addresses.to_vec());
    let mut builder = MessageBuilder::new()
        .from(from)
        .subject(call.args.opt_str("subject").unwrap_or(""))
        .message_id(message_id.to_string());
    if !to.is_empty() {
        builder = builder.to(list(to));
    }
    if !cc.is_empty() {
        builder = builder.cc(list(cc));
    }
    if let Some(text) = text {
        builder = builder.text_body(text.to_string());
    }
    if let Some(html) = html {
        builder = builder.html_body(html.to_string());
    }
    for (name, content_type, bytes) in attachments(call)? {
        builder = builder.attachment(content_type, name, bytes);
    }
    builder
        .write_to_vec()
        .map_err(|e| Error::new(ErrorCode::Internal, format!("cannot compose the message: {e}")))
}

/// The `attachments`: file paths, read after their sizes were checked against the limit.
fn attachments(call: &Call) -> Result<Vec<(String, &'static str, Vec<u8>)>> {
    let paths: Vec<String> = match call.args.value("attachments") {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::String(path)) => vec![path.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(String::from).collect(),
        Some(_) => {
            return Err(Error::invalid_params(
                "`attachments` must be a file path or an array of them",
            ))
        }
    };
    let mut total = 0u64;
    for path in &paths {
        let size = std::fs::metadata(path)
            .map_err(|e| Error::local_io(&format!("cannot read attachment {path}"), &e))?
            .len();
        total += size;
    }
    // Base64 makes attachments a third larger.
    check_size(total / 3 * 4, SIZE_LIMIT)?;
    let mut out = Vec::new();
    for path in paths {
        let bytes = read_bounded(&path)?;
        let name = std::path::Path::new(&path)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "attachment".into());
        out.push((name.clone(), content_type(&name), bytes));
    }
    Ok(out)
}

/// An attachment's bytes, never more than the size limit allows even if the file grew after
/// its size was checked.
fn read_bounded(path: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |e: std::io::Error| Error::local_io(&format!("cannot read attachment {path}"), &e);
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(io)?
        .take(SIZE_LIMIT / 4 * 3 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    check_size(bytes.len() as u64 / 3 * 4, SIZE_LIMIT)?;
    Ok(bytes)
}

fn content_type(name: &str) -> &'static str {
    let extension = name.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match extension.as_str() {
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "xml" => "application/xml",
        "json" => "application/json",
        "zip" => "application/zip",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => "application/octet-stream",
    }
}

fn check_size(size: u64, limit: u64) -> Result<()> {
    if size > limit {
        return Err(Error::new(
            ErrorCode::PayloadTooLarge,
            format!("the message would be {size} bytes, over the server's limit of {limit}: nothing was sent"),
        )
        .with_service(SERVICE));
    }
    Ok(())
}

async fn connect_smtp(ctx: &Context) -> Result<Smtp> {
    let (stream, peer) = connect_endpoint(ctx, &SMTP_ENDPOINT, 465)
        .await
        .map_err(|e| e.with_service(SERVICE))?;
    Smtp::start(stream, Duration::from_secs_f64(ctx.config.timeouts.read_s), peer)
        .await
        .map_err(|e| e.with_service(SERVICE))
}

/// XOAUTH2 with the call's token, renewed once when the server refuses it.
async fn login(ctx: &Context, smtp: &mut Smtp, email: &str) -> Result<()> {
    let provider = ctx
        .auth
        .clone()
        .ok_or_else(|| Error::invalid_params("give `token` or `credentials`"))?;
    let mut renewed = false;
    loop {
        let token = provider.token(ctx).await?;
        let reply = match smtp.authenticate(&xoauth2(email, &token)).await? {
            Ok(()) => return Ok(()),
            Err(reply) => reply,
        };
        if reply.code == 535 && !renewed && provider.refresh_after_unauthorized(ctx).await? {
            renewed = true;
            ctx.log(
                Level::Info,
                "smtp",
                "the SMTP server refused the token: renewed it, logging in again",
            );
            continue;
        }
        let code = if reply.code == 535 {
            ErrorCode::Unauthorized
        } else {
            ErrorCode::UpstreamError
        };
        let message = format!("SMTP login of {email} at {} refused: {}", smtp.peer(), reply.shown());
        return Err(Error::new(code, message).with_service(SERVICE));
    }
}

fn refuse_unless(smtp: &Smtp, reply: &Reply, expected: u16, what: &str) -> Result<()> {
    if reply.code == expected {
        return Ok(());
    }
    Err(refused(smtp, reply, what))
}

/// A refusal by its reply code: 553 (a sender the user does not own) `forbidden`, 552 (size)
/// `payload_too_large`, 550 (no such user) `not_found`, other 5xx `upstream_error`, 4xx
/// (try later) `server_error` — with the server's text.
fn refused(smtp: &Smtp, reply: &Reply, what: &str) -> Error {
    let code = match reply.code {
        553 => ErrorCode::Forbidden,
        552 => ErrorCode::PayloadTooLarge,
        550 => ErrorCode::NotFound,
        400..=499 => ErrorCode::ServerError,
        _ => ErrorCode::UpstreamError,
    };
    let message = format!("{} refused {what}: {}; nothing was sent", smtp.peer(), reply.shown());
    Error::new(code, message).with_service(SERVICE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_must_be_plausible() {
        for good in ["a@b.ru", "ivan.petrov@sandbox-org.ru"] {
            assert!(plausible(good), "{good}");
        }
        for bad in ["a", "a@b@c", "@b", "a@", "a b@c", "a@b>\r\nRCPT TO:<x@y", "<a@b>"] {
            assert!(!plausible(bad), "{bad:?}");
        }
    }
}
