//! IMAP response data as values (RFC 3501 §4, §9): atoms, strings (quoted or literal), NIL and
//! parenthesised lists; an atom keeps a `[…]` section with its spaces (`BODY[HEADER.FIELDS
//! (FROM)]`), as it is one name in a FETCH response.

use crate::error::{Error, ErrorCode, Result};
use crate::mail::wire::{Piece, Raw};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Atom(String),
    Str(Vec<u8>),
    Nil,
    List(Vec<Value>),
}

/// Lists nest at most this deep (BODYSTRUCTURE is never asked for).
const MAX_DEPTH: usize = 16;

impl Value {
    pub(crate) fn atom(&self) -> Option<&str> {
        match self {
            Value::Atom(atom) => Some(atom),
            _ => None,
        }
    }

    pub(crate) fn number(&self) -> Option<u64> {
        self.atom()?.parse().ok()
    }

    /// A string, an atom (IMAP servers send either for names) or NIL as empty.
    pub(crate) fn text(&self) -> Option<String> {
        match self {
            Value::Atom(atom) => Some(atom.clone()),
            Value::Str(bytes) => Some(String::from_utf8_lossy(bytes).into_owned()),
            Value::Nil => Some(String::new()),
            Value::List(_) => None,
        }
    }

    pub(crate) fn list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub(crate) fn into_bytes(self) -> Option<Vec<u8>> {
        match self {
            Value::Str(bytes) => Some(bytes),
            Value::Atom(atom) => Some(atom.into_bytes()),
            Value::Nil => Some(Vec::new()),
            Value::List(_) => None,
        }
    }
}

fn malformed(what: &str) -> Error {
    Error::new(
        ErrorCode::InvalidResponse,
        format!("an IMAP response the library cannot read: {what}"),
    )
}

/// The values of a response, after `skip` leading bytes of its first line (`* `).
pub(crate) fn values(raw: Raw, skip: usize) -> Result<Vec<Value>> {
    let mut parser = Parser {
        pieces: raw.pieces.into_iter(),
        text: Vec::new(),
        at: skip,
    };
    parser.next_piece()?;
    let mut values = Vec::new();
    while let Some(value) = parser.value(0)? {
        values.push(value);
    }
    Ok(values)
}

struct Parser {
    pieces: std::vec::IntoIter<Piece>,
    text: Vec<u8>,
    at: usize,
}

impl Parser {
    /// Moves on to the next text piece (the first, or the one after a literal).
    fn next_piece(&mut self) -> Result<()> {
        match self.pieces.next() {
            Some(Piece::Text(text)) => {
                self.text = text;
                Ok(())
            }
            _ => Err(malformed("a literal where text was expected")),
        }
    }

    fn skip_spaces(&mut self) {
        while self.text.get(self.at) == Some(&b' ') {
            self.at += 1;
        }
    }

    /// The next value; `None` at the end of the response or of a list (`)` is left for the
    /// caller).
    fn value(&mut self, depth: usize) -> Result<Option<Value>> {
        self.skip_spaces();
        let Some(&byte) = self.text.get(self.at) else {
            // The end of this text piece: a literal follows if there are more pieces.
            return match self.pieces.next() {
                None => Ok(None),
                Some(Piece::Literal(bytes)) => {
                    self.next_piece()?;
                    self.at = 0;
                    Ok(Some(Value::Str(bytes)))
                }
                Some(Piece::Text(_)) => Err(malformed("two text pieces in a row")),
            };
        };
        match byte {
            b')' => Ok(None),
            b'(' => {
                if depth >= MAX_DEPTH {
                    return Err(malformed("lists nested too deep"));
                }
                self.at += 1;
                let mut items = Vec::new();
                while let Some(item) = self.value(depth + 1)? {
                    items.push(item);
                }
                if self.text.get(self.at) != Some(&b')') {
                    return Err(malformed("a list without its `)`"));
                }
                self.at += 1;
                Ok(Some(Value::List(items)))
            }
            b'"' => self.quoted().map(Some),
            _ => Ok(Some(self.atom())),
        }
    }

    fn quoted(&mut self) -> Result<Value> {
        let mut bytes = Vec::new();
        self.at += 1;
        loop {
            match self.text.get(self.at) {
                None => return Err(malformed("a quoted string without its end")),
                Some(b'"') => {
                    self.at += 1;
                    return Ok(Value::Str(bytes));
                }
                Some(b'\\') => {
                    let escaped = *self.text.get(self.at + 1).ok_or_else(|| malformed("a lone `\\`"))?;
                    bytes.push(escaped);
                    self.at += 2;
                }
                Some(&other) => {
                    bytes.push(other);
                    self.at += 1;
                }
            }
        }
    }

    /// An atom up to a space or parenthesis; a `[` section runs to its `]`, spaces included.
    fn atom(&mut self) -> Value {
        let start = self.at;
        let mut in_section = false;
        while let Some(&byte) = self.text.get(self.at) {
            match byte {
                b'[' => in_section = true,
                b']' => in_section = false,
                b' ' | b'(' | b')' if !in_section => break,
                _ => {}
            }
            self.at += 1;
        }
        let atom = String::from_utf8_lossy(&self.text[start..self.at]).into_owned();
        if atom.eq_ignore_ascii_case("NIL") {
            Value::Nil
        } else {
            Value::Atom(atom)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pieces: Vec<Piece>) -> Raw {
        Raw { pieces }
    }

    #[test]
    fn parses_fetch_and_list_responses() {
        let fetch = raw(vec![
            Piece::Text(br#"* 1 FETCH (UID 101 FLAGS (\Seen) INTERNALDATE "02-Mar-2026 10:00:05 +0300" BODY[HEADER.FIELDS (FROM)] "#.to_vec()),
            Piece::Literal(b"From: a\r\n".to_vec()),
            Piece::Text(b" RFC822.SIZE 9)".to_vec()),
        ]);
        let values = values(fetch, 2).unwrap();
        assert_eq!(values[0], Value::Atom("1".into()));
        let items = values[2].list().unwrap();
        assert_eq!(items[0].atom(), Some("UID"));
        assert_eq!(items[3], Value::List(vec![Value::Atom("\\Seen".into())]));
        assert_eq!(items[5].text().unwrap(), "02-Mar-2026 10:00:05 +0300");
        assert_eq!(items[6].atom(), Some("BODY[HEADER.FIELDS (FROM)]"));
        assert_eq!(items[7], Value::Str(b"From: a\r\n".to_vec()));
        assert_eq!(items[9].number(), Some(9));
        let list = raw(vec![Piece::Text(
            br#"* LIST (\HasNoChildren) "|" "Reports \"2026\"""#.to_vec(),
        )]);
        let values = super::values(list, 2).unwrap();
        assert_eq!(values[2].text().unwrap(), "|");
        assert_eq!(values[3].text().unwrap(), "Reports \"2026\"");
        let nil = raw(vec![Piece::Text(b"* LIST () NIL INBOX".to_vec())]);
        assert_eq!(super::values(nil, 2).unwrap()[2], Value::Nil);
    }

    #[test]
    fn refuses_broken_responses() {
        for text in [
            &b"* X (a b"[..],
            b"* X \"open",
            b"* X ((((((((((((((((((a))))))))))))))))))",
        ] {
            assert!(
                values(raw(vec![Piece::Text(text.to_vec())]), 2).is_err(),
                "{}",
                String::from_utf8_lossy(text)
            );
        }
    }
}
