//! How the emulator writes IMAP data: mailbox names as Yandex sends them (an atom when it can,
//! quoted when the name holds `&` or `|`, a literal when it holds `"` or `\`,
//! docs/protocols-mail.md §2.4), strings, and the texts of tagged answers.

use super::super::mutf7;

fn plain_atom(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'.' | b'-' | b'_' | b'/' | b'+' | b'$' | b'#' | b'!' | b'~' | b':' | b'\'' | b'@'
        )
}

/// A mailbox name (decoded) as it goes on the wire.
pub fn mailbox(name: &str) -> Vec<u8> {
    let encoded = mutf7::encode(name);
    let bytes = encoded.as_bytes();
    if !bytes.is_empty() && bytes.iter().all(|&b| plain_atom(b)) {
        return bytes.to_vec();
    }
    string(bytes)
}

/// A string: quoted when it is short printable text without `"` and `\`, otherwise a literal.
pub fn string(bytes: &[u8]) -> Vec<u8> {
    let quotable = bytes.len() <= 1024
        && bytes
            .iter()
            .all(|&b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\');
    if quotable {
        let mut out = Vec::with_capacity(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        out
    } else {
        literal(bytes)
    }
}

/// `{N}` CRLF and the bytes.
pub fn literal(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("{{{}}}\r\n", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out
}

/// A string or NIL.
pub fn nstring(bytes: Option<&[u8]>) -> Vec<u8> {
    match bytes {
        Some(bytes) => string(bytes),
        None => b"NIL".to_vec(),
    }
}

/// `<COMMAND> Completed.`, the pattern of Yandex's tagged OKs (docs/protocols-mail.md §2.2).
pub fn completed(command: &str) -> String {
    format!("{command} Completed.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_atoms_quoted_or_literals_as_yandex_sends_them() {
        assert_eq!(mailbox("INBOX"), b"INBOX");
        assert_eq!(mailbox("Archives"), b"Archives");
        assert_eq!(mailbox("Archives|2017"), b"\"Archives|2017\"");
        assert_eq!(mailbox("Спам"), b"\"&BCEEPwQwBDw-\"");
        assert_eq!(mailbox("My Folder"), b"\"My Folder\"");
        assert_eq!(mailbox("Reports \"2026\""), b"{14}\r\nReports \"2026\"");
        assert_eq!(mailbox(""), b"\"\"");
    }
}
