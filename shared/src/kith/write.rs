//! A minimal XML writer: escaped text and attributes, characters XML 1.0 forbids dropped.

/// An XML document being written.
pub(crate) struct Xml {
    out: String,
}

impl Xml {
    /// A document with the UTF-8 declaration.
    pub(crate) fn new(capacity: usize) -> Self {
        let mut out = String::with_capacity(capacity);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        Self { out }
    }

    /// `<name a="v" …>`.
    pub(crate) fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.start(name, attrs);
        self.out.push('>');
        self
    }

    /// `</name>`.
    pub(crate) fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// `<name a="v" …/>`.
    pub(crate) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.start(name, attrs);
        self.out.push_str("/>");
        self
    }

    /// `<name>text</name>`.
    pub(crate) fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name, &[]);
        escape_into(&mut self.out, text, false);
        self.close(name)
    }

    /// `<name>text</name>` when there is a text.
    pub(crate) fn leaf_opt(&mut self, name: &str, text: Option<&str>) -> &mut Self {
        if let Some(t) = text {
            self.leaf(name, t);
        }
        self
    }

    /// Raw text already safe (base64).
    pub(crate) fn raw(&mut self, text: &str) -> &mut Self {
        self.out.push_str(text);
        self
    }

    /// The document.
    pub(crate) fn finish(self) -> String {
        self.out
    }

    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape_into(&mut self.out, v, true);
            self.out.push('"');
        }
    }
}

/// Escapes text or an attribute value; drops characters XML 1.0 does not allow.
fn escape_into(out: &mut String, s: &str, attr: bool) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_out_2_escapes_markup_and_drops_forbidden_characters() {
        let mut x = Xml::new(64);
        x.open("R", &[("V", "a\"<b>")]).leaf("T", "x & <y>\u{0007}\r\n").close("R");
        let s = x.finish();
        assert!(s.ends_with("<R V=\"a&quot;&lt;b&gt;\"><T>x &amp; &lt;y&gt;&#13;\n</T></R>"), "{s}");
    }
}
