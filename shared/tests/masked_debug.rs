//! Issue #16, item 5: personal data cannot reach a log by accident. Every type that holds a
//! national id (as text), a name or a message text is built here with known values and
//! formatted with `{:?}`; none of the values may appear in the output.

use shared::app::RecordIn;
use shared::app::http::HttpRequest;
use shared::domain::appointment::AssignmentId;
use shared::domain::dead_letter::{ParkedMessage, ParkedRecord};
use shared::domain::message::{
    Author, EntryKind, GRADING_AJ, InboundEnvelope, InboundMessage, InboxItem, JournalEntry, OutMessage, Outgoing, RawSender,
    WireMessage,
};
use shared::domain::org::{StaffFunction, StaffProfile};
use shared::domain::reply::{Attachment, Base64Content, Origin, ReplyRequest};
use shared::fixtures::{CITIZEN, REPRESENTATIVE, id, service, ts};
use shared::kith::dialog::{Dialogmelding, Foresporsel, Notat};
use shared::kith::msghead::{Content, Document, Ident, Patient, Relation};
use shared::ports::QueuedMessage;

const GIVEN: &str = "Kari";
const FAMILY: &str = "Nordmann";
const SUBJECT: &str = "Vondt i kneet";
const BODY: &str = "Jeg har hatt vondt i kneet siden tirsdag";
const FILE: &str = "kari-nordmann-epikrise.pdf";

fn personal() -> [&'static str; 7] {
    [CITIZEN, REPRESENTATIVE, GIVEN, FAMILY, SUBJECT, BODY, FILE]
}

fn fnr(value: &str) -> Ident {
    Ident { id: value.into(), type_id: "FNR".into() }
}

#[test]
fn every_type_holding_personal_data_masks_it_in_debug() {
    let citizen = id(CITIZEN);
    let sender = RawSender::Representative { representative: REPRESENTATIVE.into() };
    let dialog = InboundMessage::DialogMessage {
        citizen: CITIZEN.into(),
        sender: sender.clone(),
        service: service(),
        subject: SUBJECT.into(),
        body: BODY.into(),
    };
    let cancel =
        InboundMessage::CancelAppointment { citizen: CITIZEN.into(), sender: sender.clone(), service: service(), assignment: AssignmentId("a1".into()) };
    let envelope = InboundEnvelope { version: 1, message_id: "hn-1".into(), sent_at: ts("2026-03-01T10:00:00Z"), message: dialog.clone() };
    let journal = JournalEntry {
        message_id: "hn-1".into(),
        citizen: citizen.clone(),
        service: service(),
        kind: EntryKind::DialogMessage,
        author: Author::Representative { representative: id(REPRESENTATIVE) },
        subject: SUBJECT.into(),
        body: BODY.into(),
        grading: GRADING_AJ.into(),
        at: ts("2026-03-01T10:00:00Z"),
    };
    let inbox = InboxItem {
        department: service().department,
        message_id: "hn-1".into(),
        citizen: citizen.clone(),
        service: service(),
        kind: EntryKind::DialogMessage,
        subject: SUBJECT.into(),
        grading: GRADING_AJ.into(),
        at: ts("2026-03-01T10:00:00Z"),
    };
    let attachment = Attachment { name: FILE.into(), media_type: "application/pdf".into(), content: Base64Content("S2FyaQ==".into()), stored: None };
    let out = OutMessage::DialogMessage {
        message_id: "r-1".into(),
        in_reply_to: Some("hn-1".into()),
        citizen: citizen.clone(),
        service: service(),
        subject: SUBJECT.into(),
        body: BODY.into(),
        attachments: vec![attachment.clone()],
    };
    let wire = OutMessage::Wire(WireMessage {
        body: format!("<MsgHead>{CITIZEN} {GIVEN} {FAMILY} {SUBJECT} {BODY}</MsgHead>"),
        attributes: vec![("messageId".into(), "r-1".into())],
    });
    let request = ReplyRequest {
        version: 1,
        reply_id: "r-1".into(),
        staff: StaffProfile {
            staff_id: "s1".into(),
            functions: [StaffFunction::DigihelseAdm].into(),
            departments: Default::default(),
            aj_departments: Default::default(),
        },
        origin: Origin::DialogWindow,
        citizen: CITIZEN.into(),
        service: service(),
        subject: SUBJECT.into(),
        body: BODY.into(),
        attachments: vec![attachment.clone()],
        in_reply_to: None,
    };
    let raw = serde_json::to_string(&envelope).expect("envelope");
    let parked = ParkedMessage {
        record: ParkedRecord {
            message_id: "hn-1".into(),
            source_queue: "InboundQueue".into(),
            kind: Some("dialog-message".into()),
            republished: 10,
            last_error: None,
            parked_at: ts("2026-03-01T10:00:00Z"),
        },
        body: raw.clone(),
    };
    let queued = QueuedMessage { message_id: "m".into(), receipt_handle: "h".into(), body: raw.clone(), republished: 0, source_queue: None };
    let record = RecordIn { sqs_message_id: "m".into(), body: raw.clone(), receive_count: 1 };
    let http = HttpRequest::new("POST", "/status-icon", raw.clone().into_bytes());
    let dialogmelding = Dialogmelding {
        sakstype: None,
        foresporsel: vec![Foresporsel { type_foresp: "DI".into(), subject: Some(SUBJECT.into()), question: Some(BODY.into()) }],
        notat: vec![Notat { tema_kodet: "X".into(), tema: Some(SUBJECT.into()), text: Some(BODY.into()) }],
    };
    let patient = Patient { family_name: Some(FAMILY.into()), given_name: Some(GIVEN.into()), idents: vec![fnr(CITIZEN)] };
    let relation = Relation { person: Some(fnr(REPRESENTATIVE)), relation: Some("FO".into()) };
    let document = Document {
        content_description: None,
        msg_type: "A".into(),
        mime_type: Some("application/pdf".into()),
        description: Some(FILE.into()),
        content: Content::Base64(format!("{GIVEN} {FAMILY}").into_bytes()),
    };

    let shown = [
        format!("{dialog:?}"),
        format!("{cancel:?}"),
        format!("{sender:?}"),
        format!("{envelope:?}"),
        format!("{journal:?}"),
        format!("{inbox:?}"),
        format!("{attachment:?}"),
        format!("{out:?}"),
        format!("{:?}", Outgoing::new("r-1", wire)),
        format!("{request:?}"),
        format!("{parked:?}"),
        format!("{queued:?}"),
        format!("{record:?}"),
        format!("{http:?}"),
        format!("{dialogmelding:?}"),
        format!("{:?}", Content::Dialog(dialogmelding.clone())),
        format!("{patient:?}"),
        format!("{relation:?}"),
        format!("{document:?}"),
        format!("{:?}", Content::FileReference(FILE.into())),
        format!("{:?}", shared::fixtures::dated("a1", &service(), ts("2026-03-01T10:00:00Z"))),
    ];
    for text in &shown {
        for value in personal() {
            assert!(!text.contains(value), "{value:?} appears in {text}");
        }
        assert!(text.contains("masked") || text.contains("******"), "something is shown in its place: {text}");
    }
}
