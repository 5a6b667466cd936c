//! Messages: the versioned envelope that arrives from Helsenorge's bridge on the inbound queue,
//! what goes back toward Helsenorge, and what lands in the journal and the department inbox.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::appointment::AssignmentId;
use super::consent::Sender;
use super::national_id::NationalId;
use super::org::{DepartmentCode, ServiceKey};
use super::receipt::{AppRec, AppRecError};

/// The envelope version this code reads and writes.
pub const ENVELOPE_VERSION: u32 = 1;
/// Longest subject, in characters (inbound and outbound).
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest body, in characters (inbound and outbound).
pub const MAX_BODY_CHARS: usize = 20_000;
/// Longest message id accepted.
pub const MAX_MESSAGE_ID_LEN: usize = 128;
/// The grading every DigiHelse journal entry and inbox item carries (R-IN-1).
pub const GRADING_AJ: &str = "AJ";

/// An inbound message from Helsenorge's bridge, as it sits in the SQS body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InboundEnvelope {
    /// Must be [`ENVELOPE_VERSION`].
    pub version: u32,
    /// Helsenorge's message id: the idempotency key (R-IN-3).
    pub message_id: String,
    /// When Helsenorge sent it.
    pub sent_at: Timestamp,
    /// The message.
    pub message: InboundMessage,
}

/// The kinds of inbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum InboundMessage {
    /// A dialog message from a citizen or their representative (R-IN-1, R-CIT-2/4).
    #[serde(rename_all = "camelCase")]
    DialogMessage {
        /// The citizen's national id, as sent (validated by the use case under the configured mode).
        citizen: String,
        /// Who wrote it.
        sender: RawSender,
        /// The service it is for (the department inbox it goes to).
        service: ServiceKey,
        /// Subject.
        subject: String,
        /// Body.
        body: String,
    },
    /// Cancel one appointment (R-APT-2/3).
    #[serde(rename_all = "camelCase")]
    CancelAppointment {
        /// The citizen.
        citizen: String,
        /// Who cancels.
        sender: RawSender,
        /// The service.
        service: ServiceKey,
        /// The assignment.
        assignment: AssignmentId,
    },
    /// Cancel every appointment in a period of Oslo days, inclusive (R-APT-4).
    #[serde(rename_all = "camelCase")]
    CancelPeriod {
        /// The citizen.
        citizen: String,
        /// Who cancels.
        sender: RawSender,
        /// The service.
        service: ServiceKey,
        /// First day (Oslo).
        from: Date,
        /// Last day (Oslo), inclusive.
        to: Date,
    },
    /// Helsenorge's receipt for one of our outbound messages (R-OUT-3).
    #[serde(rename_all = "camelCase")]
    Apprec {
        /// Our outbound message id it answers.
        answers_message_id: String,
        /// Status.
        status: super::receipt::AppRecStatus,
        /// Error lines.
        #[serde(default)]
        errors: Vec<AppRecError>,
    },
}

/// The sender as it arrives (ids unvalidated).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RawSender {
    /// The citizen.
    Citizen,
    /// A representative acting for the citizen.
    Representative {
        /// The representative's national id.
        representative: String,
    },
}

impl InboundMessage {
    /// The kind, as in the envelope.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::DialogMessage { .. } => "dialog-message",
            Self::CancelAppointment { .. } => "cancel-appointment",
            Self::CancelPeriod { .. } => "cancel-period",
            Self::Apprec { .. } => "apprec",
        }
    }
}

/// Why an envelope could not be read. The text never quotes the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Not JSON, or not the envelope's shape.
    #[error("the message is not a valid envelope: {0}")]
    Malformed(String),
    /// A version this code does not read.
    #[error("envelope version {0} is not supported (expected 1)")]
    UnsupportedVersion(u64),
    /// The message id is missing, empty, too long or has odd characters.
    #[error("the message id is missing or invalid")]
    MessageId,
}

/// What could be read of a message even when the rest is bad: enough to answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeHead {
    /// The message id, when present and well-formed.
    pub message_id: Option<String>,
    /// The kind, when present.
    pub kind: Option<String>,
}

/// Whether `id` is usable as a message id (1-128 of A-Z a-z 0-9 - _ . :).
pub fn valid_message_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_MESSAGE_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// Reads the id and kind of a body that may be otherwise invalid.
pub fn envelope_head(body: &str) -> EnvelopeHead {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let message_id = v.get("messageId").and_then(|m| m.as_str()).filter(|m| valid_message_id(m)).map(str::to_string);
    let kind = v
        .get("message")
        .and_then(|m| m.get("kind"))
        .and_then(|k| k.as_str())
        .filter(|k| k.len() <= 40 && k.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'))
        .map(str::to_string);
    EnvelopeHead { message_id, kind }
}

/// Parses an SQS body into an envelope.
pub fn parse_envelope(body: &str) -> Result<InboundEnvelope, EnvelopeError> {
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| EnvelopeError::Malformed(describe_json_error(&e)))?;
    match v.get("version").and_then(|x| x.as_u64()) {
        Some(1) => {}
        Some(n) => return Err(EnvelopeError::UnsupportedVersion(n)),
        None => return Err(EnvelopeError::Malformed("version is missing".into())),
    }
    let env: InboundEnvelope =
        serde_json::from_value(v).map_err(|e| EnvelopeError::Malformed(describe_json_error(&e)))?;
    if !valid_message_id(&env.message_id) {
        return Err(EnvelopeError::MessageId);
    }
    Ok(env)
}

/// serde's error text without quoted values: serde_json quotes values in double quotes (they
/// could be personal) and field names in backticks (kept, shortened: support needs them).
pub fn describe_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let mut out = String::new();
    let mut quote: Option<char> = None;
    let mut kept = 0;
    for ch in text.chars() {
        match (quote, ch) {
            (None, '"' | '`') => {
                quote = Some(ch);
                kept = 0;
                out.push(ch);
                if ch == '"' {
                    out.push('…');
                }
            }
            (Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (Some('`'), c) if kept < 40 && !c.is_ascii_digit() => {
                kept += 1;
                out.push(c);
            }
            (Some(_), _) => {}
            (None, c) => out.push(c),
        }
    }
    out.chars().take(200).collect()
}

/// Checks the text of a message: 1..=200 characters of subject, 1..=20,000 of body, and no
/// control characters but line breaks and tabs.
pub fn check_text(subject: &str, body: &str) -> Result<(), TextError> {
    let bad_control = |s: &str| s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
    if subject.trim().is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(TextError::SubjectLength);
    }
    if body.trim().is_empty() || body.chars().count() > MAX_BODY_CHARS {
        return Err(TextError::BodyLength);
    }
    if bad_control(subject) || bad_control(body) {
        return Err(TextError::ControlCharacters);
    }
    Ok(())
}

/// What is wrong with a message's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "kebab-case")]
pub enum TextError {
    /// Subject empty or too long.
    #[error("the subject must have 1 to 200 characters")]
    SubjectLength,
    /// Body empty or too long.
    #[error("the body must have 1 to 20000 characters")]
    BodyLength,
    /// Control characters other than line breaks and tabs.
    #[error("the text contains control characters")]
    ControlCharacters,
}

/// Who wrote a journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "kebab-case")]
pub enum Author {
    /// The citizen.
    Citizen,
    /// A representative for the citizen (R-CIT-4: journaled on the citizen, with who wrote it).
    Representative {
        /// The representative.
        representative: NationalId,
    },
    /// A staff member (EPJ staff id).
    #[serde(rename_all = "camelCase")]
    Staff {
        /// Staff id.
        staff_id: String,
    },
    /// helsedialog itself (return messages, notices).
    System,
}

impl From<Sender> for Author {
    fn from(s: Sender) -> Self {
        match s {
            Sender::Citizen => Self::Citizen,
            Sender::Representative { representative } => Self::Representative { representative },
        }
    }
}

/// What a journal entry or inbox item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A dialog message from the citizen.
    DialogMessage,
    /// A cancellation of one dated appointment (R-APT-2).
    Cancellation,
    /// A cancellation of a period: the service pauses (R-APT-4).
    PeriodCancellation,
    /// The return message for a refused cancellation (R-APT-3).
    ReturnMessage,
    /// A reply from staff.
    Reply,
    /// A kept cancellation whose assignment the EPJ moved when it re-dated the plan: staff
    /// must decide whether it still holds (R-APT-5).
    RedateFlag,
}

/// An entry in the citizen's administrative journal (R-IN-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// The message id.
    pub message_id: String,
    /// Journaled on this citizen (never on a representative, R-CIT-4).
    pub citizen: NationalId,
    /// The service.
    pub service: ServiceKey,
    /// What it is.
    pub kind: EntryKind,
    /// Who wrote it.
    pub author: Author,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// Always `AJ`.
    pub grading: String,
    /// When.
    pub at: Timestamp,
}

impl JournalEntry {
    /// Who wrote it, for display (a representative's id masked).
    pub fn author_label(&self) -> String {
        match &self.author {
            Author::Citizen => "citizen".into(),
            Author::Representative { representative } => format!("representative {representative}"),
            Author::Staff { staff_id } => format!("staff {staff_id}"),
            Author::System => "system".into(),
        }
    }
}

/// An item in a department's inbox, graded `AJ` (R-IN-1). Follow-up is not tied to one person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxItem {
    /// The department.
    pub department: DepartmentCode,
    /// The message id (with a suffix for a second item of one message).
    pub message_id: String,
    /// The citizen.
    pub citizen: NationalId,
    /// The service.
    pub service: ServiceKey,
    /// What it is.
    pub kind: EntryKind,
    /// Subject shown in the inbox.
    pub subject: String,
    /// Always `AJ`.
    pub grading: String,
    /// When.
    pub at: Timestamp,
}

/// A message helsedialog sends: toward Helsenorge (the ToHelsenorge queue, read by the bridge)
/// or back to the EPJ (the EpjResults queue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum OutMessage {
    /// An application receipt (to Helsenorge).
    Apprec(AppRec),
    /// A dialog message to the citizen: a staff reply or a return message (to Helsenorge).
    /// Nothing else tells the citizen it arrived: Helsenorge notifies them by SMS or e-mail as
    /// their settings say (R-OUT-5), so no notification is sent from here.
    #[serde(rename_all = "camelCase")]
    DialogMessage {
        /// Our message id.
        message_id: String,
        /// The inbound message it answers, if any.
        in_reply_to: Option<String>,
        /// The citizen.
        citizen: NationalId,
        /// The service.
        service: ServiceKey,
        /// Subject.
        subject: String,
        /// Body.
        body: String,
        /// Attachments with their content (base64, as `RefDoc` carries it).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        attachments: Vec<super::reply::Attachment>,
    },
    /// The result of a staff reply request (to the EPJ).
    ReplyResult(super::reply::ReplyResult),
    /// A document as it goes on Helsenorge's wire (KITH XML) with its transport attributes,
    /// rendered once at the edge and stored, so a resend sends the same bytes.
    Wire(WireMessage),
}

/// A rendered wire message: the body and the transport metadata the bridge carries as AMQP
/// properties (`messageFunction`, `fromHerId`, `toHerId`, `cpaId`, `messageId`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WireMessage {
    /// The document.
    pub body: String,
    /// Name/value pairs, sent as SQS message attributes.
    pub attributes: Vec<(String, String)>,
}

/// Where an [`OutMessage`] goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Destination {
    /// Helsenorge's bridge.
    Helsenorge,
    /// The EPJ.
    Epj,
}

impl OutMessage {
    /// Where it goes.
    pub fn destination(&self) -> Destination {
        match self {
            Self::Apprec(_) | Self::DialogMessage { .. } | Self::Wire(_) => Destination::Helsenorge,
            Self::ReplyResult(_) => Destination::Epj,
        }
    }
}

/// One message for the outbox, with the id it is deduplicated by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outgoing {
    /// A stable id (the SQS batch entry id and the bridge's dedup key).
    pub id: String,
    /// Envelope version.
    pub version: u32,
    /// The message.
    pub message: OutMessage,
}

impl Outgoing {
    /// Wraps a message with its stable id.
    pub fn new(id: impl Into<String>, message: OutMessage) -> Self {
        Self { id: id.into(), version: ENVELOPE_VERSION, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIALOG: &str = r#"{"version":1,"messageId":"hn-1","sentAt":"2026-03-01T10:00:00Z",
      "message":{"kind":"dialog-message","citizen":"30108299920","sender":{"role":"citizen"},
      "service":{"department":"115","serviceType":"HS"},"subject":"Hei","body":"Tekst"}}"#;

    #[test]
    fn r_in_1_envelope_parses_each_kind() {
        let e = parse_envelope(DIALOG).unwrap();
        assert_eq!(e.message.kind(), "dialog-message");
        let cancel = r#"{"version":1,"messageId":"hn-2","sentAt":"2026-03-01T10:00:00Z",
          "message":{"kind":"cancel-period","citizen":"30108299920","sender":{"role":"citizen"},
          "service":{"department":"115","serviceType":"HS"},"from":"2026-03-02","to":"2026-03-04"}}"#;
        assert_eq!(parse_envelope(cancel).unwrap().message.kind(), "cancel-period");
        let apprec = r#"{"version":1,"messageId":"hn-3","sentAt":"2026-03-01T10:00:00Z",
          "message":{"kind":"apprec","answersMessageId":"out-1","status":"ok"}}"#;
        assert_eq!(parse_envelope(apprec).unwrap().message.kind(), "apprec");
    }

    #[test]
    fn envelope_errors_do_not_quote_input() {
        let unknown = DIALOG.replace("\"subject\"", "\"extra\":\"30108299920\",\"subject\"");
        let e = parse_envelope(&unknown).unwrap_err();
        assert!(matches!(e, EnvelopeError::Malformed(_)), "{e}");
        let wrong_type = DIALOG.replace("\"Tekst\"", "42");
        let e = parse_envelope(&wrong_type).unwrap_err().to_string();
        assert!(!e.contains("30108299920"));
        assert_eq!(
            parse_envelope(&DIALOG.replace("\"version\":1", "\"version\":2")),
            Err(EnvelopeError::UnsupportedVersion(2))
        );
        assert_eq!(parse_envelope(&DIALOG.replace("hn-1", "")), Err(EnvelopeError::MessageId));
        assert!(matches!(parse_envelope("{"), Err(EnvelopeError::Malformed(_))));
        let no_id_leak = parse_envelope(r#"{"version":1,"messageId":"x","sentAt":"30108299920"}"#).unwrap_err();
        assert!(!no_id_leak.to_string().contains("30108299920"), "{no_id_leak}");
        let field = parse_envelope(&DIALOG.replace("\"subject\"", "\"priority\":1,\"subject\"")).unwrap_err();
        assert!(field.to_string().contains("`priority`"), "field names are kept: {field}");
        let key_id = parse_envelope(&DIALOG.replace("\"subject\"", "\"30108299920\":1,\"subject\"")).unwrap_err();
        assert!(!key_id.to_string().contains("30108299920"), "digits in keys are cut: {key_id}");
    }

    #[test]
    fn head_is_read_from_a_broken_message() {
        let h = envelope_head(r#"{"messageId":"hn-9","message":{"kind":"dialog-message","citizen":5}}"#);
        assert_eq!(h.message_id.as_deref(), Some("hn-9"));
        assert_eq!(h.kind.as_deref(), Some("dialog-message"));
        assert_eq!(envelope_head("not json"), EnvelopeHead { message_id: None, kind: None });
        assert_eq!(envelope_head(r#"{"messageId":"<script>"}"#).message_id, None);
    }

    #[test]
    fn text_limits_and_control_characters() {
        assert_eq!(check_text("Hei", "linje 1\nlinje 2\tx"), Ok(()));
        assert_eq!(check_text("", "b"), Err(TextError::SubjectLength));
        assert_eq!(check_text("s", &"b".repeat(MAX_BODY_CHARS + 1)), Err(TextError::BodyLength));
        assert_eq!(check_text("s", &"b".repeat(MAX_BODY_CHARS)), Ok(()));
        assert_eq!(check_text("s\u{0007}", "b"), Err(TextError::ControlCharacters));
        assert_eq!(check_text("<script>alert(1)</script>", "'; DROP TABLE x; --"), Ok(()), "markup is data");
    }

    proptest::proptest! {
        #[test]
        fn envelope_parser_never_panics(s in "\\PC{0,300}") {
            let _ = parse_envelope(&s);
            let _ = envelope_head(&s);
        }
    }
}
