//! Outbound replies from staff: who may send, from where, to whom, and how big (R-ACC-1/2,
//! R-OUT-1/2/4).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::NationalId;
use super::receipt::{OutboundStatus, ReceiptFact, outbound_status};
use super::activation::{Activation, ActivationState, activation_state};
use super::consent::CitizenRecord;
use super::text::{TextError, check_text};
use super::masked::masked_debug;
use super::org::{ServiceKey, StaffProfile};

/// R-OUT-4: attachments total at most 12 MB: 12,000,000 bytes of decoded content (decimal
/// megabytes, as Helsenorge states the limit), measured on the content itself.
pub const MAX_ATTACHMENTS_BYTES: u64 = 12_000_000;
/// Media types an attachment may have.
pub const ALLOWED_MEDIA_TYPES: [&str; 5] = ["application/pdf", "image/jpeg", "image/png", "image/tiff", "text/plain"];

/// Where the reply was composed in the EPJ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// The citizen's dialog window: the only place a reply may come from (R-OUT-1).
    DialogWindow,
    /// The department inbox: refused (R-OUT-1).
    DepartmentInbox,
}

/// Why a reply is refused; sent back to the EPJ as a result, never retried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", content = "detail", rename_all = "kebab-case")]
pub enum ReplyRefusal {
    /// R-ACC-1: missing `digihelse_les`.
    #[error("the staff member lacks the function digihelse_les")]
    MissingDigihelseLes,
    /// R-ACC-2: no access to the department.
    #[error("the staff member has no access to the department")]
    NoDepartmentAccess,
    /// R-OUT-1: replies are sent from the dialog window only.
    #[error("replies can only be sent from the dialog window, not from the department inbox")]
    NotFromDialogWindow,
    /// R-OUT-2 / R-CIT-6: the national id is not valid.
    #[error("the citizen's national id is not valid: {0}")]
    InvalidNationalId(String),
    /// R-OUT-2: the citizen is unknown or has not consented.
    #[error("the citizen has not consented to digital dialog")]
    NoConsent,
    /// R-ACT-1/4: DigiHelse is not activated (or not yet synced) for the service.
    #[error("digital dialog is not activated for this service")]
    NotActivated,
    /// R-OUT-4: attachments too large.
    #[error("attachments total {total} bytes; at most 12 MB (12000000 bytes) is allowed")]
    AttachmentsTooLarge {
        /// Their decoded content's total size in bytes.
        total: u64,
    },
    /// An attachment's content is not base64 (1-based position).
    #[error("attachment {0} is not valid base64")]
    AttachmentNotBase64(usize),
    /// An attachment's media type is not allowed.
    #[error("attachment media type {0} is not allowed")]
    MediaTypeNotAllowed(String),
    /// Subject or body empty, too long, or with control characters.
    #[error("{0}")]
    Text(#[from] TextError),
    /// The request itself is malformed (a field missing, of the wrong type, or unknown).
    #[error("the reply request is invalid: {0}")]
    InvalidRequest(String),
}

impl ReplyRefusal {
    /// The reason in Norwegian, for the staff member in the EPJ.
    pub fn text_nb(&self) -> String {
        match self {
            Self::MissingDigihelseLes => "Du mangler funksjonen digihelse_les.".into(),
            Self::NoDepartmentAccess => "Du har ikke tilgang til avdelingen.".into(),
            Self::NotFromDialogWindow => "Svar kan bare sendes fra dialogvinduet, ikke fra avdelingsinnboksen.".into(),
            Self::InvalidNationalId(_) => "Innbyggerens fødselsnummer er ikke gyldig.".into(),
            Self::NoConsent => "Innbyggeren har ikke samtykket til digital dialog.".into(),
            Self::NotActivated => "Digital dialog er ikke aktivert for tjenesten.".into(),
            Self::AttachmentsTooLarge { .. } => "Vedleggene er til sammen større enn 12 MB.".into(),
            Self::AttachmentNotBase64(n) => format!("Innholdet i vedlegg {n} er ikke gyldig base64."),
            Self::MediaTypeNotAllowed(t) => format!("Vedlegg av typen {t} er ikke tillatt."),
            Self::Text(_) => "Emne eller tekst er tom, for lang eller har ugyldige tegn.".into(),
            Self::InvalidRequest(_) => "Forespørselen er ugyldig.".into(),
        }
    }
}

/// The version of the reply request this code reads.
pub const REQUEST_VERSION: u32 = 1;

/// A staff reply from the EPJ, as it sits on the outbound queue.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplyRequest {
    /// Must be [`REQUEST_VERSION`].
    pub version: u32,
    /// The EPJ's own id of the reply: the idempotency key and our message id toward Helsenorge.
    pub reply_id: String,
    /// Who sends it.
    pub staff: StaffProfile,
    /// Where it was composed.
    pub origin: Origin,
    /// The citizen's national id, as sent (validated under the configured mode).
    pub citizen: String,
    /// The service it concerns.
    pub service: ServiceKey,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// Attachments by reference.
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The inbound message it answers, if any.
    #[serde(default)]
    pub in_reply_to: Option<String>,
}

/// What the EPJ hears back about a reply request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyResult {
    /// The EPJ's reply id.
    pub reply_id: String,
    /// Sent or refused.
    pub outcome: ReplyOutcome,
    /// Why it was refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refusal: Option<ReplyRefusal>,
    /// A message for the staff member (Norwegian).
    pub message: String,
}

/// Sent or refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReplyOutcome {
    /// On its way to Helsenorge; watch the receipt status (R-OUT-3).
    Sent,
    /// Refused: not sent, and not retried.
    Refused,
}

/// An outbound reply as stored, with what is known of its receipt (R-OUT-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutboundMessage {
    /// Our message id toward Helsenorge (the EPJ's reply id).
    pub message_id: String,
    /// The citizen.
    pub citizen: NationalId,
    /// The service.
    pub service: ServiceKey,
    /// The EPJ staff id of the sender.
    pub staff_id: String,
    /// When it was sent.
    pub sent_at: Timestamp,
    /// What is known of its receipt.
    pub receipt: ReceiptFact,
}

impl OutboundMessage {
    /// R-OUT-3: the status shown, derived now from the receipt fact and the deadline.
    pub fn status(&self, now: Timestamp, deadline: SignedDuration) -> OutboundStatus {
        outbound_status(self.sent_at, &self.receipt, now, deadline)
    }
}

/// An attachment with its content, as the Dialogmelding carries it toward Helsenorge (base64 in
/// `RefDoc`). There is no declared size: the size is what the content decodes to (R-OUT-4).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Attachment {
    /// File name.
    pub name: String,
    /// Media type.
    pub media_type: String,
    /// The content, base64.
    pub content: Base64Content,
    /// Where the claim check keeps the content (then `content` is empty): only in a recorded
    /// answer, so the idempotency record stays under DynamoDB's 400 KB (R-OUT-4 allows 12 MB);
    /// a request naming it is refused (`check_limits`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stored: Option<super::claim_check::ClaimRef>,
}

masked_debug!(ReplyRequest { version, reply_id, staff, origin, service, attachments, in_reply_to } masking { citizen, subject, body });
masked_debug!(Attachment { media_type, content, stored } masking { name });

/// Base64 text (standard alphabet, padded; whitespace such as XML line breaks is ignored).
/// Its `Debug` shows only its length: the content is health data.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Base64Content(pub String);

impl std::fmt::Debug for Base64Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Base64Content({} chars)", self.0.len())
    }
}

impl Base64Content {
    /// How many bytes the content decodes to, measured on the text itself (no allocation);
    /// `None` when it is not valid base64.
    pub fn decoded_len(&self) -> Option<u64> {
        let (mut symbols, mut padding) = (0u64, 0u64);
        for b in self.0.bytes().filter(|b| !b.is_ascii_whitespace()) {
            match b {
                b'=' => padding += 1,
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'+' | b'/' if padding == 0 => symbols += 1,
                _ => return None,
            }
        }
        let chars = symbols + padding;
        (chars % 4 == 0 && padding <= 2 && (padding == 0 || symbols % 4 != 0)).then(|| chars / 4 * 3 - padding)
    }

    /// The decoded bytes; `None` when it is not valid base64.
    pub fn decode(&self) -> Option<Vec<u8>> {
        use base64::Engine;
        let compact: String = self.0.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(compact).ok()
    }
}

/// R-OUT-4 and the bounds on text: checks subject, body and attachments. The 12 MB are counted
/// on the decoded content of all attachments together.
pub fn check_limits(subject: &str, body: &str, attachments: &[Attachment]) -> Result<(), ReplyRefusal> {
    check_text(subject, body)?;
    if let Some(a) = attachments.iter().find(|a| !ALLOWED_MEDIA_TYPES.contains(&a.media_type.as_str())) {
        return Err(ReplyRefusal::MediaTypeNotAllowed(a.media_type.chars().take(80).collect()));
    }
    // Only the claim check sets `stored`; from the EPJ it would name an object we hold.
    if let Some(i) = attachments.iter().position(|a| a.stored.is_some()) {
        return Err(ReplyRefusal::AttachmentNotBase64(i + 1));
    }
    let mut total = 0u64;
    for (i, a) in attachments.iter().enumerate() {
        total = total.saturating_add(a.content.decoded_len().ok_or(ReplyRefusal::AttachmentNotBase64(i + 1))?);
    }
    if total > MAX_ATTACHMENTS_BYTES {
        return Err(ReplyRefusal::AttachmentsTooLarge { total });
    }
    Ok(())
}

/// R-ACC-1/2, R-OUT-1: may `staff` send a reply composed at `origin` about `service`?
pub fn authorize_staff(staff: &StaffProfile, origin: Origin, service: &ServiceKey) -> Result<(), ReplyRefusal> {
    if !staff.may_read_and_send() {
        return Err(ReplyRefusal::MissingDigihelseLes);
    }
    if !staff.has_department(&service.department) {
        return Err(ReplyRefusal::NoDepartmentAccess);
    }
    if origin != Origin::DialogWindow {
        return Err(ReplyRefusal::NotFromDialogWindow);
    }
    Ok(())
}

/// R-OUT-2, R-ACT-1/4: may the citizen (as synced) get a reply about a service whose stored
/// activation (for exactly that service) is `activation`?
pub fn authorize_citizen(citizen: Option<&CitizenRecord>, activation: Option<&Activation>) -> Result<(), ReplyRefusal> {
    if !citizen.is_some_and(CitizenRecord::has_consent) {
        return Err(ReplyRefusal::NoConsent);
    }
    if activation_state(activation) != ActivationState::Usable {
        return Err(ReplyRefusal::NotActivated);
    }
    Ok(())
}

/// R-ACC-1/2, R-OUT-1/2: both checks above.
pub fn authorize_reply(
    staff: &StaffProfile,
    origin: Origin,
    service: &ServiceKey,
    citizen: Option<&CitizenRecord>,
    activation: Option<&Activation>,
) -> Result<(), ReplyRefusal> {
    authorize_staff(staff, origin, service)?;
    authorize_citizen(citizen, activation)
}

#[cfg(test)]
mod tests;
