//! The reading core: bytes → checked text → a small namespaced element tree. Limits are
//! checked before and while parsing; a DTD is refused outright, so no entity is ever declared,
//! fetched or expanded (only XML's five predefined entities and character references exist).

use std::borrow::Cow;

use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::error::KithError;

/// Limits applied before and while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadLimits {
    /// Largest document in bytes (checked before parsing).
    pub max_bytes: usize,
    /// Deepest nesting.
    pub max_depth: usize,
    /// Most elements.
    pub max_elements: usize,
}

impl ReadLimits {
    /// What arrives on the inbound queue: SQS's largest message (1 MiB).
    pub const INBOUND: Self = Self { max_bytes: 1024 * 1024, max_depth: 48, max_elements: 20_000 };
    /// A document with attachments (12,000,000 decoded bytes are 16,000,000 in base64, R-OUT-4).
    pub const WITH_ATTACHMENTS: Self = Self { max_bytes: 17 * 1024 * 1024, max_depth: 48, max_elements: 20_000 };
}

/// One element: namespace URI (empty when none), local name, unprefixed attributes, children
/// and its own text (entities resolved).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Element {
    /// Namespace URI.
    pub ns: String,
    /// Local name.
    pub name: String,
    /// Unprefixed attributes (`V`, `DN`, `S`, …).
    pub attrs: Vec<(String, String)>,
    /// Child elements, in order.
    pub children: Vec<Element>,
    /// The element's own text.
    pub text: String,
}

crate::domain::masked::masked_debug!(Element { ns, name, children } masking { attrs, text });

impl Element {
    /// Whether this is `{ns}name`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        self.ns == ns && self.name == name
    }

    /// The first child `{ns}name`.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.is(ns, name))
    }

    /// Every child `{ns}name`.
    pub fn children<'a>(&'a self, ns: &'a str, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.is(ns, name))
    }

    /// An unprefixed attribute.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The trimmed text of child `{ns}name`, when present and not empty.
    pub fn child_text(&self, ns: &str, name: &str) -> Option<String> {
        self.child(ns, name).map(|c| c.text.trim().to_string()).filter(|t| !t.is_empty())
    }

    /// `V` of child `{ns}name`.
    pub fn child_v(&self, ns: &str, name: &str) -> Option<String> {
        self.child(ns, name).and_then(|c| c.attr("V")).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
    }

    /// All text of this element and its descendants (mixed content such as XHTML in `Sporsmal`).
    pub fn deep_text(&self) -> String {
        let mut out = self.text.clone();
        for c in &self.children {
            out.push_str(&c.deep_text());
        }
        out
    }
}

/// Checks size, strips a UTF-8 BOM and yields UTF-8 text: UTF-8 as is, a declared ISO-8859-1
/// (or Latin-1) transcoded; anything else refused.
pub fn decode(bytes: &[u8], limits: ReadLimits) -> Result<Cow<'_, str>, KithError> {
    if bytes.len() > limits.max_bytes {
        return Err(KithError::TooLarge { limit: limits.max_bytes });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if bytes.starts_with(b"\xFE\xFF") || bytes.starts_with(b"\xFF\xFE") || bytes.first() == Some(&0) {
        return Err(KithError::Encoding);
    }
    match declared_encoding(bytes).as_deref() {
        None | Some("utf-8") | Some("utf8") | Some("us-ascii") => {
            std::str::from_utf8(bytes).map(Cow::Borrowed).map_err(|_| KithError::Encoding)
        }
        Some("iso-8859-1") | Some("latin1") | Some("latin-1") | Some("iso_8859-1") => {
            Ok(Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()))
        }
        Some(_) => Err(KithError::Encoding),
    }
}

/// The `encoding` of the XML declaration, lower-cased, when there is one.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = bytes.strip_prefix(b"<?xml")?;
    let end = head.iter().position(|&b| b == b'>')?.min(200);
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")? + "encoding".len();
    let rest = decl[at..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_ascii_lowercase())
}

/// Parses a whole document into its root element.
pub fn parse(bytes: &[u8], limits: ReadLimits) -> Result<Element, KithError> {
    let text = decode(bytes, limits)?;
    parse_str(&text, limits)
}

/// Parses text (already decoded) into its root element.
pub fn parse_str(text: &str, limits: ReadLimits) -> Result<Element, KithError> {
    if text.len() > limits.max_bytes {
        return Err(KithError::TooLarge { limit: limits.max_bytes });
    }
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    loop {
        let (resolved, event) = reader.read_resolved_event().map_err(|_| KithError::Malformed)?;
        match event {
            Event::DocType(_) => return Err(KithError::Dtd),
            Event::Start(ref e) | Event::Empty(ref e) => {
                if root.is_some() {
                    return Err(KithError::Malformed);
                }
                count += 1;
                if count > limits.max_elements || stack.len() >= limits.max_depth {
                    return Err(KithError::TooComplex);
                }
                let ns = match resolved {
                    ResolveResult::Bound(ns) => std::str::from_utf8(ns.0).map_err(|_| KithError::Malformed)?.to_string(),
                    ResolveResult::Unbound => String::new(),
                    ResolveResult::Unknown(_) => return Err(KithError::Malformed),
                };
                let name = std::str::from_utf8(e.local_name().as_ref()).map_err(|_| KithError::Malformed)?.to_string();
                let mut attrs = Vec::new();
                for a in e.attributes() {
                    let a = a.map_err(|_| KithError::Malformed)?;
                    let key = a.key;
                    if key.as_namespace_binding().is_some() {
                        continue;
                    }
                    let (ans, local) = reader.resolve_attribute(key);
                    let value = a.unescape_value().map_err(|_| KithError::Malformed)?;
                    if matches!(ans, ResolveResult::Unbound) {
                        let local = std::str::from_utf8(local.as_ref()).map_err(|_| KithError::Malformed)?;
                        attrs.push((local.to_string(), value.into_owned()));
                    }
                }
                let el = Element { ns, name, attrs, children: vec![], text: String::new() };
                if matches!(event, Event::Empty(_)) {
                    attach(&mut stack, &mut root, el);
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or(KithError::Malformed)?;
                attach(&mut stack, &mut root, el);
            }
            Event::Text(t) => {
                let s = t.unescape().map_err(|_| KithError::Malformed)?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return Err(KithError::Malformed),
                }
            }
            Event::CData(c) => {
                let s = std::str::from_utf8(c.as_ref()).map_err(|_| KithError::Malformed)?;
                stack.last_mut().ok_or(KithError::Malformed)?.text.push_str(s);
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(KithError::Malformed);
    }
    root.ok_or(KithError::Malformed)
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, el: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(el),
        None => *root = Some(el),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: ReadLimits = ReadLimits::INBOUND;

    #[test]
    fn r_in_2_reads_namespaces_bom_and_latin1() {
        let doc = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?><a:R xmlns:a=\"urn:x\" xmlns=\"urn:y\"><C V=\"1\" a:V=\"2\">Bl&#229;b&amp;r</C></a:R>";
        let root = parse(doc.as_bytes(), L).unwrap();
        assert!(root.is("urn:x", "R"));
        let c = root.child("urn:y", "C").unwrap();
        assert_eq!(c.attr("V"), Some("1"));
        assert_eq!(c.text, "Blåb&r");
        let latin1: Vec<u8> = b"<?xml version='1.0' encoding='ISO-8859-1'?><R>\xE6\xF8\xE5</R>".to_vec();
        assert_eq!(parse(&latin1, L).unwrap().text, "æøå");
        assert_eq!(parse(b"<R>\xE6</R>", L), Err(KithError::Encoding), "Latin-1 bytes undeclared");
        assert_eq!(parse(b"<?xml version='1.0' encoding='UTF-16'?><R/>", L), Err(KithError::Encoding));
    }

    #[test]
    fn r_in_2_refuses_dtd_entities_and_broken_documents() {
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE R [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><R>&x;</R>";
        assert_eq!(parse(xxe.as_bytes(), L), Err(KithError::Dtd));
        assert_eq!(parse(b"<R>&x;</R>", L), Err(KithError::Malformed), "undeclared entity");
        assert_eq!(parse(b"<R><A></R>", L), Err(KithError::Malformed));
        assert_eq!(parse(b"<R>", L), Err(KithError::Malformed));
        assert_eq!(parse(b"<R/><R/>", L), Err(KithError::Malformed));
        assert_eq!(parse(b"", L), Err(KithError::Malformed));
        assert_eq!(parse(b"<p:R/>", L), Err(KithError::Malformed), "unbound prefix");
        let deep = "<a>".repeat(60) + &"</a>".repeat(60);
        assert_eq!(parse(deep.as_bytes(), L), Err(KithError::TooComplex));
        let big = vec![b' '; L.max_bytes + 1];
        assert_eq!(parse(&big, L), Err(KithError::TooLarge { limit: L.max_bytes }));
        let fifty_mb = vec![b'<'; 50 * 1024 * 1024];
        let w = ReadLimits::WITH_ATTACHMENTS;
        assert_eq!(parse(&fifty_mb, w), Err(KithError::TooLarge { limit: w.max_bytes }), "refused before parsing");
    }
}
