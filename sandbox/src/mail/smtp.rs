//! SMTP submission as smtp.yandex.com:465 speaks it (docs/protocols-mail.md §3): its greeting and
//! EHLO list, AUTH XOAUTH2 (inline or after `334 `) with Yandex's 235/535 answers, the envelope
//! sender checked against the logged-in user (553), the advertised SIZE enforced, and delivery
//! into the recipients' sandbox mailboxes and the sender's Sent folder, so that a message sent
//! can be read back over IMAP. Addresses outside the sandbox are accepted and only recorded.
//!
//! Bounded like the IMAP sessions: line length, message size, recipients, commands, idle time.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader, BufWriter, ReadHalf, WriteHalf};

use super::auth::{self, Login, Refused, SCOPE_SMTP};
use super::dates::rfc5322;
use super::faults::{Action, Fault, Protocol};
use super::imap::MAX_LITERAL;
use super::model::{Body, Flags, Role, SEEN};
use super::{user_by_email, Outgoing, MAX_FOLDER_MESSAGES};
use crate::server::round_trips;
use crate::state::AppState;
use crate::util::random_from;
use crate::wire::{read_line, ReadError, Stream};

/// The host name in the greeting, shaped like Yandex's (`smtp2o.mail.yandex.net`).
const HOST: &str = "smtp-sandbox.mail.yandex.net";
/// The advertised message-size limit (docs/protocols-mail.md §3).
pub const MAX_SIZE: usize = MAX_LITERAL;
/// Command lines; message lines may be longer (RFC 5321 allows 1000, some clients send more).
const MAX_LINE: usize = 4096;
const MAX_DATA_LINE: usize = 64 * 1024;
/// [unverified] Yandex's recipient limit per message.
const MAX_RECIPIENTS: usize = 100;
const MAX_COMMANDS: u32 = 10_000;
/// RFC 5321 §4.5.3.2: at least five minutes for a command, ten for the end of the data.
const IDLE_TIMEOUT: Duration = Duration::from_secs(10 * 60);

const EHLO_LINES: [&str; 6] = [
    "8BITMIME",
    "PIPELINING",
    "SIZE 42991616",
    "AUTH LOGIN PLAIN XOAUTH2",
    "DSN",
    "ENHANCEDSTATUSCODES",
];

struct Session<S> {
    reader: BufReader<ReadHalf<S>>,
    writer: BufWriter<WriteHalf<S>>,
    state: AppState,
    peer: SocketAddr,
    login: Option<Login>,
    from: Option<String>,
    to: Vec<String>,
    /// The size of the last message received (for the request log).
    data_size: usize,
}

/// The answer to a command.
enum Answer {
    Reply(String, String),
    /// Reply, then close the connection.
    Close(String, String),
    /// Close without a word (an injected fault).
    Drop,
}

fn reply(code: &str, text: &str) -> Answer {
    Answer::Reply(code.to_string(), text.to_string())
}

/// Serves one SMTP connection to its end.
pub async fn serve<S: Stream>(stream: S, peer: SocketAddr, state: AppState) {
    let (reader, writer) = tokio::io::split(stream);
    let mut session = Session {
        reader: BufReader::new(reader),
        writer: BufWriter::new(writer),
        state,
        peer,
        login: None,
        from: None,
        to: Vec::new(),
        data_size: 0,
    };
    let _ = session.run().await;
    let _ = session.writer.shutdown().await;
}

/// The address of `MAIL FROM:<a@b> SIZE=…` / `RCPT TO:<a@b>`, and the parameters after it.
fn path_argument<'a>(rest: &'a str, prefix: &str) -> Option<(String, &'a str)> {
    let head = rest.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = rest[prefix.len()..].trim_start();
    let (address, params) = match rest.strip_prefix('<') {
        Some(inner) => {
            let end = inner.find('>')?;
            (&inner[..end], &inner[end + 1..])
        }
        None => rest.split_once(' ').unwrap_or((rest, "")),
    };
    Some((address.trim().to_string(), params.trim()))
}

/// The `SIZE=` parameter of MAIL FROM.
fn declared_size(params: &str) -> Option<u64> {
    params
        .split_whitespace()
        .find_map(|p| p.get(..5).filter(|k| k.eq_ignore_ascii_case("SIZE=")).map(|_| &p[5..]))
        .and_then(|n| n.parse().ok())
}

impl<S: Stream> Session<S> {
    async fn run(&mut self) -> std::io::Result<()> {
        let greeting = format!("{HOST} ESMTP (Want to use Yandex.Mail for your domain? Visit http://pdd.yandex.ru)");
        self.send("220", &greeting).await?;
        for _ in 0..MAX_COMMANDS {
            let line = match read_line(&mut self.reader, MAX_LINE, IDLE_TIMEOUT).await {
                Ok(line) => String::from_utf8_lossy(&line).into_owned(),
                Err(ReadError::TooLong) => return self.send("500", "5.5.2 Error: line too long").await,
                Err(ReadError::Idle) => return self.send("421", "4.4.2 Error: timeout exceeded").await,
                Err(_) => return Ok(()),
            };
            // The command's way here and its answer's way back (setting `rtt_ms`).
            round_trips(self.state.settings().rtt_ms, 1).await;
            match self.command(&line).await? {
                Answer::Reply(code, text) => self.send(&code, &text).await?,
                Answer::Close(code, text) => return self.send(&code, &text).await,
                Answer::Drop => return Ok(()),
            }
        }
        self.send("421", "4.7.0 Error: too many commands").await
    }

    async fn send(&mut self, code: &str, text: &str) -> std::io::Result<()> {
        self.writer.write_all(format!("{code} {text}\r\n").as_bytes()).await?;
        self.writer.flush().await
    }

    /// Logs the command (AUTH's credentials masked), applies a fault, runs it.
    async fn command(&mut self, line: &str) -> std::io::Result<Answer> {
        let (verb, rest) = line.split_once(' ').unwrap_or((line, ""));
        let verb = verb.to_ascii_uppercase();
        let shown = match verb.as_str() {
            "AUTH" => format!("AUTH {} [masked]", rest.split(' ').next().unwrap_or("")),
            _ => line.to_string(),
        };
        let user = self.login.as_ref().map(|l| l.email());
        let entry = self.state.log.start_command("smtp", &verb, shown, user);
        let uid = self.login.as_ref().map(|l| l.user.uid);
        // A fault on DATA applies at the end of the message (see `data`).
        let fault = (verb != "DATA").then(|| self.state.mail.faults.take(Protocol::Smtp, &verb, uid));
        let answer = match fault_answer(fault.flatten()).await {
            Some(answer) => answer,
            None => self.dispatch(&verb, rest.trim()).await?,
        };
        if verb == "DATA" {
            entry.body_bytes.store(self.data_size as u64, Ordering::SeqCst);
        }
        entry.set_result(match &answer {
            Answer::Reply(code, _) | Answer::Close(code, _) => code,
            Answer::Drop => "closed",
        });
        Ok(answer)
    }

    async fn dispatch(&mut self, verb: &str, rest: &str) -> std::io::Result<Answer> {
        Ok(match verb {
            "EHLO" | "HELO" if rest.is_empty() => reply("501", &format!("5.5.4 Syntax: {verb} hostname")),
            "EHLO" => {
                let mut lines = vec![HOST.to_string()];
                lines.extend(EHLO_LINES.iter().map(|l| l.to_string()));
                let last = lines.pop().unwrap_or_default();
                for line in lines {
                    self.writer.write_all(format!("250-{line}\r\n").as_bytes()).await?;
                }
                self.reset();
                reply("250", &last)
            }
            "HELO" => reply("250", HOST),
            "AUTH" => self.auth(rest).await?,
            "MAIL" => self.mail_from(rest),
            "RCPT" => self.rcpt_to(rest),
            "DATA" => self.data(rest).await?,
            "RSET" => {
                self.reset();
                reply("250", "2.0.0 Ok")
            }
            "NOOP" => reply("250", "2.0.0 Ok"),
            "QUIT" => Answer::Close("221".into(), "2.0.0 Closing connection.".into()),
            "VRFY" => reply("502", "5.5.1 VRFY command is disabled"),
            _ => reply("502", "5.5.2 Error: command not recognized"),
        })
    }

    fn reset(&mut self) {
        self.from = None;
        self.to.clear();
    }

    /// AUTH XOAUTH2 (inline or after `334 `); PLAIN and LOGIN run their exchange and fail, as a
    /// wrong app password does (the sandbox has none).
    async fn auth(&mut self, rest: &str) -> std::io::Result<Answer> {
        if self.login.is_some() {
            return Ok(reply("503", "5.5.1 Error: already authenticated"));
        }
        let (mechanism, initial) = rest.split_once(' ').unwrap_or((rest, ""));
        let mechanism = mechanism.to_ascii_uppercase();
        if !matches!(mechanism.as_str(), "XOAUTH2" | "PLAIN" | "LOGIN") {
            return Ok(reply("504", "5.5.4 Unrecognized authentication type"));
        }
        let mut responses = Vec::new();
        if !initial.trim().is_empty() {
            responses.push(initial.trim().to_string());
        }
        let prompts: &[&str] = match mechanism.as_str() {
            "LOGIN" => &["VXNlcm5hbWU6", "UGFzc3dvcmQ6"],
            _ => &[""],
        };
        for prompt in prompts.iter().skip(responses.len()) {
            self.send("334", prompt).await?;
            let line = match read_line(&mut self.reader, MAX_LINE, IDLE_TIMEOUT).await {
                Ok(line) => String::from_utf8_lossy(&line).into_owned(),
                Err(_) => return Ok(Answer::Drop),
            };
            if line.trim() == "*" {
                return Ok(reply("501", "5.7.0 Authentication aborted"));
            }
            responses.push(line);
        }
        if mechanism != "XOAUTH2" {
            return Ok(reply(
                "535",
                "5.7.8 Error: authentication failed: Invalid user or password!",
            ));
        }
        Ok(match auth::check(&self.state, responses[0].as_bytes(), &[SCOPE_SMTP]) {
            Ok(login) => {
                self.login = Some(login);
                reply("235", "2.7.0 Authentication successful.")
            }
            Err(Refused::Malformed) => reply("535", "5.7.8 Error: authentication failed:Invalid format."),
            Err(Refused::Invalid) => reply("535", "5.7.8 Error: authentication failed: Invalid user or password!"),
        })
    }

    fn mail_from(&mut self, rest: &str) -> Answer {
        let Some(login) = &self.login else {
            return reply("503", "5.5.4 Error: send AUTH command first.");
        };
        if self.from.is_some() {
            return reply("503", "5.5.1 Error: nested MAIL command");
        }
        let Some((address, params)) = path_argument(rest, "FROM:") else {
            return reply("501", "5.5.4 Syntax: MAIL FROM:<address>");
        };
        if declared_size(params).is_some_and(|size| size > MAX_SIZE as u64) {
            return reply("552", "5.3.4 Message size exceeds fixed limit");
        }
        if !address.eq_ignore_ascii_case(login.email()) {
            return reply("553", "5.7.1 Sender address rejected: not owned by auth user.");
        }
        let answer = reply("250", &format!("2.1.0 <{address}> ok"));
        self.from = Some(address);
        answer
    }

    fn rcpt_to(&mut self, rest: &str) -> Answer {
        if self.from.is_none() {
            return reply("503", "5.5.1 Error: need MAIL command");
        }
        let Some((address, _)) = path_argument(rest, "TO:").filter(|(a, _)| a.contains('@')) else {
            return reply("501", "5.5.4 Syntax: RCPT TO:<address>");
        };
        if self.to.len() >= MAX_RECIPIENTS {
            return reply("452", "4.5.3 Error: too many recipients");
        }
        let domain = address.rsplit('@').next().unwrap_or("");
        let local_domain = crate::accounts::YANDEX_USERS.iter().any(|u| {
            u.email
                .rsplit('@')
                .next()
                .is_some_and(|d| d.eq_ignore_ascii_case(domain))
        });
        if local_domain && user_by_email(&address).is_none() {
            return reply("550", "5.7.1 No such user!");
        }
        let answer = reply("250", &format!("2.1.5 <{address}> recipient ok"));
        self.to.push(address);
        answer
    }

    /// Reads the message up to the lone dot, then delivers it (or answers a fault).
    async fn data(&mut self, rest: &str) -> std::io::Result<Answer> {
        if !rest.is_empty() {
            return Ok(reply("501", "5.5.4 Syntax: DATA"));
        }
        if self.to.is_empty() {
            return Ok(reply("503", "5.5.1 Error: need RCPT command"));
        }
        self.send("354", "Enter mail, end with \".\" on a line by itself")
            .await?;
        let (message, size) = match self.read_message().await? {
            Some(read) => read,
            None => return Ok(Answer::Drop),
        };
        self.data_size = size;
        let uid = self.login.as_ref().map(|l| l.user.uid);
        let fault = self.state.mail.faults.take(Protocol::Smtp, "DATA", uid);
        if let Some(answer) = fault_answer(fault).await {
            self.reset();
            return Ok(answer);
        }
        if size > MAX_SIZE {
            self.reset();
            return Ok(reply("552", "5.3.4 Message size exceeds fixed limit"));
        }
        let queue_id = format!(
            "{}-{}",
            self.state.clock.now(),
            random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 8)
        );
        self.deliver(message, &queue_id);
        self.reset();
        Ok(reply("250", &format!("2.0.0 Ok: queued on {HOST} as {queue_id}")))
    }

    /// The message, dot-unstuffed, and its size; past the size limit the rest is read and
    /// thrown away (up to twice the limit, then the connection is dropped). None when the
    /// client went away.
    async fn read_message(&mut self) -> std::io::Result<Option<(Vec<u8>, usize)>> {
        let mut message = Vec::new();
        let mut size = 0usize;
        loop {
            let line = match read_line(&mut self.reader, MAX_DATA_LINE, IDLE_TIMEOUT).await {
                Ok(line) => line,
                Err(_) => return Ok(None),
            };
            if line == b"." {
                // The end of the message waits for its answer like a command.
                round_trips(self.state.settings().rtt_ms, 1).await;
                return Ok(Some((message, size)));
            }
            let line = line.strip_prefix(b".").unwrap_or(&line);
            size += line.len() + 2;
            if size > 2 * MAX_SIZE {
                return Ok(None);
            }
            if size <= MAX_SIZE {
                message.extend_from_slice(line);
                message.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Into each sandbox recipient's INBOX (with a `Received:` line on top) and the sender's
    /// Sent folder (as sent, `\Seen`); other addresses are recorded as relayed.
    fn deliver(&self, message: Vec<u8>, queue_id: &str) {
        let now = self.state.clock.now();
        let Some(login) = &self.login else { return };
        let received = format!(
            "Received: from [{}] by {HOST} with ESMTPSA id {queue_id};\r\n\t{}\r\n",
            self.peer.ip(),
            rfc5322(now)
        );
        let delivered = Arc::new([received.as_bytes(), &message].concat());
        let mut outside = Vec::new();
        let mut done: Vec<&str> = Vec::new();
        for address in &self.to {
            match user_by_email(address) {
                Some(user) if !done.contains(&user.uid) => {
                    done.push(user.uid);
                    self.state.mail.write(user.uid, |mb| {
                        if let Some(inbox) = mb
                            .by_role(Role::Inbox)
                            .filter(|f| f.messages.len() < MAX_FOLDER_MESSAGES)
                        {
                            inbox.append(now, Flags::default(), Body::Stored(delivered.clone()));
                        }
                    });
                }
                Some(_) => {}
                None => outside.push(address.clone()),
            }
        }
        let sent = Flags {
            system: SEEN,
            keywords: Vec::new(),
        };
        self.state.mail.write(login.user.uid, |mb| {
            if let Some(folder) = mb
                .by_role(Role::Sent)
                .filter(|f| f.messages.len() < MAX_FOLDER_MESSAGES)
            {
                folder.append(now, sent, Body::Stored(Arc::new(message.clone())));
            }
        });
        if !outside.is_empty() {
            self.state.mail.record_outgoing(Outgoing {
                from: login.email().to_string(),
                to: outside,
                size: message.len(),
                at: now,
            });
        }
        self.state.save();
    }
}

/// The answer a fault gives instead of the command's own (after its delay); None to go on.
async fn fault_answer(fault: Option<Fault>) -> Option<Answer> {
    let fault = fault?;
    if let Some(delay) = fault.delay_ms {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    match fault.action {
        Action::Drop => Some(Answer::Drop),
        Action::Reply => Some(Answer::Reply(
            fault.code.unwrap_or(451).to_string(),
            fault.text_or("4.7.1 Service unavailable, try again later"),
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_arguments() {
        assert_eq!(
            path_argument("FROM:<ivan@sandbox-org.ru> SIZE=1200 BODY=8BITMIME", "FROM:"),
            Some(("ivan@sandbox-org.ru".into(), "SIZE=1200 BODY=8BITMIME"))
        );
        assert_eq!(path_argument("to: <a@b.ru>", "TO:"), Some(("a@b.ru".into(), "")));
        assert_eq!(path_argument("FROM:<>", "FROM:"), Some((String::new(), "")));
        assert_eq!(path_argument("FROM <a@b>", "FROM:"), None);
        assert_eq!(declared_size("BODY=8BITMIME size=42991617"), Some(42_991_617));
        assert_eq!(declared_size(""), None);
    }
}
