//! The KITH codec against our own samples (`events/kith/`), its round trips, and the public
//! samples (when `KITH_SAMPLES_DIR` names a folder of them). Schema validation of what the
//! functions write: `tests/kith_messages.rs` (xmllint against `KITH_XSD_DIR`).

use std::path::{Path, PathBuf};

use shared::kith::codes::{AppRecStatusCode, ErrorCode, MsgFunction, PersonIdType};
use shared::kith::msghead::{KithDocument, read_document};
use shared::kith::{AppRecDoc, Content, Dialogmelding, Document, Hcp, Ident, MsgHead, Organisation, Patient, ReadLimits};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn sample(name: &str) -> KithDocument {
    let bytes = std::fs::read(repo().join("events/kith").join(name)).unwrap();
    read_document(&bytes, ReadLimits::INBOUND).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn head(name: &str) -> MsgHead {
    match sample(name) {
        KithDocument::MsgHead(m) => *m,
        other => panic!("{name}: {other:?}"),
    }
}

#[test]
fn r_in_1_ekontakt_sample_reads_to_its_values() {
    let m = head("ekontakt.xml");
    assert_eq!(m.function, MsgFunction::Ekontakt);
    assert_eq!(m.msg_id, "6f1c2a10-0000-4000-8000-000000000001");
    assert_eq!(m.receiver.most_specific_her(), Some("80115"));
    assert_eq!(m.sender.her_ids(), vec!["90001", "90002"]);
    assert_eq!(m.patient.as_ref().and_then(Patient::national_id), Some(("30108299920", PersonIdType::Fnr)));
    let (subject, text) = m.dialog().unwrap().subject_and_text();
    assert_eq!(subject, Some("Spørsmål om besøk"));
    assert_eq!(text, Some("Kan dere komme en time senere i morgen?"), "XHTML in Sporsmal is read as text");
    assert_eq!(m.relation(), None);
}

#[test]
fn r_cit_4_pasientrelasjon_marks_the_representative() {
    let m = head("ekontakt-representative.xml");
    let r = m.relation().unwrap();
    assert_eq!(r.person.as_ref().map(|p| (p.id.as_str(), p.type_id.as_str())), Some(("15038500047", "FNR")));
    assert_eq!(r.relation.as_deref(), Some("FU"));
    assert_eq!(m.patient.unwrap().national_id().unwrap().0, "30108299920", "journaled on the patient");
}

#[test]
fn r_out_3_apprec_samples_of_both_versions_read() {
    let KithDocument::AppRec(ok) = sample("apprec-ok.xml") else { panic!() };
    assert!(!ok.v1_0);
    assert_eq!((ok.status, ok.original_id.as_str()), (AppRecStatusCode::Ok, "epj-reply-1001"));
    assert_eq!(ok.sender.most_specific_her(), Some("90002"));
    let KithDocument::AppRec(rej) = sample("apprec-1.0-rejected.xml") else { panic!() };
    assert!(rej.v1_0);
    assert_eq!(rej.status, AppRecStatusCode::Rejected);
    assert_eq!(rej.errors, vec![(ErrorCode::E35, "Pasienten finnes ikke i mottakersystemet".to_string())]);
    let KithDocument::AppRec(part) = sample("apprec-ok-error-in-part.xml") else { panic!() };
    assert_eq!(part.status, AppRecStatusCode::OkErrorInPart);
    assert_eq!(part.errors[0].1, "Vedlegget kunne ikke vises.");
}

#[test]
fn r_apt_2_cancellation_samples_carry_a_calendar() {
    use shared::kith::ical::{CalendarCancel, read_cancel};
    let cal = |m: &MsgHead| {
        m.documents.iter().find_map(|d| match (&d.content, d.mime_type.as_deref()) {
            (Content::Base64(b), Some("text/calendar")) => read_cancel(&String::from_utf8_lossy(b)),
            _ => None,
        })
    };
    let one = head("avtaleavbestilling.xml");
    assert_eq!(one.function, MsgFunction::Avtaleavbestilling);
    assert_eq!(cal(&one), Some(CalendarCancel::One { uid: "A-1001".into() }));
    let period = head("avtaleavbestilling-period.xml");
    assert!(matches!(cal(&period), Some(CalendarCancel::Period { .. })));
    assert_eq!(head("test.xml").function, MsgFunction::Test);
}

/// A reply as outbound-reply writes it: ConversationRef to the citizen's message, one PDF.
pub fn reply() -> MsgHead {
    let mut hn = Organisation::with_her("Norsk helsenett SF", "90001");
    hn.sub = Some(Box::new(Organisation::with_her("Helsenorge", "90002")));
    let mut us = Organisation::with_her("Eksempel kommune", "80001");
    us.sub = Some(Box::new(Organisation::with_her("Hjemmesykepleien sone 115", "80115")));
    MsgHead {
        function: MsgFunction::Ekontakt,
        gen_date: "2026-11-23T10:01:00Z".into(),
        msg_id: "epj-reply-1001".into(),
        conversation: Some(("6f1c2a10-0000-4000-8000-000000000001".into(), "6f1c2a10-0000-4000-8000-000000000001".into())),
        sender: us,
        receiver: hn,
        patient: Some(Patient { family_name: None, given_name: None, idents: vec![Ident { id: "30108299920".into(), type_id: "FNR".into() }] }),
        documents: vec![
            Document { content_description: Some("Svar".into()), msg_type: "XML".into(), mime_type: None, description: None, content: Content::Dialog(Dialogmelding::citizen_dialog("Svar <om> besøk", "Vi kommer kl. 09.30 & ringer på.")) },
            Document { content_description: None, msg_type: "A".into(), mime_type: Some("application/pdf".into()), description: Some("timeplan.pdf".into()), content: Content::Base64(b"%PDF-1.4 synthetic\x00\xff".to_vec()) },
        ],
    }
}

pub fn apprec() -> AppRecDoc {
    AppRecDoc {
        v1_0: false,
        gen_date: "2026-11-23T10:00:01Z".into(),
        id: "6f1c2a10-0000-4000-8000-000000000001.apprec".into(),
        sender: Hcp { name: "Eksempel kommune".into(), her: Some("80001".into()), dept: Some(("Hjemmesykepleien sone 115".into(), "80115".into())) },
        receiver: Hcp { name: "Norsk helsenett SF".into(), her: Some("90001".into()), dept: Some(("Helsenorge".into(), "90002".into())) },
        status: AppRecStatusCode::Rejected,
        errors: vec![(ErrorCode::E35, "Innbyggeren har ikke samtykket til digital dialog.".into())],
        original_function: MsgFunction::Ekontakt,
        original_issue_date: "2026-11-23T10:00:00Z".into(),
        original_id: "6f1c2a10-0000-4000-8000-000000000001".into(),
    }
}

#[test]
fn r_out_4_reply_with_attachment_round_trips() {
    let m = reply();
    let xml = m.write();
    let KithDocument::MsgHead(back) = read_document(xml.as_bytes(), ReadLimits::WITH_ATTACHMENTS).unwrap() else { panic!() };
    assert_eq!(*back, m);
    assert_eq!(back.attachment_bytes(), 20, "decoded bytes are counted");
}

#[test]
fn r_out_3_apprec_round_trips() {
    let a = apprec();
    let KithDocument::AppRec(back) = read_document(a.write().as_bytes(), ReadLimits::INBOUND).unwrap() else { panic!() };
    assert_eq!(*back, a);
}

#[test]
fn r_in_1_public_samples_parse_when_present() {
    let Some(dir) = std::env::var_os("KITH_SAMPLES_DIR").map(PathBuf::from) else {
        eprintln!("NOTICE: KITH_SAMPLES_DIR not set; the public samples are not parsed");
        return;
    };
    let mut read = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("xml") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        match read_document(&bytes, ReadLimits::INBOUND) {
            Ok(KithDocument::MsgHead(m)) => {
                assert!(!m.msg_id.is_empty() && !m.function.code().is_empty(), "{name}");
                assert!(m.receiver.most_specific_her().is_some(), "{name}: receiver HER-id");
                if m.function == MsgFunction::Ekontakt {
                    assert!(m.patient.as_ref().and_then(Patient::national_id).is_some(), "{name}: patient id");
                    assert!(m.dialog().and_then(|d| d.subject_and_text().1).is_some(), "{name}: text");
                }
                eprintln!("sample {name}: MsgHead {} with {} document(s)", m.function.code(), m.documents.len());
                read += 1;
            }
            Ok(KithDocument::AppRec(a)) => {
                eprintln!("sample {name}: AppRec status {} answering a {}", a.status.code(), a.original_function.code());
                read += 1;
            }
            Err(e) => eprintln!("sample {name}: not a KITH document we read: {e} ({})", e.code().code()),
        }
    }
    assert!(read > 0, "no sample in {} was read", dir.display());
}
