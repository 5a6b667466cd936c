//! Messages: the versioned envelope that arrives from Helsenorge's bridge on the inbound queue,
//! and what goes back toward Helsenorge. What lands in the journal and the department inbox is in
//! [`super::journal`], the text rules in [`super::text`]; both are re-exported here.

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::appointment::AssignmentId;
use super::national_id::NationalId;
use super::masked::{Masked, masked_debug};
use super::org::ServiceKey;
use super::receipt::{AppRec, AppRecError};
pub use super::journal::{Author, EntryKind, InboxItem, JournalEntry};
pub use super::text::{MAX_BODY_CHARS, MAX_SUBJECT_CHARS, TextError, check_text};

/// The envelope version this code reads and writes.
pub const ENVELOPE_VERSION: u32 = 1;
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
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// Whether `id` is usable as a message id (1-128 of A-Z a-z 0-9 - _ . :).
pub fn valid_message_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_MESSAGE_ID_LEN
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
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

/// A message helsedialog sends: toward Helsenorge (the ToHelsenorge queue, read by the bridge)
/// or back to the EPJ (the EpjResults queue).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
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

masked_debug!(WireMessage { attributes } masking { body });

impl std::fmt::Debug for InboundMessage {
    /// The citizen's id and the text show only their sizes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::DialogMessage { citizen, sender, service, subject, body } => f
                .debug_struct("DialogMessage")
                .field("citizen", &Masked(citizen))
                .field("sender", sender)
                .field("service", service)
                .field("subject", &Masked(subject))
                .field("body", &Masked(body))
                .finish(),
            Self::CancelAppointment { citizen, sender, service, assignment } => f
                .debug_struct("CancelAppointment")
                .field("citizen", &Masked(citizen))
                .field("sender", sender)
                .field("service", service)
                .field("assignment", assignment)
                .finish(),
            Self::CancelPeriod { citizen, sender, service, from, to } => f
                .debug_struct("CancelPeriod")
                .field("citizen", &Masked(citizen))
                .field("sender", sender)
                .field("service", service)
                .field("from", from)
                .field("to", to)
                .finish(),
            Self::Apprec { answers_message_id, status, errors } => f
                .debug_struct("Apprec")
                .field("answers_message_id", answers_message_id)
                .field("status", status)
                .field("errors", errors)
                .finish(),
        }
    }
}

impl std::fmt::Debug for RawSender {
    /// A representative's id shows only its size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Citizen => f.write_str("Citizen"),
            Self::Representative { representative } => {
                f.debug_struct("Representative").field("representative", &Masked(representative)).finish()
            }
        }
    }
}

impl std::fmt::Debug for OutMessage {
    /// A dialog message's text shows only its size (the citizen's id masks itself).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Apprec(a) => f.debug_tuple("Apprec").field(a).finish(),
            Self::DialogMessage { message_id, in_reply_to, citizen, service, subject, body, attachments } => f
                .debug_struct("DialogMessage")
                .field("message_id", message_id)
                .field("in_reply_to", in_reply_to)
                .field("citizen", citizen)
                .field("service", service)
                .field("subject", &Masked(subject))
                .field("body", &Masked(body))
                .field("attachments", attachments)
                .finish(),
            Self::ReplyResult(r) => f.debug_tuple("ReplyResult").field(r).finish(),
            Self::Wire(w) => f.debug_tuple("Wire").field(w).finish(),
        }
    }
}

#[cfg(test)]
mod tests;
