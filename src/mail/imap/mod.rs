//! An IMAP4rev1 client for what a mailbox backup and a mail reader need (docs/protocols-mail.md
//! §2): the greeting, AUTHENTICATE XOAUTH2 in both forms, LIST, STATUS, EXAMINE, UID FETCH with
//! every FETCH response handed over as it arrives, LOGOUT. Every response is read with bounds
//! (`wire`), every command's responses are counted, and nothing secret is ever rendered: the
//! XOAUTH2 line is the only one that carries the token, and no error quotes a line sent.

mod fetch;
mod parse;

use std::time::Duration;

use base64::Engine;

use super::wire::{Limits, Raw, Wire};
pub(crate) use fetch::Fetched;
pub(crate) use parse::Value;

use crate::error::{Error, ErrorCode, Result};
use crate::transport::BoxStream;

/// The server's final word on a command.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Status {
    Ok,
    No,
    Bad,
}

/// An untagged response as values (after `* `), or its text for status responses.
pub(crate) struct Untagged {
    pub values: Vec<Value>,
}

impl Untagged {
    /// The response's name: `LIST`, `STATUS`, `FETCH` (after the number), `OK`, `BYE`, …
    pub(crate) fn name(&self) -> String {
        let name = match self.values.first() {
            Some(Value::Atom(first)) if first.bytes().all(|b| b.is_ascii_digit()) => self.values.get(1),
            first => first,
        };
        name.and_then(Value::atom).unwrap_or("").to_ascii_uppercase()
    }
}

/// A command's tagged completion with its text (`NO [NONEXISTENT] SELECT No such folder`).
#[derive(Debug)]
pub(crate) struct Completion {
    pub status: Status,
    pub text: String,
}

impl Completion {
    /// `OK`, `NO …` or `BAD …` as the server put it, for messages.
    pub(crate) fn shown(&self) -> String {
        let word = match self.status {
            Status::Ok => "OK",
            Status::No => "NO",
            Status::Bad => "BAD",
        };
        format!("{word} {}", self.text)
    }
}

/// What a session refuses to read.
pub(crate) const LIMITS: Limits = Limits {
    line: 1024 * 1024,
    // Yandex's message size limit is 42,991,616 bytes (docs/protocols-mail.md §3); a literal
    // may be somewhat larger than what was sent (headers added on delivery).
    literal: 64 * 1024 * 1024,
    literals_per_response: 64,
};

/// The SASL XOAUTH2 initial response: base64 of `user=<email>^Aauth=Bearer <token>^A^A`
/// (docs/protocols-mail.md §2.3). It holds the token: never log or show it.
pub(crate) fn xoauth2(email: &str, token: &str) -> String {
    let text = format!("user={email}\u{1}auth=Bearer {token}\u{1}\u{1}");
    base64::engine::general_purpose::STANDARD.encode(text)
}

/// Why a login did not succeed.
pub(crate) enum LoginError {
    /// The server refused the credentials; its text (no secret in it).
    Refused(String),
    Other(Error),
}

impl From<Error> for LoginError {
    fn from(error: Error) -> LoginError {
        LoginError::Other(error)
    }
}

pub(crate) struct Session {
    wire: Wire,
    tag: u32,
    /// The most untagged responses one command may bring before the server is given up on.
    pub max_responses: usize,
}

impl Session {
    /// Reads the greeting of a connected server (`* OK …`; `* BYE` refuses us).
    pub(crate) async fn start(stream: BoxStream, read_timeout: Duration, peer: String) -> Result<Session> {
        let mut session = Session {
            wire: Wire::new(stream, read_timeout, LIMITS, peer),
            tag: 0,
            max_responses: 10_000,
        };
        let greeting = session.wire.read().await?.first_line();
        if !greeting.starts_with("* OK") && !greeting.starts_with("* PREAUTH") {
            return Err(session
                .wire
                .broken(&format!("the server does not greet as IMAP: {}", clip(&greeting))));
        }
        Ok(session)
    }

    pub(crate) fn peer(&self) -> &str {
        &self.wire.peer
    }

    fn next_tag(&mut self) -> String {
        self.tag += 1;
        format!("d{}", self.tag)
    }

    /// AUTHENTICATE XOAUTH2, first with the initial response inline (as Yandex documents it),
    /// then — when the server does not take an initial response (BAD) — after its `+`
    /// continuation. A second `+` after the response carries an error challenge (as Gmail
    /// sends): it is answered with an empty line and the tagged NO follows.
    pub(crate) async fn authenticate(&mut self, initial_response: &str) -> std::result::Result<(), LoginError> {
        let tag = self.next_tag();
        let line = format!("{tag} AUTHENTICATE XOAUTH2 {initial_response}\r\n");
        match self.finish_authenticate(&tag, line.as_bytes(), None).await? {
            Some(completion) if completion.status == Status::Bad => {}
            Some(completion) => return Err(LoginError::Refused(completion.shown())),
            None => return Ok(()),
        }
        let tag = self.next_tag();
        let line = format!("{tag} AUTHENTICATE XOAUTH2\r\n");
        match self
            .finish_authenticate(&tag, line.as_bytes(), Some(initial_response))
            .await?
        {
            Some(completion) => Err(LoginError::Refused(completion.shown())),
            None => Ok(()),
        }
    }

    /// Sends an AUTHENTICATE line and answers continuations: the first with `pending` (the
    /// initial response not sent yet), any other with an empty line. `None` when logged in.
    async fn finish_authenticate(
        &mut self,
        tag: &str,
        line: &[u8],
        mut pending: Option<&str>,
    ) -> Result<Option<Completion>> {
        self.wire.write(line).await?;
        for _ in 0..self.max_responses {
            let raw = self.wire.read().await?;
            let first = raw.first_line();
            if first.starts_with('+') {
                let answer = match pending.take() {
                    Some(response) => format!("{response}\r\n"),
                    None => "\r\n".to_string(),
                };
                self.wire.write(answer.as_bytes()).await?;
                continue;
            }
            if let Some(completion) = completion_of(tag, &first) {
                return Ok((completion.status != Status::Ok).then_some(completion));
            }
            self.check_bye(&first)?;
        }
        Err(self.too_many())
    }

    fn check_bye(&self, first: &str) -> Result<()> {
        match first.strip_prefix("* BYE") {
            Some(text) => Err(self
                .wire
                .broken(&format!("the server ended the session: BYE{}", clip(text)))),
            None => Ok(()),
        }
    }

    fn too_many(&self) -> Error {
        Error::new(
            ErrorCode::InvalidResponse,
            format!(
                "{}: over {} responses to one command",
                self.wire.peer, self.max_responses
            ),
        )
    }

    /// Runs a command (no literal arguments), handing every untagged response to `each`, and
    /// returns the tagged completion. `* BYE` ends the session with a `network` error.
    pub(crate) async fn run(
        &mut self,
        command: &str,
        mut each: impl FnMut(Untagged) -> Result<()>,
    ) -> Result<Completion> {
        let tag = self.next_tag();
        self.wire.write(format!("{tag} {command}\r\n").as_bytes()).await?;
        for _ in 0..self.max_responses {
            let raw = self.wire.read().await?;
            let first = raw.first_line();
            if let Some(completion) = completion_of(&tag, &first) {
                return Ok(completion);
            }
            self.check_bye(&first)?;
            if first.starts_with("* ") {
                each(untagged(raw)?)?;
            } else if !first.starts_with('+') {
                return Err(self.wire.broken(&format!("an unexpected response: {}", clip(&first))));
            }
        }
        Err(self.too_many())
    }

    /// Runs a command that must succeed: NO and BAD become errors naming `what`.
    pub(crate) async fn run_ok(
        &mut self,
        command: &str,
        what: &str,
        each: impl FnMut(Untagged) -> Result<()>,
    ) -> Result<()> {
        let completion = self.run(command, each).await?;
        match completion.status {
            Status::Ok => Ok(()),
            _ => Err(refusal(what, &completion)),
        }
    }

    /// LOGOUT, best effort: the session is over either way.
    pub(crate) async fn logout(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.run("LOGOUT", |_| Ok(()))).await;
    }
}

/// The error of a refused command: `not_found` for a folder that does not exist, `forbidden`
/// for a refusal of rights, `invalid_response` for BAD, `upstream_error` otherwise — with the
/// server's text.
pub(crate) fn refusal(what: &str, completion: &Completion) -> Error {
    let upper = completion.text.to_ascii_uppercase();
    let code = match completion.status {
        Status::Bad => ErrorCode::InvalidResponse,
        _ if upper.contains("[NONEXISTENT]") || upper.contains("NO SUCH") => ErrorCode::NotFound,
        _ if upper.contains("[NOPERM]") || upper.contains("NONSELECTABLE") => ErrorCode::Forbidden,
        _ if upper.contains("[TOOBIG]") => ErrorCode::PayloadTooLarge,
        _ => ErrorCode::UpstreamError,
    };
    Error::new(
        code,
        format!("{what}: the server answered {}", clip(&completion.shown())),
    )
}

/// The tagged completion of `tag`, if this line is it.
fn completion_of(tag: &str, first: &str) -> Option<Completion> {
    let rest = first.strip_prefix(tag)?.strip_prefix(' ')?;
    let (word, text) = rest.split_once(' ').unwrap_or((rest, ""));
    let status = match word.to_ascii_uppercase().as_str() {
        "OK" => Status::Ok,
        "NO" => Status::No,
        "BAD" => Status::Bad,
        _ => return None,
    };
    Some(Completion {
        status,
        text: text.to_string(),
    })
}

fn untagged(raw: Raw) -> Result<Untagged> {
    let first = raw.first_line();
    let word = first[2..].split(' ').next().unwrap_or("").to_ascii_uppercase();
    // Status responses carry free text, which need not parse as values.
    let values = if matches!(word.as_str(), "OK" | "NO" | "BAD" | "PREAUTH" | "BYE" | "CAPABILITY") {
        let mut values = vec![Value::Atom(word)];
        values.push(Value::Str(
            first[2..]
                .split_once(' ')
                .map(|(_, t)| t)
                .unwrap_or("")
                .as_bytes()
                .to_vec(),
        ));
        values
    } else {
        parse::values(raw, 2)?
    };
    Ok(Untagged { values })
}

/// A server's text cut to a readable length for messages.
fn clip(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(300) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

/// A folder name as an IMAP argument: modified UTF-7, quoted (a name with `"` or `\` escaped).
pub(crate) fn quote_folder(name: &str) -> String {
    let encoded = super::mutf7::encode(name);
    format!("\"{}\"", encoded.replace('\\', "\\\\").replace('"', "\\\""))
}
