//! The XML of WebDAV answers, read into a small namespace-resolved tree, and the few request
//! bodies the calendar sends. Bounded against hostile answers: the body is capped by the
//! request (`Request::max_body`), the tree by depth and element count; a DOCTYPE is refused, so
//! no entity is ever defined, and only the five predefined entities and character references
//! are expanded (no billion laughs, no external entities).

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use quick_xml::XmlVersion;

pub(super) const DAV: &str = "DAV:";
pub(super) const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
pub(super) const APPLE: &str = "http://apple.com/ns/ical/";

/// Deeper than any multistatus (multistatus/response/propstat/prop/property/href is six).
const MAX_DEPTH: usize = 32;
/// A hundred calendars or thousands of events, each a dozen elements.
const MAX_ELEMENTS: usize = 200_000;

#[derive(Debug, Default)]
pub(super) struct Element {
    pub ns: String,
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub(super) fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    pub(super) fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    pub(super) fn children_named<'a>(&'a self, ns: &'a str, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    pub(super) fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The text of a `DAV:href` child, trimmed.
    pub(super) fn href(&self) -> Option<&str> {
        self.child(DAV, "href").map(|h| h.text.trim())
    }
}

fn element(ns: ResolveResult<'_>, start: &BytesStart<'_>) -> Result<Element, String> {
    let ns = match ns {
        ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
        _ => String::new(),
    };
    let mut element = Element {
        ns,
        name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
        ..Element::default()
    };
    for attribute in start.attributes() {
        let attribute = attribute.map_err(|e| format!("a broken attribute: {e}"))?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|e| format!("a broken attribute value: {e}"))?;
        let name = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        element.attributes.push((name, value.into_owned()));
    }
    Ok(element)
}

fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// Parses a document into its root element; the error says what is wrong, for a message.
pub(super) fn parse(body: &[u8]) -> Result<Element, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the XML is not UTF-8".to_string())?;
    let mut reader = NsReader::from_str(text);
    let mut open: Vec<Element> = Vec::new();
    let mut elements = 0usize;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| format!("malformed XML: {e}"))?;
        let finished = match event {
            Event::Start(ref start) | Event::Empty(ref start) => {
                elements += 1;
                if open.len() >= MAX_DEPTH || elements > MAX_ELEMENTS {
                    return Err(format!(
                        "the XML is nested deeper than {MAX_DEPTH} or holds more than {MAX_ELEMENTS} elements"
                    ));
                }
                let new = element(ns, start)?;
                if matches!(event, Event::Start(_)) {
                    open.push(new);
                    None
                } else {
                    Some(new)
                }
            }
            Event::End(_) => Some(open.pop().ok_or("the XML closes an element it never opened")?),
            Event::Text(text) => {
                let text = text.decode().map_err(|e| format!("broken XML text: {e}"))?;
                if let Some(current) = open.last_mut() {
                    current.text.push_str(&text);
                }
                None
            }
            Event::CData(data) => {
                if let Some(current) = open.last_mut() {
                    current.text.push_str(&String::from_utf8_lossy(&data));
                }
                None
            }
            Event::GeneralRef(reference) => {
                let name = reference.decode().map_err(|e| format!("a broken reference: {e}"))?;
                let resolved = reference
                    .resolve_char_ref()
                    .ok()
                    .flatten()
                    .or_else(|| predefined_entity(&name));
                let resolved = resolved.ok_or_else(|| format!("the XML uses an undefined entity &{name};"))?;
                if let Some(current) = open.last_mut() {
                    current.text.push(resolved);
                }
                None
            }
            Event::DocType(_) => return Err("the XML has a DOCTYPE, which WebDAV answers never need".into()),
            Event::Eof => return Err("the XML ends before its root element closes".into()),
            _ => None,
        };
        if let Some(done) = finished {
            match open.last_mut() {
                Some(parent) => parent.children.push(done),
                None => return Ok(done),
            }
        }
    }
}

/// Text for an XML element or attribute value.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_resolve_whatever_the_prefix() {
        let root = parse(
            br#"<?xml version="1.0"?><D:multistatus xmlns:D="DAV:"><D:response><href xmlns="DAV:">/a%40b/</href><D:propstat><D:prop><getctag xmlns="http://calendarserver.org/ns/">1</getctag><D:displayname>A &amp; B &#1071;</D:displayname></D:prop></D:propstat></D:response></D:multistatus>"#,
        )
        .unwrap();
        assert!(root.is(DAV, "multistatus"));
        let response = root.child(DAV, "response").unwrap();
        assert_eq!(response.href(), Some("/a%40b/"));
        let prop = response.child(DAV, "propstat").unwrap().child(DAV, "prop").unwrap();
        assert_eq!(prop.child(DAV, "displayname").unwrap().text, "A & B Я");
    }

    #[test]
    fn hostile_documents_are_refused() {
        let laughs = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><D:multistatus xmlns:D="DAV:">&lol2;</D:multistatus>"#;
        assert!(parse(laughs).unwrap_err().contains("DOCTYPE"));
        let undefined = br#"<D:multistatus xmlns:D="DAV:">&xxe;</D:multistatus>"#;
        assert!(parse(undefined).unwrap_err().contains("undefined entity"));
        let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
        assert!(parse(deep.as_bytes()).unwrap_err().contains("deeper"));
        let wide = format!("<a>{}</a>", "<b/>".repeat(MAX_ELEMENTS + 1));
        assert!(parse(wide.as_bytes()).unwrap_err().contains("more than"));
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"<a>").is_err());
        assert!(parse(b"\xff\xfe").is_err());
    }

    #[test]
    fn escaping() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
    }
}
