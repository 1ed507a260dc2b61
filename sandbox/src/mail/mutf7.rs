//! Modified UTF-7 of IMAP mailbox names (RFC 3501 §5.1.3): printable ASCII stands for itself
//! (`&` as `&-`), everything else is UTF-16BE in base64 with `,` for `/`, between `&` and `-`.
//! Yandex sends Russian folder names this way (docs/protocols-mail.md §2.4).

use base64::alphabet::Alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;

fn engine() -> GeneralPurpose {
    let alphabet = Alphabet::new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,")
        .expect("the modified base64 alphabet is valid");
    GeneralPurpose::new(
        &alphabet,
        GeneralPurposeConfig::new()
            .with_encode_padding(false)
            .with_decode_padding_mode(DecodePaddingMode::RequireNone)
            .with_decode_allow_trailing_bits(false),
    )
}

fn is_direct(c: char) -> bool {
    (' '..='~').contains(&c) && c != '&'
}

pub fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&engine().encode(bytes));
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if is_direct(c) {
            flush(&mut pending, &mut out);
            out.push(c);
        } else if c == '&' {
            flush(&mut pending, &mut out);
            out.push_str("&-");
        } else {
            let mut units = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// The name a client sent, or None when it is not valid modified UTF-7 (a raw non-ASCII byte,
/// an unterminated or badly padded shift, or an encoded run of plain ASCII).
pub fn decode(encoded: &[u8]) -> Option<String> {
    let mut out = String::with_capacity(encoded.len());
    let mut rest = encoded;
    while let Some((&first, tail)) = rest.split_first() {
        if first != b'&' {
            if !(0x20..=0x7e).contains(&first) {
                return None;
            }
            out.push(first as char);
            rest = tail;
            continue;
        }
        let end = tail.iter().position(|&b| b == b'-')?;
        if end == 0 {
            out.push('&');
        } else {
            out.push_str(&decode_run(&tail[..end])?);
        }
        rest = &tail[end + 1..];
    }
    Some(out)
}

fn decode_run(run: &[u8]) -> Option<String> {
    let bytes = engine().decode(run).ok()?;
    if bytes.len() % 2 != 0 {
        return None;
    }
    let units: Vec<u16> = bytes.chunks(2).map(|p| u16::from_be_bytes([p[0], p[1]])).collect();
    let text = String::from_utf16(&units).ok()?;
    // A shift must hold characters that could not stand for themselves.
    text.chars().all(|c| !is_direct(c)).then_some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yandex_russian_folder_names() {
        // The names of a real Russian mailbox's LIST (docs/protocols-mail.md §2.4).
        let pairs = [
            ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
            ("Исходящие", "&BBgEQQRFBD4ENARPBEkEOAQ1-"),
            ("Спам", "&BCEEPwQwBDw-"),
            ("Удаленные", "&BCMENAQwBDsENQQ9BD0ESwQ1-"),
            ("Черновики", "&BCcENQRABD0EPgQyBDgEOgQ4-"),
        ];
        for (name, encoded) in pairs {
            assert_eq!(encode(name), encoded);
            assert_eq!(decode(encoded.as_bytes()).as_deref(), Some(name));
        }
    }

    #[test]
    fn rfc_3501_example_and_ampersands() {
        assert_eq!(encode("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        assert_eq!(
            decode(b"~peter/mail/&U,BTFw-/&ZeVnLIqe-").as_deref(),
            Some("~peter/mail/台北/日本語")
        );
        assert_eq!(encode("A&B"), "A&-B");
        assert_eq!(decode(b"A&-B").as_deref(), Some("A&B"));
        assert_eq!(encode("Архив|2017 😀"), "&BBAEQARFBDgEMg-|2017 &2D3eAA-");
        assert_eq!(
            decode(encode("Архив|2017 😀").as_bytes()).as_deref(),
            Some("Архив|2017 😀")
        );
    }

    #[test]
    fn invalid_names_are_refused() {
        assert_eq!(decode("Спам".as_bytes()), None);
        assert_eq!(decode(b"&BCEEPwQwBDw"), None);
        assert_eq!(decode(b"&AGEAYgBj-"), None);
        assert_eq!(decode(b"&BCE-").as_deref(), Some("С"));
        assert_eq!(decode(b"&BC-"), None);
    }
}
