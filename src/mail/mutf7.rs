//! Modified UTF-7 (RFC 3501 §5.1.3), the encoding of IMAP folder names: printable ASCII stands
//! for itself except `&`, written `&-`; anything else is `&` + base64 of UTF-16 with `,` for `/`
//! + `-`.

use base64::alphabet::Alphabet;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
use base64::Engine;

fn engine() -> GeneralPurpose {
    // The IMAP alphabet: standard base64 with `,` for `/`, no padding.
    let alphabet =
        Alphabet::new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,").expect("a valid alphabet");
    let config = GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent);
    GeneralPurpose::new(&alphabet, config)
}

pub(crate) fn encode(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|unit| unit.to_be_bytes()).collect();
        out.push('&');
        out.push_str(&engine().encode(bytes));
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            match c {
                '&' => out.push_str("&-"),
                _ => out.push(c),
            }
        } else {
            pending.extend(c.encode_utf16(&mut [0; 2]).iter());
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Decodes a name; `None` when it is not valid modified UTF-7 (the caller shows it as it came).
pub(crate) fn decode(name: &str) -> Option<String> {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let end = after.find('-')?;
        if end == 0 {
            out.push('&');
        } else {
            let bytes = engine().decode(&after[..end]).ok()?;
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = bytes
                .chunks(2)
                .map(|pair| u16::from_be_bytes([pair[0], pair[1]]))
                .collect();
            out.push_str(&String::from_utf16(&units).ok()?);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_yandex_folder_names() {
        // Names as Yandex lists them (docs/protocols-mail.md §2.4).
        for (plain, encoded) in [
            ("Отправленные", "&BB4EQgQ,BEAEMAQyBDsENQQ9BD0ESwQ1-"),
            ("Спам", "&BCEEPwQwBDw-"),
            ("INBOX", "INBOX"),
            ("Archives|2017", "Archives|2017"),
            ("Tom & Jerry", "Tom &- Jerry"),
            ("Отчёты \"2026\"", "&BB4EQgRHBFEEQgRL- \"2026\""),
        ] {
            assert_eq!(encode(plain), encoded, "{plain}");
            assert_eq!(decode(encoded).as_deref(), Some(plain), "{encoded}");
        }
        assert_eq!(decode("&BB4"), None);
        assert_eq!(decode("&$$$-"), None);
    }
}
