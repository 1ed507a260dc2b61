//! IMAP4rev1 as imap.yandex.com speaks it (docs/protocols-mail.md §2): its greeting and
//! capabilities, AUTHENTICATE XOAUTH2 in both forms with Yandex's failure answer, folders in
//! modified UTF-7 with `|`, SELECT/EXAMINE/STATUS, UID rules, SEARCH, FETCH, STORE/COPY/MOVE/
//! EXPUNGE/APPEND with UIDPLUS codes, IDLE. One session per connection, over any byte stream.
//!
//! Every session is bounded: a command line of 64 KiB, literals up to the message size limit,
//! an idle timeout, and a number of commands.

mod fetch;
mod folders;
mod login;
mod mime;
mod parse;
mod respond;
mod search;
mod update;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::io::{AsyncWriteExt, BufReader, BufWriter, ReadHalf, WriteHalf};

use super::auth::Login;
use super::dates::{local_day, MOSCOW_OFFSET_S};
use super::faults::{Action, Fault, Protocol};
use crate::server::round_trips;
use crate::state::AppState;
use crate::util::random_from;
use crate::wire::{read_exact, read_line, ReadError, Stream};
use parse::{Parsed, Parser};
use respond::completed;

/// The longest command line (an XOAUTH2 response is a few hundred bytes).
const MAX_LINE: usize = 64 * 1024;
/// The largest literal, and the most literal bytes in one command: the message size limit
/// that SMTP announces (docs/protocols-mail.md §3).
pub const MAX_LITERAL: usize = 42_991_616;
/// Commands in one session.
const MAX_COMMANDS: u32 = 1_000_000;
/// RFC 3501 §5.4: an autologout timer of at least 30 minutes.
const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);

/// The host name in the greeting, shaped like Yandex's (`imap53p.mail.yandex.net`).
const HOST: &str = "imap-sandbox.mail.yandex.net";

/// Before and after authentication (docs/protocols-mail.md §2.2).
pub const CAPABILITIES: &str =
    "IMAP4rev1 CHILDREN UNSELECT LITERAL+ NAMESPACE XLIST BINARY UIDPLUS ENABLE ID AUTH=PLAIN AUTH=XOAUTH2 IDLE MOVE";
pub const CAPABILITIES_AUTHENTICATED: &str =
    "IMAP4rev1 CHILDREN UNSELECT LITERAL+ NAMESPACE XLIST BINARY UIDPLUS ENABLE ID IDLE MOVE";

/// The tagged completion of a command.
pub enum Done {
    Ok(String),
    No(String),
    Bad(String),
}

/// Why a command did not complete with a tagged answer.
#[derive(Debug)]
pub enum Stop {
    /// The connection ends (the client left, a write failed, a fault, BYE).
    End,
    /// A syntax error: a tagged BAD with this text.
    Syntax(String),
}

impl From<String> for Stop {
    fn from(text: String) -> Self {
        Stop::Syntax(text)
    }
}

impl From<std::io::Error> for Stop {
    fn from(_: std::io::Error) -> Self {
        Stop::End
    }
}

pub type Outcome = Result<Done, Stop>;

/// A tagged NO for `command`: a response code in `text` (`[TRYCREATE] No such folder`) goes
/// first, as RFC 3501 §7.1 puts it (`NO [TRYCREATE] COPY No such folder`).
pub fn refusal(command: &str, text: &str) -> Done {
    match text.strip_prefix('[').and_then(|t| t.split_once("] ")) {
        Some((code, rest)) => Done::No(format!("[{code}] {command} {rest}")),
        None => Done::No(format!("{command} {text}")),
    }
}

/// The selected folder as this session knows it: sequence number `n` is `uids[n - 1]`.
pub struct Selected {
    pub name: String,
    pub uidvalidity: u32,
    pub uids: Vec<u32>,
    pub read_only: bool,
}

/// A command as read: the bytes with literals in place, and the lines without the literals'
/// bytes (for the request log).
struct Command {
    bytes: Vec<u8>,
    shown: String,
    literal_bytes: usize,
}

enum Incoming {
    Read(ReadError),
    /// A synchronising literal over the limit, refused before the client sends it.
    TooBig(String),
}

pub struct Session<S> {
    reader: BufReader<ReadHalf<S>>,
    writer: BufWriter<WriteHalf<S>>,
    state: AppState,
    peer: SocketAddr,
    sid: String,
    login: Option<Login>,
    selected: Option<Selected>,
    /// A fault taken for the running command that its handler applies (a FETCH drop, Gmail's
    /// challenge).
    fault: Option<Fault>,
    closing: bool,
    /// The command changed a mailbox: the sandbox saves its state (with `--data-dir`).
    dirty: bool,
}

/// Serves one IMAP connection to its end.
pub async fn serve<S: Stream>(stream: S, peer: SocketAddr, state: AppState) {
    let (reader, writer) = tokio::io::split(stream);
    let mut session = Session {
        reader: BufReader::with_capacity(64 * 1024, reader),
        writer: BufWriter::with_capacity(256 * 1024, writer),
        state,
        peer,
        sid: random_from(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 12),
        login: None,
        selected: None,
        fault: None,
        closing: false,
        dirty: false,
    };
    let _ = session.run().await;
    let _ = session.writer.shutdown().await;
}

/// The greeting's time: `2018-May-29 10:37:40`, Moscow time.
fn greeting_time(unix: i64) -> String {
    let date = super::dates::imap_datetime(unix);
    // `02-Mar-2026 10:00:05 +0300` → `2026-Mar-02 10:00:05`
    let (day_month_year, rest) = date.split_once(' ').unwrap_or((&date, ""));
    let parts: Vec<&str> = day_month_year.split('-').collect();
    let clock = rest.split(' ').next().unwrap_or("");
    match parts.as_slice() {
        [day, month, year] => format!("{year}-{month}-{day} {clock}"),
        _ => date.clone(),
    }
}

impl<S: Stream> Session<S> {
    async fn run(&mut self) -> Result<(), Stop> {
        let greeting = format!(
            "* OK Yandex IMAP4rev1 at {HOST}:993 ready to talk with {}, {}, {}",
            self.peer,
            greeting_time(self.state.clock.now()),
            self.sid
        );
        self.send(greeting.as_bytes()).await?;
        self.writer.flush().await?;
        for _ in 0..MAX_COMMANDS {
            match self.read_command().await {
                Ok(command) => self.handle(command).await?,
                Err(Incoming::TooBig(tag)) => {
                    self.send(format!("{tag} NO [TOOBIG] Literal is too big").as_bytes())
                        .await?;
                }
                Err(Incoming::Read(ReadError::Idle)) => {
                    self.send(b"* BYE Autologout; idle for too long").await?;
                }
                Err(Incoming::Read(ReadError::TooLong)) => {
                    self.send(b"* BYE Command line is too long").await?;
                }
                Err(Incoming::Read(_)) => return Err(Stop::End),
            }
            self.writer.flush().await?;
            if self.closing {
                return Ok(());
            }
        }
        self.send(b"* BYE Too many commands in one session").await?;
        Ok(())
    }

    /// Reads a command with its literals: a synchronising literal gets its `+` first; a
    /// non-synchronising one (`{N+}`, LITERAL+) is read straight on.
    async fn read_command(&mut self) -> Result<Command, Incoming> {
        let mut line = read_line(&mut self.reader, MAX_LINE, IDLE_TIMEOUT)
            .await
            .map_err(Incoming::Read)?;
        let mut command = Command {
            bytes: Vec::new(),
            shown: String::new(),
            literal_bytes: 0,
        };
        loop {
            command.shown.push_str(&String::from_utf8_lossy(&line));
            command.bytes.extend_from_slice(&line);
            let Some((length, synchronising)) = literal_suffix(&line) else {
                // The command's way here and its answer's way back (setting `rtt_ms`).
                round_trips(self.state.settings().rtt_ms, 1).await;
                return Ok(command);
            };
            if command.literal_bytes + length > MAX_LITERAL {
                if synchronising {
                    return Err(Incoming::TooBig(tag_of(&command.bytes)));
                }
                return Err(Incoming::Read(ReadError::TooLong));
            }
            if synchronising {
                // The client waits for the `+`: a round trip of its own.
                round_trips(self.state.settings().rtt_ms, 1).await;
                self.send(b"+ Ready for literal data")
                    .await
                    .map_err(|e| Incoming::Read(e.into()))?;
                self.writer.flush().await.map_err(|e| Incoming::Read(e.into()))?;
            }
            let literal = read_exact(&mut self.reader, length, IDLE_TIMEOUT)
                .await
                .map_err(Incoming::Read)?;
            command.literal_bytes += length;
            command.bytes.extend_from_slice(b"\r\n");
            command.bytes.extend_from_slice(&literal);
            line = read_line(&mut self.reader, MAX_LINE, IDLE_TIMEOUT)
                .await
                .map_err(Incoming::Read)?;
        }
    }

    async fn handle(&mut self, command: Command) -> Result<(), Stop> {
        let mut parser = Parser::new(&command.bytes);
        let Some(tag) = parse_tag(&mut parser) else {
            self.send(b"* BAD Invalid tag").await?;
            return Ok(());
        };
        let name = match command_name(&mut parser) {
            Ok(name) => name,
            Err(text) => {
                self.send(format!("{tag} BAD {text}").as_bytes()).await?;
                return Ok(());
            }
        };
        let user = self.login.as_ref().map(|l| l.email());
        let shown = login::mask(&name, &command.shown);
        let entry = self.state.log.start_command("imap", &name, shown, user);
        entry.body_bytes.store(command.literal_bytes as u64, Ordering::SeqCst);
        let done = match self.run_command(&name, &mut parser).await {
            Ok(done) => done,
            Err(Stop::Syntax(text)) => Done::Bad(format!("{name} {text}")),
            Err(Stop::End) => {
                entry.set_result("closed");
                return Err(Stop::End);
            }
        };
        let quiet = matches!(name.as_str(), "FETCH" | "STORE" | "SEARCH" | "COPY");
        self.report_changes(!quiet).await?;
        let (status, text) = match done {
            Done::Ok(text) => ("OK", text),
            Done::No(text) => ("NO", text),
            Done::Bad(text) => ("BAD", text),
        };
        self.send(format!("{tag} {status} {text}").as_bytes()).await?;
        entry.set_result(status);
        if std::mem::take(&mut self.dirty) {
            self.state.save();
        }
        Ok(())
    }

    /// Applies a fault of the command, then runs it.
    async fn run_command(&mut self, name: &str, parser: &mut Parser<'_>) -> Outcome {
        self.end_if_token_expired().await?;
        let uid = self.login.as_ref().map(|l| l.user.uid);
        if let Some(fault) = self.state.mail.faults.take(Protocol::Imap, name, uid) {
            if let Some(delay) = fault.delay_ms {
                tokio::time::sleep(Duration::from_millis(delay)).await;
            }
            match fault.action {
                Action::Drop if !name.ends_with("FETCH") => return Err(Stop::End),
                Action::Bye => {
                    let text = fault.text_or("[UNAVAILABLE] Server is going down, please reconnect");
                    self.send(format!("* BYE {text}").as_bytes()).await?;
                    return Err(Stop::End);
                }
                Action::No => {
                    return Ok(Done::No(
                        fault.text_or("[UNAVAILABLE] Temporary failure, try again later"),
                    ))
                }
                _ => self.fault = Some(fault),
            }
        }
        let result = self.dispatch(name, parser).await;
        self.fault = None;
        result
    }

    /// Setting `mail_session_ends_with_token`: once the login's token has expired, the next
    /// command gets `* BYE` ([unverified] that Yandex does this; docs/protocols-mail.md §1).
    async fn end_if_token_expired(&mut self) -> Result<(), Stop> {
        let Some(login) = &self.login else { return Ok(()) };
        if !self.state.settings().mail_session_ends_with_token || super::auth::still_valid(&self.state, login) {
            return Ok(());
        }
        self.send(b"* BYE [UNAVAILABLE] Session expired, please login again")
            .await?;
        Err(Stop::End)
    }

    async fn dispatch(&mut self, name: &str, parser: &mut Parser<'_>) -> Outcome {
        match name {
            "CAPABILITY" => self.capability(parser).await,
            "NOOP" => {
                parser.end()?;
                Ok(Done::Ok(completed(name)))
            }
            "LOGOUT" => {
                parser.end()?;
                self.send(b"* BYE IMAP4rev1 Server logging out").await?;
                self.closing = true;
                Ok(Done::Ok(completed(name)))
            }
            "ID" => self.id(parser).await,
            "STARTTLS" => Ok(Done::Bad("STARTTLS is not supported on this port".into())),
            "AUTHENTICATE" | "LOGIN" if self.login.is_some() => Ok(Done::Bad(format!("{name} Already authenticated"))),
            "AUTHENTICATE" => self.authenticate(parser).await,
            "LOGIN" => self.login_command(parser).await,
            _ if self.login.is_none() => Ok(Done::Bad(format!("{name} Command is not allowed in this state"))),
            _ => self.authenticated(name, parser).await,
        }
    }

    async fn authenticated(&mut self, name: &str, parser: &mut Parser<'_>) -> Outcome {
        match name {
            "SELECT" | "EXAMINE" => self.select(name, parser).await,
            "LIST" | "LSUB" | "XLIST" => self.list(name, parser).await,
            "STATUS" => self.status(parser).await,
            "CREATE" => self.create(parser).await,
            "DELETE" => self.delete(parser).await,
            "RENAME" => self.rename(parser).await,
            "SUBSCRIBE" | "UNSUBSCRIBE" => self.subscribe(name, parser).await,
            "NAMESPACE" => {
                parser.end()?;
                self.send(b"* NAMESPACE ((\"\" \"|\")) NIL NIL").await?;
                Ok(Done::Ok(completed(name)))
            }
            "ENABLE" => {
                while parser.eat(b' ') {
                    parser.atom()?;
                }
                parser.end()?;
                self.send(b"* ENABLED").await?;
                Ok(Done::Ok(completed(name)))
            }
            "APPEND" => self.append(parser).await,
            "IDLE" => self.idle(parser).await,
            _ if self.selected.is_none() => Ok(Done::Bad(format!("{name} No mailbox selected"))),
            _ => self.in_folder(name, parser).await,
        }
    }

    async fn in_folder(&mut self, name: &str, parser: &mut Parser<'_>) -> Outcome {
        match name {
            "CHECK" => {
                parser.end()?;
                Ok(Done::Ok(completed(name)))
            }
            "CLOSE" | "UNSELECT" => self.close(name, parser).await,
            "EXPUNGE" | "UID EXPUNGE" => self.expunge(name, parser).await,
            "FETCH" | "UID FETCH" => self.fetch(name, parser).await,
            "SEARCH" | "UID SEARCH" => self.search(name, parser).await,
            "STORE" | "UID STORE" => self.store(name, parser).await,
            "COPY" | "UID COPY" | "MOVE" | "UID MOVE" => self.copy(name, parser).await,
            _ => Ok(Done::Bad(format!("{name} Unknown command"))),
        }
    }

    async fn capability(&mut self, parser: &mut Parser<'_>) -> Outcome {
        parser.end()?;
        let list = if self.login.is_some() {
            CAPABILITIES_AUTHENTICATED
        } else {
            CAPABILITIES
        };
        self.send(format!("* CAPABILITY {list}").as_bytes()).await?;
        Ok(Done::Ok(completed("CAPABILITY")))
    }

    /// RFC 2971: the client's parameters (a list or NIL) are read and ignored; the server's are
    /// [unverified] (docs/protocols-mail.md §2.8), so it sends NIL.
    async fn id(&mut self, parser: &mut Parser<'_>) -> Outcome {
        parser.space()?;
        if parser.eat(b'(') {
            let mut items = 0;
            while !parser.eat(b')') {
                if items > 0 {
                    parser.space()?;
                }
                if parser.peek() == Some(b'N') {
                    parser.keyword()?;
                } else {
                    parser.string()?;
                }
                items += 1;
                if items > 60 {
                    return Err(Stop::Syntax("Too many ID parameters".into()));
                }
            }
        } else if parser.keyword()? != "NIL" {
            return Err(Stop::Syntax("Expected a list or NIL".into()));
        }
        parser.end()?;
        self.send(b"* ID NIL").await?;
        Ok(Done::Ok(completed("ID")))
    }

    /// RFC 2177: `+ idling`, then changes as they happen until the client sends DONE.
    async fn idle(&mut self, parser: &mut Parser<'_>) -> Outcome {
        parser.end()?;
        self.send(b"+ idling").await?;
        self.writer.flush().await?;
        let mut changes = self.state.mail.watch();
        changes.borrow_and_update();
        loop {
            tokio::select! {
                line = read_line(&mut self.reader, MAX_LINE, IDLE_TIMEOUT) => {
                    return match line {
                        Ok(line) if line.eq_ignore_ascii_case(b"DONE") => Ok(Done::Ok(completed("IDLE"))),
                        Ok(_) => Ok(Done::Bad("IDLE Expected DONE".into())),
                        Err(ReadError::Idle) => {
                            self.send(b"* BYE Autologout; idle for too long").await?;
                            Err(Stop::End)
                        }
                        Err(_) => Err(Stop::End),
                    };
                }
                changed = changes.changed() => {
                    if changed.is_err() {
                        return Err(Stop::End);
                    }
                    self.report_changes(true).await?;
                    self.writer.flush().await?;
                }
            }
        }
    }

    /// Writes one response line.
    pub(super) async fn send(&mut self, line: &[u8]) -> std::io::Result<()> {
        self.writer.write_all(line).await?;
        self.writer.write_all(b"\r\n").await
    }

    /// The `sc=` support id Yandex appends to a failure (docs/protocols-mail.md §2.3).
    fn support_id(&self) -> String {
        let seconds = (self.state.clock.now() + MOSCOW_OFFSET_S).rem_euclid(86_400);
        let day = local_day(self.state.clock.now()).rem_euclid(100);
        format!(
            "sc={}_{:02}{:04}_{}",
            self.sid,
            day,
            seconds % 10_000,
            random_from(b"0123456789abcdefghijklmnopqrstuvwxyz", 2)
        )
    }
}

/// `{N}` or `{N+}` at the end of a line: the length and whether the client waits for `+`.
fn literal_suffix(line: &[u8]) -> Option<(usize, bool)> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let (digits, synchronising) = match digits.strip_suffix(b"+") {
        Some(digits) => (digits, false),
        None => (digits, true),
    };
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let length = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some((length, synchronising))
}

/// The tag: any atom characters but `+` (RFC 3501 §9).
fn parse_tag(parser: &mut Parser<'_>) -> Option<String> {
    let tag = parser.atom().ok()?;
    (!tag.contains('+')).then(|| tag.to_string())
}

fn tag_of(bytes: &[u8]) -> String {
    parse_tag(&mut Parser::new(bytes)).unwrap_or_else(|| "*".into())
}

/// The command's name, upper-case; `UID FETCH` and the other UID forms as two words.
fn command_name(parser: &mut Parser<'_>) -> Parsed<String> {
    parser.space()?;
    let name = parser.keyword()?;
    if name != "UID" {
        return Ok(name);
    }
    parser.space()?;
    let inner = parser.keyword()?;
    match inner.as_str() {
        "FETCH" | "SEARCH" | "STORE" | "COPY" | "MOVE" | "EXPUNGE" => Ok(format!("UID {inner}")),
        _ => Err(format!("UID {inner} is not a UID command")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_suffixes() {
        assert_eq!(literal_suffix(b"A1 LOGIN {5}"), Some((5, true)));
        assert_eq!(literal_suffix(b"A1 APPEND INBOX {310+}"), Some((310, false)));
        assert_eq!(literal_suffix(b"A1 LOGIN {}"), None);
        assert_eq!(literal_suffix(b"A1 NOOP"), None);
        assert_eq!(literal_suffix(b"A1 X {99999999999}"), None);
    }

    #[test]
    fn tags_and_names() {
        let mut parser = Parser::new(b"FMKF3 uid fetch 1:* (UID)");
        assert_eq!(parse_tag(&mut parser).as_deref(), Some("FMKF3"));
        assert_eq!(command_name(&mut parser).unwrap(), "UID FETCH");
        assert!(parse_tag(&mut Parser::new(b"+A NOOP")).is_none());
        assert!(command_name(&mut Parser::new(b" UID LIST")).is_err());
        assert_eq!(greeting_time(1_772_434_805), "2026-Mar-02 10:00:05");
    }
}
