//! ENVELOPE and BODYSTRUCTURE (RFC 3501 §7.4.2) computed from a message's bytes: header fields
//! unfolded, addresses split, MIME parts found by their boundaries (nesting bounded). Backups
//! should not depend on these at Yandex (docs/protocols-mail.md §2.7); mail clients ask for them.

use base64::Engine;

use super::fetch::header_length;
use super::respond::{nstring, string};

/// MIME nesting deeper than this is shown as an opaque part.
const MAX_DEPTH: usize = 8;
/// Parts of one multipart beyond this are left out.
const MAX_PARTS: usize = 100;

/// The fields of a header, unfolded, values trimmed (bytes as they are, encoded words and all).
pub fn fields(header: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut fields: Vec<(String, Vec<u8>)> = Vec::new();
    for line in header.split_inclusive(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            break;
        }
        if matches!(line[0], b' ' | b'\t') {
            if let Some((_, value)) = fields.last_mut() {
                value.push(b' ');
                value.extend_from_slice(line.trim_ascii());
            }
        } else if let Some(colon) = line.iter().position(|&b| b == b':') {
            let name = String::from_utf8_lossy(&line[..colon]).trim().to_ascii_lowercase();
            fields.push((name, line[colon + 1..].trim_ascii().to_vec()));
        }
    }
    fields
}

fn field<'a>(fields: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_slice())
}

/// A header value with its RFC 2047 encoded words (`=?UTF-8?B?…?=`, `?Q?`) decoded; other
/// charsets are taken as UTF-8, lossily.
pub fn decode_words(value: &[u8]) -> String {
    let text = String::from_utf8_lossy(value);
    let mut out = String::new();
    let mut rest: &str = &text;
    while let Some(start) = rest.find("=?") {
        let decoded = rest[start + 2..].splitn(3, '?').collect::<Vec<_>>();
        let (Some(encoding), Some(tail)) = (decoded.get(1), decoded.get(2)) else {
            break;
        };
        let Some(end) = tail.find("?=") else { break };
        let bytes = match encoding.to_ascii_uppercase().as_str() {
            "B" => base64::engine::general_purpose::STANDARD.decode(&tail[..end]).ok(),
            "Q" => Some(decode_q(&tail[..end])),
            _ => None,
        };
        let Some(bytes) = bytes else { break };
        let before = &rest[..start];
        if !before.trim().is_empty() || out.is_empty() {
            out.push_str(before);
        }
        out.push_str(&String::from_utf8_lossy(&bytes));
        rest = &tail[end + 2..];
    }
    out.push_str(rest);
    out
}

fn decode_q(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'_', _) => out.push(b' '),
            (b'=', Some(byte)) => {
                out.push(byte);
                i += 2;
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    out
}

/// Splits on commas that are outside quotes, angle brackets and comments.
fn split_addresses(value: &[u8]) -> Vec<&[u8]> {
    let (mut parts, mut start, mut quoted, mut depth) = (Vec::new(), 0, false, 0i32);
    for (i, &b) in value.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b'<' | b'(' if !quoted => depth += 1,
            b'>' | b')' if !quoted => depth -= 1,
            b',' if !quoted && depth <= 0 => {
                parts.push(&value[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&value[start..]);
    parts
        .into_iter()
        .map(<[u8]>::trim_ascii)
        .filter(|p| !p.is_empty())
        .collect()
}

/// `(name NIL mailbox host)` of one address.
fn address(text: &[u8]) -> Vec<u8> {
    let (name, spec) = match (
        text.iter().position(|&b| b == b'<'),
        text.iter().rposition(|&b| b == b'>'),
    ) {
        (Some(open), Some(close)) if open < close => {
            let name = text[..open].trim_ascii();
            let name = name
                .strip_prefix(b"\"")
                .and_then(|n| n.strip_suffix(b"\""))
                .unwrap_or(name);
            ((!name.is_empty()).then_some(name), &text[open + 1..close])
        }
        _ => (None, text),
    };
    let (mailbox, host) = match spec.iter().rposition(|&b| b == b'@') {
        Some(at) => (&spec[..at], Some(&spec[at + 1..])),
        None => (spec, None),
    };
    let mut out = b"(".to_vec();
    out.extend(nstring(name));
    out.extend_from_slice(b" NIL ");
    out.extend(string(mailbox));
    out.push(b' ');
    out.extend(nstring(host));
    out.push(b')');
    out
}

fn address_list(value: Option<&[u8]>) -> Vec<u8> {
    let parts = value.map(split_addresses).unwrap_or_default();
    if parts.is_empty() {
        return b"NIL".to_vec();
    }
    let mut out = b"(".to_vec();
    for part in parts.iter().take(MAX_PARTS) {
        out.extend(address(part));
    }
    out.push(b')');
    out
}

/// `(date subject from sender reply-to to cc bcc in-reply-to message-id)`.
pub fn envelope(header: &[u8]) -> Vec<u8> {
    let fields = fields(header);
    let get = |name: &str| field(&fields, name);
    let from = get("from");
    let mut items = vec![nstring(get("date")), nstring(get("subject")), address_list(from)];
    items.push(address_list(get("sender").or(from)));
    items.push(address_list(get("reply-to").or(from)));
    for name in ["to", "cc", "bcc"] {
        items.push(address_list(get(name)));
    }
    items.push(nstring(get("in-reply-to")));
    items.push(nstring(get("message-id")));
    let mut out = b"(".to_vec();
    out.extend(items.join(&b' '));
    out.push(b')');
    out
}

/// A `Content-Type`-like value: the lower-cased value and its parameters.
fn parameters(value: &[u8]) -> (String, Vec<(String, String)>) {
    let text = String::from_utf8_lossy(value);
    let mut pieces = text.split(';');
    let main = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
    let params = pieces
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().trim_matches('"').to_string()))
        .take(MAX_PARTS)
        .collect();
    (main, params)
}

fn parameter_list(params: &[(String, String)]) -> Vec<u8> {
    if params.is_empty() {
        return b"NIL".to_vec();
    }
    let items: Vec<Vec<u8>> = params
        .iter()
        .flat_map(|(k, v)| [string(k.to_ascii_uppercase().as_bytes()), string(v.as_bytes())])
        .collect();
    [b"(".to_vec(), items.join(&b' '), b")".to_vec()].concat()
}

fn disposition(fields: &[(String, Vec<u8>)]) -> Vec<u8> {
    match field(fields, "content-disposition") {
        None => b"NIL".to_vec(),
        Some(value) => {
            let (kind, params) = parameters(value);
            [
                b"(".to_vec(),
                string(kind.to_ascii_uppercase().as_bytes()),
                b" ".to_vec(),
                parameter_list(&params),
                b")".to_vec(),
            ]
            .concat()
        }
    }
}

/// The parts between `--boundary` lines.
fn split_parts<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut offset = 0;
    for line in body.split_inclusive(|&b| b == b'\n') {
        let content = line.trim_ascii_end();
        if content.starts_with(delimiter.as_bytes()) {
            if let Some(begin) = start {
                // The CRLF before a delimiter belongs to the delimiter.
                let end = offset - if body[..offset].ends_with(b"\r\n") { 2 } else { 1 };
                parts.push(&body[begin..end.max(begin)]);
            }
            if content[delimiter.len()..].starts_with(b"--") || parts.len() >= MAX_PARTS {
                return parts;
            }
            start = Some(offset + line.len());
        }
        offset += line.len();
    }
    parts
}

/// BODYSTRUCTURE (`extensible`) or BODY of a message or part.
pub fn body_structure(bytes: &[u8], extensible: bool) -> Vec<u8> {
    structure(bytes, extensible, 0)
}

fn structure(bytes: &[u8], extensible: bool, depth: usize) -> Vec<u8> {
    let header_end = header_length(bytes);
    let fields = fields(&bytes[..header_end]);
    let body = &bytes[header_end..];
    let (content_type, params) = field(&fields, "content-type")
        .map(parameters)
        .unwrap_or_else(|| ("text/plain".into(), vec![("charset".into(), "us-ascii".into())]));
    let (kind, subtype) = content_type.split_once('/').unwrap_or(("text", "plain"));
    let boundary = params.iter().find(|(k, _)| k == "boundary").map(|(_, v)| v.clone());
    if let (true, Some(boundary)) = (kind == "multipart" && depth < MAX_DEPTH, boundary) {
        let mut out = b"(".to_vec();
        for part in split_parts(body, &boundary) {
            out.extend(structure(part, extensible, depth + 1));
        }
        out.push(b' ');
        out.extend(string(subtype.to_ascii_uppercase().as_bytes()));
        if extensible {
            out.push(b' ');
            out.extend(parameter_list(&params));
            out.push(b' ');
            out.extend(disposition(&fields));
            out.extend_from_slice(b" NIL NIL");
        }
        out.push(b')');
        return out;
    }
    single_part(kind, subtype, &params, &fields, body, extensible)
}

fn single_part(
    kind: &str,
    subtype: &str,
    params: &[(String, String)],
    fields: &[(String, Vec<u8>)],
    body: &[u8],
    extensible: bool,
) -> Vec<u8> {
    let encoding =
        field(fields, "content-transfer-encoding").map_or_else(|| b"7BIT".to_vec(), |e| e.to_ascii_uppercase());
    let newlines = body.iter().filter(|&&b| b == b'\n').count();
    let lines = newlines + usize::from(!body.is_empty() && !body.ends_with(b"\n"));
    let mut items = vec![
        string(kind.to_ascii_uppercase().as_bytes()),
        string(subtype.to_ascii_uppercase().as_bytes()),
        parameter_list(params),
        nstring(field(fields, "content-id")),
        nstring(field(fields, "content-description")),
        string(&encoding),
        body.len().to_string().into_bytes(),
    ];
    if kind == "text" {
        items.push(lines.to_string().into_bytes());
    }
    if extensible {
        items.extend([b"NIL".to_vec(), disposition(fields), b"NIL".to_vec(), b"NIL".to_vec()]);
    }
    [b"(".to_vec(), items.join(&b' '), b")".to_vec()].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoded_words_are_decoded() {
        assert_eq!(decode_words(b"=?UTF-8?B?0JjQstCw0L0=?= <ivan@x>"), "Иван <ivan@x>");
        assert_eq!(
            decode_words(b"=?utf-8?q?caf=C3=A9_au_lait?= =?UTF-8?B?0JA=?="),
            "café au laitА"
        );
        assert_eq!(decode_words(b"plain =?bad"), "plain =?bad");
        assert_eq!(decode_words(b"a=?UTF-8?Q?=4?="), "a=4");
    }

    #[test]
    fn envelope_of_a_plain_message() {
        let header = b"From: =?UTF-8?B?0JjQstCw0L0=?= <ivan@sandbox-org.ru>\r\nTo: a@b.ru, \"C, D\" <c@d.ru>\r\nSubject: Hi\r\n there\r\nMessage-ID: <1@x>\r\n\r\n";
        let envelope = String::from_utf8(envelope(header)).unwrap();
        assert_eq!(
            envelope,
            "(NIL \"Hi there\" ((\"=?UTF-8?B?0JjQstCw0L0=?=\" NIL \"ivan\" \"sandbox-org.ru\")) \
             ((\"=?UTF-8?B?0JjQstCw0L0=?=\" NIL \"ivan\" \"sandbox-org.ru\")) \
             ((\"=?UTF-8?B?0JjQstCw0L0=?=\" NIL \"ivan\" \"sandbox-org.ru\")) \
             ((NIL NIL \"a\" \"b.ru\")(\"C, D\" NIL \"c\" \"d.ru\")) NIL NIL NIL \"<1@x>\")"
        );
    }

    #[test]
    fn structure_of_multipart_mixed() {
        let message = b"Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n--b1\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b1--\r\n";
        let structure = String::from_utf8(body_structure(message, true)).unwrap();
        assert_eq!(
            structure,
            "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 5 1 NIL NIL NIL NIL)\
             (\"APPLICATION\" \"PDF\" (\"NAME\" \"r.pdf\") NIL NIL \"BASE64\" 8 NIL (\"ATTACHMENT\" (\"FILENAME\" \"r.pdf\")) NIL NIL) \
             \"MIXED\" (\"BOUNDARY\" \"b1\") NIL NIL NIL)"
        );
        let plain = String::from_utf8(body_structure(b"Subject: x\r\n\r\nline\r\n", false)).unwrap();
        assert_eq!(
            plain,
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 6 1)"
        );
    }
}
