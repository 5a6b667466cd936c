//! NHN's CPP and CPA documents (ebXML CPPA 2.0, namespace
//! `http://www.oasis-open.org/committees/ebxml-cppa/schema/cpp-cpa-2_0.xsd`) read into a
//! [`Profile`], as Helsenorge.Messaging reads them (docs/transport.md §1.8):
//!
//! - the counterpart is the CPP's one `PartyInfo`, or the CPA's `PartyInfo` whose `PartyId` is
//!   not our HER-id (HM `src/Helsenorge.Registries/CollaborationProtocolRegistryRest.cs`,
//!   `FindAgreementForCounterpartyAsync`); the CPA id is the root's `cpaid` attribute;
//! - each `PartyInfo/Certificate//ds:X509Certificate` (base64 DER): the one with KeyEncipherment
//!   is the encryption certificate, otherwise one with NonRepudiation the signing certificate
//!   (HM `src/Helsenorge.Registries/Abstractions/CollaborationProtocolProfile.cs`,
//!   `CreateFromPartyInfoElement`). Where the library would leave the signing certificate empty
//!   because one certificate carries both usages, we use that certificate for both (the
//!   library allows one certificate in both roles, HM `Documentation/KrypteringOgSignering.md`);
//! - queues: the `Transport/TransportReceiver/Endpoint/@uri`s end in the queue names
//!   (`sb.test.nhn.no/DigitalDialog/93238_async`, HM
//!   `test/Helsenorge.Registries.Tests/Files/CPP_Rest_93238.xml`); the error queue is not in
//!   the document and stays `{herId}_error` (R-TR-6).
//!
//! Element names are matched by local name: every element read here is in the CPPA namespace
//! except `X509Certificate` (XML-DSig).

use base64::Engine as _;
use openssl::x509::{X509, X509KeyUsage};
use quick_xml::events::Event;
use quick_xml::reader::Reader;
use shared::domain::transport::Queues;
use shared::ports_transport::{CertDer, Profile};

/// Why a registry document cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CppaXmlError {
    /// Not XML, or not a CPP/CPA.
    #[error("the registry's document is not a CPP/CPA: {0}")]
    Malformed(String),
    /// No `PartyInfo` for the counterpart.
    #[error("the registry's document has no party other than us")]
    NoCounterpart,
}

#[derive(Debug, Default)]
struct Party {
    her_id: Option<u64>,
    certificates: Vec<Vec<u8>>,
    endpoints: Vec<String>,
}

#[derive(Debug, Default)]
struct Document {
    cpa_id: Option<String>,
    parties: Vec<Party>,
}

fn local(name: &[u8]) -> &[u8] {
    name.rsplit(|b| *b == b':').next().unwrap_or(name)
}

fn read(xml: &str) -> Result<Document, CppaXmlError> {
    let bad = |e: &dyn std::fmt::Display| CppaXmlError::Malformed(e.to_string());
    let mut reader = Reader::from_str(xml);
    let mut doc = Document::default();
    let mut root_seen = false;
    let mut text_of: Option<&'static str> = None;
    loop {
        match reader.read_event().map_err(|e| bad(&e))? {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name();
                let tag = local(name.as_ref());
                if !root_seen {
                    root_seen = true;
                    if tag != b"CollaborationProtocolAgreement" && tag != b"CollaborationProtocolProfile" {
                        return Err(CppaXmlError::Malformed("the root is neither a CPP nor a CPA".into()));
                    }
                }
                match tag {
                    b"CollaborationProtocolAgreement" => {
                        for a in e.attributes().flatten() {
                            if local(a.key.as_ref()) == b"cpaid" {
                                doc.cpa_id = Some(a.unescape_value().map_err(|e| bad(&e))?.into_owned());
                            }
                        }
                    }
                    b"PartyInfo" => doc.parties.push(Party::default()),
                    b"PartyId" => text_of = Some("her"),
                    b"X509Certificate" => text_of = Some("cert"),
                    b"Endpoint" => {
                        if let Some(p) = doc.parties.last_mut() {
                            for a in e.attributes().flatten() {
                                if local(a.key.as_ref()) == b"uri" {
                                    p.endpoints.push(a.unescape_value().map_err(|e| bad(&e))?.into_owned());
                                }
                            }
                        }
                    }
                    _ => {}
                }
            }
            Event::Text(t) => {
                if let (Some(what), Some(p)) = (text_of, doc.parties.last_mut()) {
                    let text = t.unescape().map_err(|e| bad(&e))?;
                    match what {
                        "her" => p.her_id = text.trim().parse().ok(),
                        _ => {
                            let b64: String = text.chars().filter(|c| !c.is_whitespace()).collect();
                            let der = base64::engine::general_purpose::STANDARD.decode(b64).map_err(|e| bad(&e))?;
                            p.certificates.push(der);
                        }
                    }
                }
            }
            Event::End(_) => text_of = None,
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(CppaXmlError::Malformed("empty document".into()));
    }
    Ok(doc)
}

fn profile_of(party: Party, cpa_id: Option<String>) -> Result<Profile, CppaXmlError> {
    let her_id = party.her_id.ok_or_else(|| CppaXmlError::Malformed("PartyInfo without a HER-id".into()))?;
    let mut queues = Queues::conventional(her_id);
    for uri in &party.endpoints {
        let queue = uri.rsplit('/').next().unwrap_or(uri).to_string();
        if queue.ends_with("_async") {
            queues.asynchronous = queue;
        } else if queue.ends_with("_sync") {
            queues.synchronous = queue;
        }
    }
    let (mut signing, mut encryption, mut both) = (None, None, None);
    for der in party.certificates {
        let cert = X509::from_der(&der).map_err(|e| CppaXmlError::Malformed(format!("certificate: {e}")))?;
        let usage = cert.key_usage();
        let has = |u: X509KeyUsage| usage.is_some_and(|k| k.contains(u));
        if has(X509KeyUsage::KEY_ENCIPHERMENT) {
            if has(X509KeyUsage::NON_REPUDIATION) {
                both = Some(CertDer(der.clone()));
            }
            encryption = Some(CertDer(der));
        } else if has(X509KeyUsage::NON_REPUDIATION) {
            signing = Some(CertDer(der));
        }
    }
    Ok(Profile { her_id, cpa_id, queues, signing: signing.or(both), encryption })
}

/// The counterpart's profile from its CPP (no CPA id).
pub fn profile_from_cpp(xml: &str) -> Result<Profile, CppaXmlError> {
    let doc = read(xml)?;
    let party = doc.parties.into_iter().next().ok_or(CppaXmlError::NoCounterpart)?;
    profile_of(party, None)
}

/// The counterpart's profile from a CPA between it and `ours`.
pub fn profile_from_cpa(xml: &str, ours: u64) -> Result<Profile, CppaXmlError> {
    let doc = read(xml)?;
    let cpa_id = doc.cpa_id.filter(|c| !c.is_empty());
    let party = doc.parties.into_iter().find(|p| p.her_id.is_some_and(|h| h != ours)).ok_or(CppaXmlError::NoCounterpart)?;
    profile_of(party, cpa_id)
}

#[cfg(test)]
#[path = "cppa_xml_tests.rs"]
mod tests;
