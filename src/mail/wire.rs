//! The line protocols' connection, read with bounds: lines of at most [`Limits::line`] bytes
//! (SMTP replies), and IMAP responses — lines and the literals between them (`… {N}` CRLF, N
//! bytes, the line goes on), each literal at most [`Limits::literal`] — every read and write
//! within the read timeout.

use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::error::{Error, ErrorCode, Result};
use crate::transport::BoxStream;

/// How much a response may hold.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub line: usize,
    pub literal: u64,
    pub literals_per_response: usize,
}

/// One response: its text with each literal replaced by a `Piece::Literal`.
#[derive(Debug, Default)]
pub(crate) struct Raw {
    pub pieces: Vec<Piece>,
}

#[derive(Debug)]
pub(crate) enum Piece {
    Text(Vec<u8>),
    Literal(Vec<u8>),
}

impl Raw {
    /// The first line, as text (status responses are read from it).
    pub(crate) fn first_line(&self) -> String {
        match self.pieces.first() {
            Some(Piece::Text(text)) => String::from_utf8_lossy(text).into_owned(),
            _ => String::new(),
        }
    }
}

/// A connection: the stream with a read buffer, the read timeout and what it says in errors.
pub(crate) struct Wire {
    stream: BufReader<BoxStream>,
    pub read_timeout: Duration,
    pub limits: Limits,
    /// `imap.yandex.com:993`, for messages.
    pub peer: String,
}

impl Wire {
    pub(crate) fn new(stream: BoxStream, read_timeout: Duration, limits: Limits, peer: String) -> Wire {
        Wire {
            stream: BufReader::with_capacity(64 * 1024, stream),
            read_timeout,
            limits,
            peer,
        }
    }

    pub(crate) fn broken(&self, what: &str) -> Error {
        Error::new(ErrorCode::Network, format!("{}: {what}", self.peer))
    }

    fn timed_out(&self) -> Error {
        Error::new(
            ErrorCode::Timeout,
            format!("{}: no data for {} s", self.peer, self.read_timeout.as_secs_f64()),
        )
    }

    /// Writes `bytes` and flushes, within the read timeout.
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> Result<()> {
        let write = async {
            let stream = self.stream.get_mut();
            stream.write_all(bytes).await?;
            stream.flush().await
        };
        match tokio::time::timeout(self.read_timeout, write).await {
            Err(_) => Err(self.timed_out()),
            Ok(Err(e)) => Err(self.broken(&format!("the connection broke while sending: {e}"))),
            Ok(Ok(())) => Ok(()),
        }
    }

    /// Reads one response: a line, and while it ends in a literal's `{N}`, the literal and the
    /// line that goes on after it.
    pub(crate) async fn read(&mut self) -> Result<Raw> {
        let mut raw = Raw::default();
        loop {
            let mut line = self.read_line().await?;
            let Some(size) = literal_size(&line) else {
                raw.pieces.push(Piece::Text(line));
                return Ok(raw);
            };
            if size > self.limits.literal {
                return Err(Error::new(
                    ErrorCode::InvalidResponse,
                    format!(
                        "{}: a literal of {size} bytes, over the limit of {}",
                        self.peer, self.limits.literal
                    ),
                ));
            }
            if raw.pieces.len() / 2 >= self.limits.literals_per_response {
                return Err(Error::new(
                    ErrorCode::InvalidResponse,
                    format!(
                        "{}: a response with over {} literals",
                        self.peer, self.limits.literals_per_response
                    ),
                ));
            }
            let open = line.iter().rposition(|b| *b == b'{').unwrap_or(line.len());
            line.truncate(open);
            raw.pieces.push(Piece::Text(line));
            raw.pieces.push(Piece::Literal(self.read_literal(size).await?));
        }
    }

    pub(crate) async fn read_line(&mut self) -> Result<Vec<u8>> {
        let mut line = Vec::new();
        let limit = self.limits.line as u64 + 2;
        let mut bounded = (&mut self.stream).take(limit);
        let read = bounded.read_until(b'\n', &mut line);
        match tokio::time::timeout(self.read_timeout, read).await {
            Err(_) => return Err(self.timed_out()),
            Ok(Err(e)) => return Err(self.broken(&format!("the connection broke: {e}"))),
            Ok(Ok(0)) => return Err(self.broken("the server closed the connection")),
            Ok(Ok(_)) => {}
        }
        if !line.ends_with(b"\n") {
            if line.len() as u64 >= limit {
                return Err(Error::new(
                    ErrorCode::InvalidResponse,
                    format!("{}: a response line over {} bytes", self.peer, self.limits.line),
                ));
            }
            return Err(self.broken("the server closed the connection in the middle of a line"));
        }
        line.pop();
        if line.ends_with(b"\r") {
            line.pop();
        }
        Ok(line)
    }

    async fn read_literal(&mut self, size: u64) -> Result<Vec<u8>> {
        let mut literal = Vec::with_capacity(size.min(16 * 1024 * 1024) as usize);
        while (literal.len() as u64) < size {
            let want = (size - literal.len() as u64).min(256 * 1024) as usize;
            let start = literal.len();
            literal.resize(start + want, 0);
            let read = self.stream.read(&mut literal[start..]);
            let got = match tokio::time::timeout(self.read_timeout, read).await {
                Err(_) => return Err(self.timed_out()),
                Ok(Err(e)) => return Err(self.broken(&format!("the connection broke inside a literal: {e}"))),
                Ok(Ok(0)) => return Err(self.broken("the server closed the connection inside a literal")),
                Ok(Ok(got)) => got,
            };
            literal.truncate(start + got);
        }
        Ok(literal)
    }
}

/// The size of the literal a line announces at its end (`{123}` or `{123+}`).
fn literal_size(line: &[u8]) -> Option<u64> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|b| *b == b'{')?;
    let digits = inner[open + 1..].strip_suffix(b"+").unwrap_or(&inner[open + 1..]);
    if digits.is_empty() || digits.len() > 12 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wire(server: &'static [u8], limits: Limits) -> Wire {
        let (client, mut far) = tokio::io::duplex(1024 * 1024);
        tokio::spawn(async move {
            far.write_all(server).await.unwrap();
            // Keep the far end open until the test is done reading.
            tokio::time::sleep(Duration::from_secs(5)).await;
        });
        Wire::new(Box::pin(client), Duration::from_secs(2), limits, "test:1".into())
    }

    const LIMITS: Limits = Limits {
        line: 64,
        literal: 16,
        literals_per_response: 2,
    };

    #[test]
    fn reads_lines_and_literals() {
        crate::runtime::block_on(async {
            let mut wire = wire(b"* OK hi\r\n* 1 FETCH (UID 5 BODY[] {5}\r\nab\r\nc)\r\n", LIMITS);
            assert_eq!(wire.read().await.unwrap().first_line(), "* OK hi");
            let raw = wire.read().await.unwrap();
            assert_eq!(raw.pieces.len(), 3);
            assert!(matches!(&raw.pieces[1], Piece::Literal(bytes) if bytes == b"ab\r\nc"));
            assert!(matches!(&raw.pieces[2], Piece::Text(text) if text == b")"));
        });
    }

    #[test]
    fn bounds_lines_literals_and_silence() {
        crate::runtime::block_on(async {
            let long = wire(
                b"* OK 0123456789012345678901234567890123456789012345678901234567890123456789\r\n",
                LIMITS,
            );
            let error = { long }.read().await.unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidResponse, "{}", error.message);
            let big = wire(b"* 1 FETCH (BODY[] {17}\r\n", LIMITS);
            assert_eq!({ big }.read().await.unwrap_err().code, ErrorCode::InvalidResponse);
            let many = wire(b"* X {1}\r\na {1}\r\nb {1}\r\nc\r\n", LIMITS);
            assert_eq!({ many }.read().await.unwrap_err().code, ErrorCode::InvalidResponse);
            let mut silent = wire(b"* OK", LIMITS);
            silent.read_timeout = Duration::from_millis(200);
            assert_eq!(silent.read().await.unwrap_err().code, ErrorCode::Timeout);
        });
    }

    #[test]
    fn a_connection_closed_inside_a_literal_is_a_network_error() {
        crate::runtime::block_on(async {
            let (client, mut far) = tokio::io::duplex(1024);
            far.write_all(b"* 1 FETCH (BODY[] {10}\r\nabc").await.unwrap();
            drop(far);
            let mut wire = Wire::new(Box::pin(client), Duration::from_secs(2), LIMITS, "test:1".into());
            let error = wire.read().await.unwrap_err();
            assert_eq!(error.code, ErrorCode::Network);
            assert!(error.message.contains("inside a literal"), "{}", error.message);
        });
    }
}
