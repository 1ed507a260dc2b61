//! An SMTP client for sending one message (RFC 5321; docs/protocols-mail.md §3): the greeting,
//! EHLO (its SIZE limit), AUTH XOAUTH2 with the initial response inline, MAIL FROM, RCPT TO,
//! DATA with dot-stuffing, QUIT. Replies are read with bounds; no reply or error ever shows the
//! AUTH line, the only one that carries the token.

use std::time::Duration;

use super::wire::{Limits, Wire};
use crate::error::{Error, ErrorCode, Result};
use crate::transport::BoxStream;

/// Reply lines are short; a reply has few of them.
const LIMITS: Limits = Limits {
    line: 4096,
    literal: 0,
    literals_per_response: 0,
};
const MAX_REPLY_LINES: usize = 100;

/// A reply: its code and its lines' text, joined.
#[derive(Debug)]
pub(crate) struct Reply {
    pub code: u16,
    pub text: String,
}

impl Reply {
    pub(crate) fn shown(&self) -> String {
        format!("{} {}", self.code, self.text)
    }
}

pub(crate) struct Smtp {
    wire: Wire,
    /// The SIZE limit EHLO announced.
    pub size_limit: Option<u64>,
}

impl Smtp {
    /// Reads the greeting and says EHLO.
    pub(crate) async fn start(stream: BoxStream, read_timeout: Duration, peer: String) -> Result<Smtp> {
        let mut smtp = Smtp {
            wire: Wire::new(stream, read_timeout, LIMITS, peer),
            size_limit: None,
        };
        let greeting = smtp.reply().await?;
        if greeting.code != 220 {
            return Err(smtp.unexpected("the greeting", &greeting));
        }
        let ehlo = smtp.command("EHLO diskbridge.local").await?;
        if ehlo.code != 250 {
            return Err(smtp.unexpected("EHLO", &ehlo));
        }
        smtp.size_limit = ehlo
            .text
            .split('\n')
            .find_map(|line| line.trim().strip_prefix("SIZE ").and_then(|n| n.trim().parse().ok()));
        Ok(smtp)
    }

    pub(crate) fn peer(&self) -> &str {
        &self.wire.peer
    }

    /// Reads one reply (`250-…` lines up to the `250 …` one).
    async fn reply(&mut self) -> Result<Reply> {
        let mut text = Vec::new();
        for _ in 0..MAX_REPLY_LINES {
            let line = self.wire.read_line().await?;
            let line = String::from_utf8_lossy(&line).into_owned();
            let code = line.get(..3).and_then(|c| c.parse::<u16>().ok());
            let Some(code) = code.filter(|c| (200..600).contains(c)) else {
                return Err(Error::new(
                    ErrorCode::InvalidResponse,
                    format!(
                        "{}: not an SMTP reply: {}",
                        self.wire.peer,
                        line.chars().take(200).collect::<String>()
                    ),
                ));
            };
            text.push(line.get(4..).unwrap_or("").to_string());
            if line.as_bytes().get(3) != Some(&b'-') {
                return Ok(Reply {
                    code,
                    text: text.join("\n"),
                });
            }
        }
        Err(Error::new(
            ErrorCode::InvalidResponse,
            format!("{}: a reply of over {MAX_REPLY_LINES} lines", self.wire.peer),
        ))
    }

    pub(crate) async fn command(&mut self, line: &str) -> Result<Reply> {
        self.wire.write(format!("{line}\r\n").as_bytes()).await?;
        self.reply().await
    }

    /// AUTH XOAUTH2 with the initial response; a `334` challenge (an error, as Gmail sends it)
    /// is answered with an empty line. `Ok(Err(reply))` when the server refused the token.
    pub(crate) async fn authenticate(&mut self, initial_response: &str) -> Result<std::result::Result<(), Reply>> {
        let mut reply = self.command(&format!("AUTH XOAUTH2 {initial_response}")).await?;
        if reply.code == 334 {
            reply = self.command("").await?;
        }
        Ok(if reply.code == 235 { Ok(()) } else { Err(reply) })
    }

    /// Sends DATA's body: the message dot-stuffed, ending in `CRLF.CRLF`.
    pub(crate) async fn data(&mut self, message: &[u8]) -> Result<Reply> {
        let go = self.command("DATA").await?;
        if go.code != 354 {
            return Ok(go);
        }
        self.wire.write(&dot_stuffed(message)).await?;
        self.reply().await
    }

    /// QUIT, best effort.
    pub(crate) async fn quit(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.command("QUIT")).await;
    }

    /// An error for a reply that makes no sense at this point.
    pub(crate) fn unexpected(&self, what: &str, reply: &Reply) -> Error {
        Error::new(
            ErrorCode::InvalidResponse,
            format!("{}: {what} was answered {}", self.wire.peer, reply.shown()),
        )
    }
}

/// CRLF line ends, a `.` doubled at the start of a line, and the final `.` line.
fn dot_stuffed(message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 64 + 8);
    let mut at_line_start = true;
    let mut previous = 0u8;
    for &byte in message {
        if at_line_start && byte == b'.' {
            out.push(b'.');
        }
        if byte == b'\n' && previous != b'\r' {
            out.push(b'\r');
        }
        out.push(byte);
        at_line_start = byte == b'\n';
        previous = byte;
    }
    if !out.ends_with(b"\r\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dots_are_stuffed_and_lines_end_in_crlf() {
        assert_eq!(dot_stuffed(b"a\r\n.b\n..c"), b"a\r\n..b\r\n...c\r\n.\r\n".to_vec());
        assert_eq!(dot_stuffed(b".\r\n"), b"..\r\n.\r\n".to_vec());
    }
}
