//! Dialogmelding 1.1 (`http://www.kith.no/xmlstds/dialog/2013-01-23`): a citizen's message is a
//! `Foresporsel` (`TypeForesp` `DI`, subject in `EmneSporsmal`, text in `Sporsmal`, which may
//! hold XHTML); an answer may be a `Notat`. We write replies as a `Foresporsel` of the same
//! shape as Helsenorge's eKontakt samples, tied to the citizen's message by `ConversationRef`.

use super::error::KithError;
use super::write::Xml;
use super::xml::Element;
use super::{NS_DIALOG_1_1, OID_7601};

/// A request (the citizen's question, or our message).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Foresporsel {
    /// `TypeForesp/@V` (code list 7601; `DI` = dialog with citizen).
    pub type_foresp: String,
    /// `EmneSporsmal`: the subject.
    pub subject: Option<String>,
    /// `Sporsmal`: the text (all text of its XHTML, if any).
    pub question: Option<String>,
}

/// A note (an answer, or information).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Notat {
    /// `TemaKodet/@V`.
    pub tema_kodet: String,
    /// `Tema`.
    pub tema: Option<String>,
    /// `TekstNotatInnhold`.
    pub text: Option<String>,
}

/// A Dialogmelding 1.1.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dialogmelding {
    /// `Sakstype`.
    pub sakstype: Option<String>,
    /// The requests.
    pub foresporsel: Vec<Foresporsel>,
    /// The notes.
    pub notat: Vec<Notat>,
}

crate::domain::masked::masked_debug!(Foresporsel { type_foresp } masking { subject, question });
crate::domain::masked::masked_debug!(Notat { tema_kodet } masking { tema, text });

impl Dialogmelding {
    /// A message to or from a citizen: one `Foresporsel` `DI` with subject and text.
    pub fn citizen_dialog(subject: &str, text: &str) -> Self {
        Self {
            sakstype: None,
            foresporsel: vec![Foresporsel {
                type_foresp: "DI".into(),
                subject: Some(subject.into()),
                question: Some(text.into()),
            }],
            notat: vec![],
        }
    }

    /// The subject and text of the message: the first request's, else the first note's.
    pub fn subject_and_text(&self) -> (Option<&str>, Option<&str>) {
        if let Some(f) = self.foresporsel.first() {
            return (f.subject.as_deref(), f.question.as_deref());
        }
        match self.notat.first() {
            Some(n) => (n.tema.as_deref(), n.text.as_deref()),
            None => (None, None),
        }
    }

    /// Reads a `Dialogmelding` element (its namespace checked).
    pub fn read(el: &Element) -> Result<Self, KithError> {
        if !el.is(NS_DIALOG_1_1, "Dialogmelding") {
            return Err(KithError::Unsupported("Dialogmelding"));
        }
        let ns = NS_DIALOG_1_1;
        let read_f = |f: &Element| -> Result<Foresporsel, KithError> {
            Ok(Foresporsel {
                type_foresp: f.child_v(ns, "TypeForesp").ok_or(KithError::Missing("Foresporsel/TypeForesp"))?,
                subject: f.child_text(ns, "EmneSporsmal"),
                question: f.child(ns, "Sporsmal").map(|s| s.deep_text().trim().to_string()).filter(|s| !s.is_empty()),
            })
        };
        let mut foresporsel = el.children(ns, "Foresporsel").map(read_f).collect::<Result<Vec<_>, _>>()?;
        let mut notat = vec![];
        for n in el.children(ns, "Notat") {
            notat.push(Notat {
                tema_kodet: n.child_v(ns, "TemaKodet").ok_or(KithError::Missing("Notat/TemaKodet"))?,
                tema: n.child_text(ns, "Tema"),
                text: n.child(ns, "TekstNotatInnhold").map(|t| t.deep_text().trim().to_string()).filter(|t| !t.is_empty()),
            });
            if let Some(f) = n.child(ns, "Foresporsel") {
                foresporsel.push(read_f(f)?);
            }
        }
        if foresporsel.is_empty() && notat.is_empty() {
            return Err(KithError::Missing("Dialogmelding/Foresporsel"));
        }
        Ok(Self { sakstype: el.child_text(ns, "Sakstype"), foresporsel, notat })
    }

    /// Writes the element (with its default namespace) into `x`.
    pub(crate) fn write(&self, x: &mut Xml) {
        x.open("Dialogmelding", &[("xmlns", NS_DIALOG_1_1)]);
        x.leaf_opt("Sakstype", self.sakstype.as_deref());
        for f in &self.foresporsel {
            x.open("Foresporsel", &[]);
            x.empty("TypeForesp", &[("V", &f.type_foresp), ("S", OID_7601), ("DN", dn_7601(&f.type_foresp))]);
            x.leaf_opt("EmneSporsmal", f.subject.as_deref());
            x.leaf_opt("Sporsmal", f.question.as_deref());
            x.close("Foresporsel");
        }
        for n in &self.notat {
            x.open("Notat", &[]);
            x.empty("TemaKodet", &[("V", &n.tema_kodet)]);
            x.leaf_opt("Tema", n.tema.as_deref());
            x.leaf_opt("TekstNotatInnhold", n.text.as_deref());
            x.close("Notat");
        }
        x.close("Dialogmelding");
    }
}

fn dn_7601(v: &str) -> &'static str {
    match v {
        "DI" => "Dialog med innbygger",
        _ => "",
    }
}
