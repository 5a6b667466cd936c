//! MsgHead 1.2 (`http://www.kith.no/xmlstds/msghead/2006-05-24`): the header around every
//! DigiHelse message. Read with every element's namespace checked; written in the XSD's order.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::apprec::AppRecDoc;
use super::codes::{MsgFunction, PersonIdType};
use super::dialog::Dialogmelding;
use super::error::KithError;
use super::write::Xml;
use super::xml::{Element, ReadLimits, parse};
use super::{NS_BASE64, NS_DIALOG_1_1, NS_FK1, NS_KITH_FAMILY, NS_MSGHEAD, OID_8116, OID_9051};

mod masked;

const NS: &str = NS_MSGHEAD;

/// An identifier with its type (`Id`, `TypeId/@V`, `TypeId/@S`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ident {
    /// The id.
    pub id: String,
    /// The type code (`HER`, `ENH`, `FNR`, `DNR`, …).
    pub type_id: String,
}

/// An organisation, possibly with a sub-organisation and a person (HealthcareProfessional).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Organisation {
    /// `OrganisationName`.
    pub name: String,
    /// `Ident`s.
    pub idents: Vec<Ident>,
    /// The sub-organisation (level 2).
    pub sub: Option<Box<Organisation>>,
    /// Idents of a `HealthcareProfessional` (level 2 when it is a person).
    pub person_idents: Vec<Ident>,
}

impl Organisation {
    /// A named organisation with a HER-id.
    pub fn with_her(name: &str, her: &str) -> Self {
        Self { name: name.into(), idents: vec![Ident { id: her.into(), type_id: "HER".into() }], ..Self::default() }
    }

    /// The level-1 HER-id.
    pub fn her(&self) -> Option<&str> {
        self.idents.iter().find(|i| i.type_id == "HER").map(|i| i.id.as_str())
    }

    /// The most specific HER-id: the sub-organisation's (or the person's), else level 1's
    /// (as Helsenorge.Messaging's metadata reads "Lvl2" before "Lvl1").
    pub fn most_specific_her(&self) -> Option<&str> {
        let lvl2 = self.sub.as_deref().and_then(Organisation::her);
        let person = self.person_idents.iter().find(|i| i.type_id == "HER").map(|i| i.id.as_str());
        lvl2.or(person).or(self.her())
    }

    /// Every HER-id at any level.
    pub fn her_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.idents.iter().chain(&self.person_idents).filter(|i| i.type_id == "HER").map(|i| i.id.as_str()).collect();
        if let Some(sub) = &self.sub {
            ids.extend(sub.her_ids());
        }
        ids
    }
}

/// The patient the message is about (and journaled on).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Patient {
    /// `FamilyName`.
    pub family_name: Option<String>,
    /// `GivenName`.
    pub given_name: Option<String>,
    /// `Ident`s.
    pub idents: Vec<Ident>,
}

impl Patient {
    /// The citizen's national id (the first FNR or DNR); other id types never count.
    pub fn national_id(&self) -> Option<(&str, PersonIdType)> {
        self.idents.iter().find_map(|i| PersonIdType::from_code(&i.type_id).map(|t| (i.id.as_str(), t)))
    }
}

/// `Pasientrelasjon`: who uses the service on the patient's behalf, and how they are related
/// (code list 7611, e.g. `FO` parental responsibility). Helsenorge's pages describe it as the
/// marker of a message written by someone else than the patient.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Relation {
    /// The person's id (FNR/DNR), when given.
    pub person: Option<Ident>,
    /// `Relasjon/@V`.
    pub relation: Option<String>,
}

/// What a document's `RefDoc/Content` holds.
#[derive(Clone, PartialEq, Eq)]
pub enum Content {
    /// A Dialogmelding 1.1.
    Dialog(Dialogmelding),
    /// A Base64Container's decoded bytes.
    Base64(Vec<u8>),
    /// A Pasientrelasjon.
    Relation(Relation),
    /// An AppRec inside a MsgHead.
    AppRec(Box<AppRecDoc>),
    /// An external file reference (`FileReference`).
    FileReference(String),
    /// A payload we do not read, by its namespace.
    Other(String),
    /// No content.
    None,
}

/// One `Document`.
#[derive(Clone, PartialEq, Eq)]
pub struct Document {
    /// `ContentDescription`.
    pub content_description: Option<String>,
    /// `RefDoc/MsgType/@V` (`XML` for an instance, `A` for an attachment).
    pub msg_type: String,
    /// `RefDoc/MimeType`.
    pub mime_type: Option<String>,
    /// `RefDoc/Description` (an attachment's name).
    pub description: Option<String>,
    /// What it holds.
    pub content: Content,
}

/// A MsgHead 1.2 document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsgHead {
    /// `MsgInfo/Type`.
    pub function: MsgFunction,
    /// `MsgInfo/GenDate`, as written.
    pub gen_date: String,
    /// `MsgInfo/MsgId`.
    pub msg_id: String,
    /// `MsgInfo/ConversationRef`: (RefToParent, RefToConversation).
    pub conversation: Option<(String, String)>,
    /// `MsgInfo/Sender/Organisation`.
    pub sender: Organisation,
    /// `MsgInfo/Receiver/Organisation`.
    pub receiver: Organisation,
    /// `MsgInfo/Patient`.
    pub patient: Option<Patient>,
    /// The documents, the first being the message itself.
    pub documents: Vec<Document>,
}

/// A document that arrives on the Helsenorge side: a MsgHead or a bare AppRec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KithDocument {
    /// A MsgHead (dialog, appointment, test, …).
    MsgHead(Box<MsgHead>),
    /// An AppRec (1.0 or 1.1), sent as its own document.
    AppRec(Box<AppRecDoc>),
}

/// Reads a document from the wire.
pub fn read_document(bytes: &[u8], limits: ReadLimits) -> Result<KithDocument, KithError> {
    let root = parse(bytes, limits)?;
    if root.name == "AppRec" {
        return AppRecDoc::read(&root).map(|a| KithDocument::AppRec(Box::new(a)));
    }
    MsgHead::read(&root).map(|m| KithDocument::MsgHead(Box::new(m)))
}

impl MsgHead {
    /// The dialog message in the documents, if any.
    pub fn dialog(&self) -> Option<&Dialogmelding> {
        self.documents.iter().find_map(|d| match &d.content {
            Content::Dialog(m) => Some(m),
            _ => None,
        })
    }

    /// The Pasientrelasjon in the documents, if any.
    pub fn relation(&self) -> Option<&Relation> {
        self.documents.iter().find_map(|d| match &d.content {
            Content::Relation(r) => Some(r),
            _ => None,
        })
    }

    /// Decoded attachment bytes in total (R-OUT-4 counts these).
    pub fn attachment_bytes(&self) -> u64 {
        self.documents.iter().map(|d| match &d.content {
            Content::Base64(b) => b.len() as u64,
            _ => 0,
        }).sum()
    }

    /// Reads a `MsgHead` root element.
    pub fn read(root: &Element) -> Result<Self, KithError> {
        if !root.is(NS, "MsgHead") {
            return Err(KithError::Unsupported(if root.name == "MsgHead" { "MsgHead-navnerom" } else { "rotelement" }));
        }
        let info = root.child(NS, "MsgInfo").ok_or(KithError::Missing("MsgInfo"))?;
        let function = MsgFunction::from_code(&info.child_v(NS, "Type").ok_or(KithError::Missing("MsgInfo/Type"))?);
        match info.child_text(NS, "MIGversion").as_deref() {
            Some("v1.2 2006-05-24") => {}
            Some(_) => return Err(KithError::Unsupported("MIGversion")),
            None => return Err(KithError::Missing("MsgInfo/MIGversion")),
        }
        let gen_date = info.child_text(NS, "GenDate").ok_or(KithError::Missing("MsgInfo/GenDate"))?;
        if super::apprec::parse_datetime(&gen_date).is_none() {
            return Err(KithError::Invalid("MsgInfo/GenDate"));
        }
        let msg_id = info.child_text(NS, "MsgId").ok_or(KithError::Missing("MsgInfo/MsgId"))?;
        if !crate::domain::message::valid_message_id(&msg_id) {
            return Err(KithError::Invalid("MsgInfo/MsgId"));
        }
        let conversation = match info.child(NS, "ConversationRef") {
            Some(c) => Some((
                c.child_text(NS, "RefToParent").ok_or(KithError::Missing("ConversationRef/RefToParent"))?,
                c.child_text(NS, "RefToConversation").ok_or(KithError::Missing("ConversationRef/RefToConversation"))?,
            )),
            None => None,
        };
        let party = |name: &'static str, missing: &'static str| -> Result<Organisation, KithError> {
            let p = info.child(NS, name).ok_or(KithError::Missing(missing))?;
            read_org(p.child(NS, "Organisation").ok_or(KithError::Missing(missing))?)
        };
        let sender = party("Sender", "MsgInfo/Sender")?;
        let receiver = party("Receiver", "MsgInfo/Receiver")?;
        let patient = info.child(NS, "Patient").map(|p| Patient {
            family_name: p.child_text(NS, "FamilyName"),
            given_name: p.child_text(NS, "GivenName"),
            idents: p.children(NS, "Ident").filter_map(|i| read_ident(i, NS)).collect(),
        });
        let documents = root.children(NS, "Document").map(read_document_el).collect::<Result<Vec<_>, _>>()?;
        if documents.is_empty() {
            return Err(KithError::Missing("Document"));
        }
        Ok(Self { function, gen_date, msg_id, conversation, sender, receiver, patient, documents })
    }

    /// Writes the document (UTF-8).
    pub fn write(&self) -> String {
        let mut x = Xml::new(2048 + self.documents.iter().map(|d| match &d.content {
            Content::Base64(b) => b.len() * 4 / 3 + 4,
            _ => 512,
        }).sum::<usize>());
        x.open("MsgHead", &[("xmlns", NS)]);
        x.open("MsgInfo", &[]);
        x.empty("Type", &[("V", self.function.code()), ("DN", self.function.display_name())]);
        x.leaf("MIGversion", "v1.2 2006-05-24");
        x.leaf("GenDate", &self.gen_date);
        x.leaf("MsgId", &self.msg_id);
        x.empty("Ack", &[("V", "J"), ("DN", "Ja")]);
        if let Some((parent, conversation)) = &self.conversation {
            x.open("ConversationRef", &[]).leaf("RefToParent", parent).leaf("RefToConversation", conversation).close("ConversationRef");
        }
        x.open("Sender", &[]);
        write_org(&mut x, &self.sender);
        x.close("Sender").open("Receiver", &[]);
        write_org(&mut x, &self.receiver);
        x.close("Receiver");
        if let Some(p) = &self.patient {
            x.open("Patient", &[]);
            x.leaf_opt("FamilyName", p.family_name.as_deref()).leaf_opt("GivenName", p.given_name.as_deref());
            for i in &p.idents {
                write_ident(&mut x, i);
            }
            x.close("Patient");
        }
        x.close("MsgInfo");
        for d in &self.documents {
            x.open("Document", &[]);
            x.leaf_opt("ContentDescription", d.content_description.as_deref());
            x.open("RefDoc", &[]);
            let dn = if d.msg_type == "A" { "Vedlegg" } else { "XML-instans" };
            x.empty("MsgType", &[("V", &d.msg_type), ("DN", dn)]);
            x.leaf_opt("MimeType", d.mime_type.as_deref()).leaf_opt("Description", d.description.as_deref());
            match &d.content {
                Content::Dialog(m) => {
                    x.open("Content", &[]);
                    m.write(&mut x);
                    x.close("Content");
                }
                Content::Base64(bytes) => {
                    x.open("Content", &[]).open("Base64Container", &[("xmlns", NS_BASE64)]);
                    x.raw(&STANDARD.encode(bytes)).close("Base64Container").close("Content");
                }
                Content::FileReference(uri) => {
                    x.leaf("FileReference", uri);
                }
                // Only what we read is ever written back; these never come from our side.
                Content::Relation(_) | Content::AppRec(_) | Content::Other(_) | Content::None => {}
            }
            x.close("RefDoc").close("Document");
        }
        x.close("MsgHead");
        x.finish()
    }
}

fn read_ident(el: &Element, ns: &str) -> Option<Ident> {
    let id = el.child_text(ns, "Id")?;
    let type_id = el.child_v(ns, "TypeId")?;
    Some(Ident { id, type_id })
}

fn read_org(el: &Element) -> Result<Organisation, KithError> {
    Ok(Organisation {
        name: el.child_text(NS, "OrganisationName").unwrap_or_default(),
        idents: el.children(NS, "Ident").filter_map(|i| read_ident(i, NS)).collect(),
        sub: el.child(NS, "Organisation").map(read_org).transpose()?.map(Box::new),
        person_idents: el
            .child(NS, "HealthcareProfessional")
            .map(|h| h.children(NS, "Ident").filter_map(|i| read_ident(i, NS)).collect())
            .unwrap_or_default(),
    })
}

fn read_document_el(el: &Element) -> Result<Document, KithError> {
    let ref_doc = el.child(NS, "RefDoc").ok_or(KithError::Missing("Document/RefDoc"))?;
    let content = match (ref_doc.child(NS, "Content"), ref_doc.child_text(NS, "FileReference")) {
        (Some(c), _) => match c.children.first() {
            None => Content::None,
            Some(inner) if inner.ns == NS_DIALOG_1_1 => Content::Dialog(Dialogmelding::read(inner)?),
            Some(inner) if inner.is(NS_BASE64, "Base64Container") => {
                let compact: String = inner.text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
                Content::Base64(STANDARD.decode(compact).map_err(|_| KithError::Invalid("Base64Container"))?)
            }
            Some(inner) if inner.name == "Pasientrelasjon" && inner.ns.starts_with(NS_KITH_FAMILY) => {
                Content::Relation(read_relation(inner))
            }
            Some(inner) if inner.name == "AppRec" => Content::AppRec(Box::new(AppRecDoc::read(inner)?)),
            Some(inner) if inner.ns.starts_with("http://www.kith.no/xmlstds/dialog/") => {
                return Err(KithError::Unsupported("Dialogmelding-versjon"));
            }
            Some(inner) => Content::Other(inner.ns.chars().take(120).collect()),
        },
        (None, Some(uri)) => Content::FileReference(uri),
        (None, None) => Content::None,
    };
    Ok(Document {
        content_description: el.child_text(NS, "ContentDescription"),
        msg_type: ref_doc.child_v(NS, "MsgType").ok_or(KithError::Missing("RefDoc/MsgType"))?,
        mime_type: ref_doc.child_text(NS, "MimeType"),
        description: ref_doc.child_text(NS, "Description"),
        content,
    })
}

/// `Pasientrelasjon`: `Person` (its `Ident` in felleskomponent1 or its own namespace) and
/// `Relasjon/@V`.
fn read_relation(el: &Element) -> Relation {
    let ns = el.ns.as_str();
    let person = el.child(ns, "Person").and_then(|p| {
        p.children.iter().filter(|c| c.name == "Ident" && (c.ns == NS_FK1 || c.ns == ns)).find_map(|i| {
            let id = i.children.iter().find(|c| c.name == "Id").map(|c| c.text.trim().to_string())?;
            let type_id = i.children.iter().find(|c| c.name == "TypeId").and_then(|c| c.attr("V"))?.to_string();
            Some(Ident { id, type_id })
        })
    });
    Relation { person, relation: el.child_v(ns, "Relasjon") }
}

fn write_ident(x: &mut Xml, i: &Ident) {
    let (oid, dn) = match i.type_id.as_str() {
        "HER" => (OID_9051, "HER-id"),
        "ENH" => (OID_9051, "Organisasjonsnummeret i Enhetsregister"),
        "FNR" => (OID_8116, "Fødselsnummer"),
        "DNR" => (OID_8116, "D-nummer"),
        _ => (OID_8116, ""),
    };
    x.open("Ident", &[]).leaf("Id", &i.id).empty("TypeId", &[("V", &i.type_id), ("S", oid), ("DN", dn)]).close("Ident");
}

fn write_org(x: &mut Xml, o: &Organisation) {
    x.open("Organisation", &[]).leaf("OrganisationName", &o.name);
    for i in &o.idents {
        write_ident(x, i);
    }
    if let Some(sub) = &o.sub {
        write_org(x, sub);
    }
    x.close("Organisation");
}
