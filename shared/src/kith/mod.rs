//! KITH XML, the format every DigiHelse message has on the wire: MsgHead 1.2 around a
//! Dialogmelding 1.1 (or another payload) in `Document/RefDoc/Content`, and AppRec 1.1 (1.0
//! read too) for receipts. Pure code: no AWS, no I/O; the functions turn these documents into
//! domain input at the edge and back, and no rule reads XML.
//!
//! Sources (public): the XSDs in ks-no/fiks-nhn-client `msh-client/src/main/resources/xsd/`
//! (MsgHead-v1_2, dialogmelding-v1.1, apprec-v1.0/1.1, kith, kith-base64, felleskomponent1) and
//! its code lists (8221, 8258, 8279, 8116); helsenorge/Helsenorge.Messaging's samples and its
//! `MetadataHelper` (which HER-ids count as sender and receiver, the AMQP properties `fromHerId`,
//! `toHerId`, `cpaId`, the message function as label); Helsenorge's API pages for the processes
//! (`Pasientrelasjon` marks who acts for the patient; the appointment processes carry
//! Dialogmelding 1.1 + Pasientrelasjon + iCalendar). Nothing of those is copied here.
//!
//! Reading is defensive: a size limit before parsing, no DTD (so no external entities and no
//! entity expansion), UTF-8 (with or without BOM) and declared ISO-8859-1, a depth and element
//! limit, namespaces checked on every element we read. Every failure is a [`KithError`] with
//! an 8221 code and a Norwegian text that never quotes the input.

pub mod apprec;
pub mod codes;
pub mod dialog;
pub mod error;
pub mod ical;
pub mod msghead;
pub mod sniff;
mod write;
pub mod xml;

pub use apprec::{AppRecDoc, Hcp};
pub use codes::{AppRecStatusCode, ErrorCode, MsgFunction, PersonIdType};
pub use dialog::{Dialogmelding, Foresporsel, Notat};
pub use error::KithError;
pub use msghead::{Content, Document, Ident, MsgHead, Organisation, Patient, Relation};
pub use xml::ReadLimits;

/// MsgHead 1.2.
pub const NS_MSGHEAD: &str = "http://www.kith.no/xmlstds/msghead/2006-05-24";
/// Dialogmelding 1.1.
pub const NS_DIALOG_1_1: &str = "http://www.kith.no/xmlstds/dialog/2013-01-23";
/// AppRec 1.1 (what we write).
pub const NS_APPREC_1_1: &str = "http://www.kith.no/xmlstds/apprec/2012-02-15";
/// AppRec 1.0 (read only).
pub const NS_APPREC_1_0: &str = "http://www.kith.no/xmlstds/apprec/2004-11-21";
/// Base64Container (kith-base64) for attachments.
pub const NS_BASE64: &str = "http://www.kith.no/xmlstds/base64container";
/// Felleskomponent 1 (Ident, TeleCom inside Dialogmelding and Pasientrelasjon).
pub const NS_FK1: &str = "http://www.kith.no/xmlstds/felleskomponent1";
/// KITH's namespace family. `Pasientrelasjon`'s own namespace is not in the public material we
/// could read, so it is recognised by its local name inside this family (isolated in
/// [`msghead`]); everything else is matched on its exact namespace.
pub const NS_KITH_FAMILY: &str = "http://www.kith.no/xmlstds/";
/// The OID of code list 8116 (person id types).
pub const OID_8116: &str = "2.16.578.1.12.4.1.1.8116";
/// The OID of code list 9051 (organisation id types: HER, ENH).
pub const OID_9051: &str = "2.16.578.1.12.4.1.1.9051";
/// The OID of code list 8221 (AppRec errors).
pub const OID_8221: &str = "2.16.578.1.12.4.1.1.8221";
/// The OID of code list 8279 (message functions).
pub const OID_8279: &str = "2.16.578.1.12.4.1.1.8279";
/// The OID of code list 7601 (dialog request types; `DI` = dialog with citizen).
pub const OID_7601: &str = "2.16.578.1.12.4.1.1.7601";
