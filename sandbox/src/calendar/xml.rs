//! The XML of WebDAV/CalDAV: request bodies read into a small namespace-resolved tree (bounded
//! in depth and size), and the answers written the way Yandex writes them — `D:` for `DAV:`
//! elements, but `<href xmlns="DAV:">` and `<status xmlns="DAV:">` unprefixed, CalDAV and the
//! calendarserver and Apple extensions declared inline (docs/protocols-mail.md §4.3).

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use quick_xml::XmlVersion;

pub const DAV: &str = "DAV:";
pub const CALDAV: &str = "urn:ietf:params:xml:ns:caldav";
pub const CALSERVER: &str = "http://calendarserver.org/ns/";
pub const APPLE: &str = "http://apple.com/ns/ical/";
pub const CARDDAV: &str = "urn:ietf:params:xml:ns:carddav";

/// Request bodies larger than this are refused.
pub const MAX_BODY: usize = 1024 * 1024;
const MAX_DEPTH: usize = 32;
const MAX_ELEMENTS: usize = 10_000;

#[derive(Debug, Default, Clone)]
pub struct Element {
    pub ns: String,
    pub name: String,
    pub attributes: Vec<(String, String)>,
    pub children: Vec<Element>,
    pub text: String,
}

impl Element {
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    pub fn children_named<'a>(&'a self, ns: &'a str, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

fn predefined(entity: &str) -> Option<char> {
    Some(match entity {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

fn start(ns: ResolveResult<'_>, e: &quick_xml::events::BytesStart<'_>) -> Result<Element, String> {
    let ns = match ns {
        ResolveResult::Bound(ns) => String::from_utf8_lossy(ns.as_ref()).into_owned(),
        _ => String::new(),
    };
    let mut element = Element {
        ns,
        name: String::from_utf8_lossy(e.local_name().as_ref()).into_owned(),
        ..Element::default()
    };
    for attribute in e.attributes() {
        let attribute = attribute.map_err(|err| format!("bad attribute: {err}"))?;
        let value = attribute
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|err| format!("bad attribute value: {err}"))?;
        let name = String::from_utf8_lossy(attribute.key.local_name().as_ref()).into_owned();
        element.attributes.push((name, value.into_owned()));
    }
    Ok(element)
}

/// Parses a request body into its root element.
pub fn parse(body: &[u8]) -> Result<Element, String> {
    let text = std::str::from_utf8(body).map_err(|_| "the body is not UTF-8".to_string())?;
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut elements = 0usize;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|err| format!("malformed XML: {err}"))?;
        match event {
            Event::Start(e) | Event::Empty(e) if stack.len() >= MAX_DEPTH || elements >= MAX_ELEMENTS => {
                let _ = e;
                return Err("the XML is too deep or too large".into());
            }
            Event::Start(e) => {
                elements += 1;
                let element = start(ns, &e)?;
                stack.push(element);
            }
            Event::Empty(e) => {
                elements += 1;
                let element = start(ns, &e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or("unbalanced XML")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => return Ok(element),
                }
            }
            Event::Text(t) => {
                if let Some(current) = stack.last_mut() {
                    current
                        .text
                        .push_str(&t.decode().map_err(|err| format!("bad text: {err}"))?);
                }
            }
            Event::CData(t) => {
                if let Some(current) = stack.last_mut() {
                    current.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|err| format!("bad reference: {err}"))?;
                let resolved = r.resolve_char_ref().ok().flatten().or_else(|| predefined(&name));
                let resolved = resolved.ok_or_else(|| format!("unknown entity &{name};"))?;
                if let Some(current) = stack.last_mut() {
                    current.text.push(resolved);
                }
            }
            Event::Eof => return Err("the XML ends early".into()),
            _ => {}
        }
    }
}

/// Escapes text for an XML element or attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// An element name in the answer's namespace style.
pub fn open(ns: &str, name: &str) -> String {
    match ns {
        DAV => format!("<D:{name}>"),
        CALDAV => format!("<C:{name} xmlns:C=\"{CALDAV}\">"),
        other => format!("<{name} xmlns=\"{}\">", escape(other)),
    }
}

pub fn close(ns: &str, name: &str) -> String {
    match ns {
        DAV => format!("</D:{name}>"),
        CALDAV => format!("</C:{name}>"),
        _ => format!("</{name}>"),
    }
}

pub fn empty(ns: &str, name: &str) -> String {
    match ns {
        DAV => format!("<D:{name}/>"),
        CALDAV => format!("<C:{name} xmlns:C=\"{CALDAV}\"/>"),
        other => format!("<{name} xmlns=\"{}\"/>", escape(other)),
    }
}

/// `<ns:name>text</ns:name>`, the text escaped.
pub fn text_element(ns: &str, name: &str, text: &str) -> String {
    format!("{}{}{}", open(ns, name), escape(text), close(ns, name))
}

pub fn href(path: &str) -> String {
    format!("<href xmlns=\"DAV:\">{}</href>", escape(path))
}

pub fn status(code: u16, reason: &str) -> String {
    format!("<status xmlns=\"DAV:\">HTTP/1.1 {code} {reason}</status>")
}

/// A `<D:error>` body with one precondition element.
pub fn error_body(ns: &str, name: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:error xmlns:D=\"DAV:\">{}</D:error>",
        empty(ns, name)
    )
}

pub fn multistatus(responses: &[String], tail: &str) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<D:multistatus xmlns:D=\"DAV:\">");
    for response in responses {
        out.push_str(response);
    }
    out.push_str(tail);
    out.push_str("</D:multistatus>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_python_caldav_request() {
        let body = br#"<?xml version='1.0' encoding='utf-8'?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data/><D:getetag/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="20261129T000000Z" end="20270101T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>"#;
        let root = parse(body).unwrap();
        assert!(root.is(CALDAV, "calendar-query"));
        let prop = root.child(DAV, "prop").unwrap();
        assert!(prop.children[0].is(CALDAV, "calendar-data") && prop.children[1].is(DAV, "getetag"));
        let range = &root.child(CALDAV, "filter").unwrap().children[0].children[0].children[0];
        assert_eq!(range.attribute("start"), Some("20261129T000000Z"));
    }

    #[test]
    fn default_namespaces_entities_and_bad_input() {
        let root = parse(b"<propertyupdate xmlns=\"DAV:\"><set><prop><displayname>A &amp; B &#1041;</displayname></prop></set></propertyupdate>").unwrap();
        assert!(root.is(DAV, "propertyupdate"));
        assert_eq!(root.children[0].children[0].children[0].text, "A & B Б");
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"<a>").is_err());
        assert!(parse(b"<a>&unknown;</a>").is_err());
        let deep = format!("{}{}", "<a>".repeat(40), "</a>".repeat(40));
        assert!(parse(deep.as_bytes()).is_err());
    }
}
