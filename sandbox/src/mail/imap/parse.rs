//! The IMAP command grammar the emulator takes (RFC 3501 §9): atoms, quoted strings, literals
//! (already read in by the session, `{N}` CRLF then N bytes), parenthesised lists, numbers and
//! sequence sets. A parse error becomes the text of a tagged BAD.

pub type Parsed<T> = Result<T, String>;

/// Bytes that end an atom (`atom-specials` of RFC 3501 §9, without `]`, which `astring` allows).
fn atom_special(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'{' | b' ' | b'%' | b'*' | b'"' | b'\\') || !(0x20..0x7f).contains(&b)
}

pub struct Parser<'a> {
    input: &'a [u8],
    pos: usize,
}

impl<'a> Parser<'a> {
    pub fn new(input: &'a [u8]) -> Parser<'a> {
        Parser { input, pos: 0 }
    }

    pub fn position(&self) -> usize {
        self.pos
    }

    pub fn rewind(&mut self, position: usize) {
        self.pos = position.min(self.input.len());
    }

    pub fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    pub fn is_end(&self) -> bool {
        self.pos >= self.input.len()
    }

    pub fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, byte: u8) -> Parsed<()> {
        if self.eat(byte) {
            Ok(())
        } else {
            Err(format!("Expected '{}'", byte as char))
        }
    }

    pub fn space(&mut self) -> Parsed<()> {
        self.expect(b' ')
    }

    pub fn end(&self) -> Parsed<()> {
        if self.is_end() {
            Ok(())
        } else {
            Err("Unexpected extra arguments".into())
        }
    }

    /// The bytes while `f` holds (maybe none).
    pub fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        &self.input[start..self.pos]
    }

    /// An atom; `]` is allowed (as in `astring` and in fetch attributes' section text).
    pub fn atom(&mut self) -> Parsed<&'a str> {
        let bytes = self.take_while(|b| !atom_special(b));
        if bytes.is_empty() {
            return Err("Expected an atom".into());
        }
        std::str::from_utf8(bytes).map_err(|_| "Invalid atom".to_string())
    }

    /// An atom, upper-cased (command names, keywords).
    pub fn keyword(&mut self) -> Parsed<String> {
        Ok(self.atom()?.to_ascii_uppercase())
    }

    pub fn quoted(&mut self) -> Parsed<Vec<u8>> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\r') | Some(b'\n') => return Err("Unterminated quoted string".into()),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(b @ (b'"' | b'\\')) => out.push(b),
                        _ => return Err("Invalid escape in quoted string".into()),
                    }
                    self.pos += 1;
                }
                Some(b) => {
                    out.push(b);
                    self.pos += 1;
                }
            }
        }
    }

    /// `{N}` or `{N+}`, CRLF, then N bytes (the session has read them into the command).
    pub fn literal(&mut self) -> Parsed<&'a [u8]> {
        self.expect(b'{')?;
        let length = self.number64()? as usize;
        self.eat(b'+');
        self.expect(b'}')?;
        if !self.input[self.pos..].starts_with(b"\r\n") {
            return Err("Expected CRLF after a literal's length".into());
        }
        self.pos += 2;
        let end = self.pos.checked_add(length).filter(|end| *end <= self.input.len());
        let end = end.ok_or("Literal shorter than announced")?;
        let bytes = &self.input[self.pos..end];
        self.pos = end;
        Ok(bytes)
    }

    pub fn string(&mut self) -> Parsed<Vec<u8>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => Ok(self.literal()?.to_vec()),
            _ => Err("Expected a string".into()),
        }
    }

    /// An atom (with `]`), a quoted string or a literal.
    pub fn astring(&mut self) -> Parsed<Vec<u8>> {
        match self.peek() {
            Some(b'"') | Some(b'{') => self.string(),
            _ => Ok(self.take_astring_atom()?.to_vec()),
        }
    }

    fn take_astring_atom(&mut self) -> Parsed<&'a [u8]> {
        let bytes = self.take_while(|b| !atom_special(b));
        if bytes.is_empty() {
            Err("Expected a string".into())
        } else {
            Ok(bytes)
        }
    }

    /// A LIST pattern: an atom that may hold `%` and `*`, or a string.
    pub fn list_mailbox(&mut self) -> Parsed<Vec<u8>> {
        match self.peek() {
            Some(b'"') | Some(b'{') => self.string(),
            _ => {
                let bytes = self.take_while(|b| b == b'%' || b == b'*' || !atom_special(b));
                if bytes.is_empty() {
                    Err("Expected a mailbox pattern".into())
                } else {
                    Ok(bytes.to_vec())
                }
            }
        }
    }

    pub fn number64(&mut self) -> Parsed<u64> {
        let digits = self.take_while(|b| b.is_ascii_digit());
        if digits.is_empty() || digits.len() > 19 {
            return Err("Expected a number".into());
        }
        std::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| "Expected a number".to_string())
    }

    pub fn number(&mut self) -> Parsed<u32> {
        u32::try_from(self.number64()?).map_err(|_| "Number out of range".to_string())
    }

    /// A non-zero number or `*`.
    fn bound(&mut self) -> Parsed<Bound> {
        if self.eat(b'*') {
            return Ok(Bound::Star);
        }
        match self.number()? {
            0 => Err("Invalid sequence number 0".into()),
            n => Ok(Bound::Number(n)),
        }
    }

    pub fn sequence_set(&mut self) -> Parsed<SequenceSet> {
        let mut ranges = Vec::new();
        loop {
            let first = self.bound()?;
            let last = if self.eat(b':') { self.bound()? } else { first };
            ranges.push((first, last));
            if ranges.len() > 10_000 {
                return Err("Sequence set too long".into());
            }
            if !self.eat(b',') {
                return Ok(SequenceSet { ranges });
            }
        }
    }

    /// `(flag flag …)`, or one flag without parentheses (as STORE allows).
    pub fn flags(&mut self) -> Parsed<Vec<String>> {
        let parenthesised = self.eat(b'(');
        let mut flags = Vec::new();
        loop {
            if parenthesised && self.eat(b')') {
                return Ok(flags);
            }
            if !flags.is_empty() {
                self.space()?;
            }
            let backslash = self.eat(b'\\');
            let name = self.atom()?;
            flags.push(if backslash {
                format!("\\{name}")
            } else {
                name.to_string()
            });
            if flags.len() > 64 {
                return Err("Too many flags".into());
            }
            if !parenthesised {
                return Ok(flags);
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bound {
    Number(u32),
    Star,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SequenceSet {
    ranges: Vec<(Bound, Bound)>,
}

impl SequenceSet {
    /// Whether `value` is in the set, `*` standing for `largest` (the highest UID, or the number
    /// of messages). `n:*` is the range between n and the largest whichever is lower, so it
    /// always holds the largest (RFC 3501 §6.4.8, docs/protocols-mail.md §2.6).
    pub fn contains(&self, value: u32, largest: u32) -> bool {
        let resolve = |b: Bound| match b {
            Bound::Number(n) => n,
            Bound::Star => largest,
        };
        self.ranges.iter().any(|(a, b)| {
            let (a, b) = (resolve(*a), resolve(*b));
            (a.min(b)..=a.max(b)).contains(&value)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_in_all_three_forms() {
        let mut p = Parser::new(b"INBOX \"a \\\"b\\\\\" {5}\r\nhello ]x");
        assert_eq!(p.astring().unwrap(), b"INBOX");
        p.space().unwrap();
        assert_eq!(p.astring().unwrap(), b"a \"b\\");
        p.space().unwrap();
        assert_eq!(p.astring().unwrap(), b"hello");
        p.space().unwrap();
        assert_eq!(p.astring().unwrap(), b"]x");
        p.end().unwrap();
        assert!(Parser::new(b"{9}\r\nshort").literal().is_err());
        assert!(Parser::new(b"\"open").quoted().is_err());
        assert_eq!(Parser::new(b"{3+}\r\nabc").literal().unwrap(), b"abc");
    }

    #[test]
    fn sequence_sets_follow_the_star_rule() {
        let set = Parser::new(b"104:*").sequence_set().unwrap();
        assert!(set.contains(103, 103), "n:* holds the highest UID even below n");
        assert!(!set.contains(102, 103));
        let set = Parser::new(b"1:3,7,9:*").sequence_set().unwrap();
        assert!(set.contains(2, 20) && set.contains(7, 20) && set.contains(20, 20));
        assert!(!set.contains(5, 20) && !set.contains(8, 20));
        assert!(Parser::new(b"0:4").sequence_set().is_err());
        assert!(Parser::new(b"x").sequence_set().is_err());
    }

    #[test]
    fn flags_with_and_without_parentheses() {
        assert_eq!(
            Parser::new(b"(\\Seen $Forwarded)").flags().unwrap(),
            ["\\Seen", "$Forwarded"]
        );
        assert_eq!(Parser::new(b"\\Deleted").flags().unwrap(), ["\\Deleted"]);
        assert!(Parser::new(b"()").flags().unwrap().is_empty());
    }
}
