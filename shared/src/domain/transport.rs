//! Helsenorge's AMQP 1.0 transport, as NHN's Helsenorge.Messaging library defines it (R-TR-1..9,
//! docs/RULES.md; research with citations in docs/transport.md): the header a delivery must
//! carry, queue names and addresses, the reportable error conditions and the `_error` message
//! they become, and what is retried instead. Pure: no AMQP, CMS or AWS types.
//!
//! Sources (read, not copied): helsenorge/Helsenorge.Messaging `src/Helsenorge.Messaging/Amqp/
//! Receivers/MessageListener.cs` (header checks, error mapping), `Amqp/AmqpCore.cs`
//! (`SendErrorAsync`, `SendAsync`), `Amqp/AmqpConnection.cs` (`GetEntityName`).

use std::collections::BTreeMap;

use jiff::Timestamp;

/// The content type of a signed-then-enveloped CMS payload (R-TR-7).
pub const SIGNED_AND_ENVELOPED: &str = "application/pkcs7-mime; smime-type=signed-and-enveloped-data";

/// An application-property value as it arrived: the library writes strings, other clients may
/// send typed values; both are read (R-TR-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropValue {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// An AMQP timestamp (milliseconds since the epoch).
    Timestamp(i64),
}

impl PropValue {
    /// The value as text (a timestamp in the library's `yyyy-MM-ddTHH:mm:ssZ` form).
    pub fn as_text(&self) -> Option<String> {
        match self {
            Self::Str(s) => Some(s.clone()),
            Self::Int(i) => Some(i.to_string()),
            Self::Timestamp(ms) => Timestamp::from_millisecond(*ms).ok().map(format_time),
        }
    }
}

/// One AMQP message as the bridge sees it: the properties it uses, the application
/// properties, the header's TTL and the `data` body. The AMQP adapter maps it to and from the
/// wire; the body is never logged (its Debug shows the length only).
#[derive(Clone, PartialEq, Eq, Default)]
pub struct TransportMessage {
    /// `properties.message-id`.
    pub message_id: Option<String>,
    /// `properties.to`.
    pub to: Option<String>,
    /// `properties.subject`: the message function.
    pub subject: Option<String>,
    /// `properties.reply-to`.
    pub reply_to: Option<String>,
    /// `properties.correlation-id`.
    pub correlation_id: Option<String>,
    /// `properties.content-type`.
    pub content_type: Option<String>,
    /// `header.ttl` in milliseconds.
    pub ttl_ms: Option<u32>,
    /// Application properties.
    pub application: BTreeMap<String, PropValue>,
    /// The `data` section.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for TransportMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransportMessage")
            .field("message_id", &self.message_id)
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("application", &self.application.keys().collect::<Vec<_>>())
            .field("body_len", &self.body.len())
            .finish()
    }
}

impl TransportMessage {
    /// An application property as text.
    pub fn app(&self, name: &str) -> Option<String> {
        self.application.get(name).and_then(PropValue::as_text).filter(|s| !s.trim().is_empty())
    }

    /// Sets a string application property (the library writes strings only).
    pub fn set_app(&mut self, name: &str, value: impl Into<String>) {
        self.application.insert(name.to_string(), PropValue::Str(value.into()));
    }
}

/// The time format of `applicationTimeStamp`: `yyyy-MM-ddTHH:mm:ssK`, UTC as `Z`.
pub fn format_time(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A HER-id as the header carries it: a positive integer (the library reads 0 as missing).
fn her_id(value: Option<String>) -> Option<u64> {
    value.and_then(|v| v.trim().parse::<u64>().ok()).filter(|h| *h > 0)
}

/// The validated header of an inbound delivery (R-TR-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportHeader {
    /// Sender HER-id.
    pub from_her_id: u64,
    /// Receiver HER-id.
    pub to_her_id: u64,
    /// The message function (AMQP subject, the library's `Label`).
    pub function: String,
    /// `applicationTimeStamp` as sent.
    pub application_time_stamp: String,
    /// The content type.
    pub content_type: String,
    /// `cpaId`, when a non-empty one was sent.
    pub cpa_id: Option<String>,
    /// The message id, when sent.
    pub message_id: Option<String>,
    /// The correlation id, when sent.
    pub correlation_id: Option<String>,
}

impl TransportHeader {
    /// R-TR-1: `toHerId`, `fromHerId`, subject (`Label`), `applicationTimeStamp` and content type
    /// must all be present; every missing one is named, in the library's order and spelling.
    pub fn parse(m: &TransportMessage) -> Result<Self, TransportError> {
        let to = her_id(m.app("toHerId"));
        let from = her_id(m.app("fromHerId"));
        let function = m.subject.clone().filter(|s| !s.trim().is_empty());
        let stamp = m.app("applicationTimeStamp");
        let content_type = m.content_type.clone().filter(|s| !s.trim().is_empty());
        let mut missing = vec![];
        for (absent, name) in [
            (to.is_none(), "toHerId"),
            (from.is_none(), "fromHerId"),
            (function.is_none(), "Label"),
            (stamp.is_none(), "applicationTimeStamp"),
            (content_type.is_none(), "ContentType"),
        ] {
            if absent {
                missing.push(name);
            }
        }
        match (to, from, function, stamp, content_type) {
            (Some(to_her_id), Some(from_her_id), Some(function), Some(application_time_stamp), Some(content_type)) => Ok(Self {
                from_her_id,
                to_her_id,
                function,
                application_time_stamp,
                content_type,
                cpa_id: m.app("cpaId"),
                message_id: m.message_id.clone(),
                correlation_id: m.correlation_id.clone(),
            }),
            _ => Err(TransportError::MissingFields(missing)),
        }
    }
}

/// The queue names of one HER-id (R-TR-6): NHN registers them; `{herId}_async`, `_sync`,
/// `_error` is the convention and our default.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Queues {
    /// Asynchronous messages.
    pub asynchronous: String,
    /// Synchronous requests.
    pub synchronous: String,
    /// Error messages.
    pub error: String,
}

impl Queues {
    /// R-TR-6: the conventional names `{herId}_async`, `{herId}_sync`, `{herId}_error`.
    pub fn conventional(her_id: u64) -> Self {
        Self { asynchronous: format!("{her_id}_async"), synchronous: format!("{her_id}_sync"), error: format!("{her_id}_error") }
    }
}

/// R-TR-6: the source address a receiver link reads `queue` from (RabbitMQ dialect).
pub fn receive_address(namespace: &str, queue: &str) -> String {
    if namespace.is_empty() { queue.to_string() } else { format!("/amq/queue/{queue}") }
}

/// R-TR-6: the target address a sender link publishes to `queue` through (the exchange named
/// like the namespace, routing key = queue name).
pub fn send_address(namespace: &str, queue: &str) -> String {
    if namespace.is_empty() { queue.to_string() } else { format!("/exchange/{namespace}/{queue}") }
}

/// A reportable error condition, spelled as the library spells it (R-TR-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCondition {
    /// `transport:invalid-field-value`.
    InvalidFieldValue,
    /// `transport:missing-certificate`.
    MissingCertificate,
    /// `transport:expired-certificate`.
    ExpiredCertificate,
    /// `transport:invalid-certificate`.
    InvalidCertificate,
    /// `transport:revoked-certificate`.
    RevokedCertificate,
    /// `transport:not-well-formed-xml`.
    NotWellFormedXml,
    /// `transport:unsupported-message`.
    UnsupportedMessage,
    /// `abuse:spoofing-attack`.
    SpoofingAttack,
}

impl ErrorCondition {
    /// The wire value of `errorCondition`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidFieldValue => "transport:invalid-field-value",
            Self::MissingCertificate => "transport:missing-certificate",
            Self::ExpiredCertificate => "transport:expired-certificate",
            Self::InvalidCertificate => "transport:invalid-certificate",
            Self::RevokedCertificate => "transport:revoked-certificate",
            Self::NotWellFormedXml => "transport:not-well-formed-xml",
            Self::UnsupportedMessage => "transport:unsupported-message",
            Self::SpoofingAttack => "abuse:spoofing-attack",
        }
    }
}

/// One problem with a sender's certificate (checked before decrypting, R-TR-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertProblem {
    /// Not yet valid.
    NotYetValid,
    /// Expired.
    Expired,
    /// Lacks the key usage its role needs (NonRepudiation to sign, KeyEncipherment to encrypt).
    WrongUsage,
}

/// Why an inbound delivery could not be handed on. Texts carry no payload content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransportError {
    /// R-TR-1: header fields missing (named).
    #[error("one or more fields are missing: {0:?}")]
    MissingFields(Vec<&'static str>),
    /// The receiver HER-id is not one of ours.
    #[error("toHerId {0} is not served here")]
    UnknownReceiver(u64),
    /// Not a signed-and-enveloped payload.
    #[error("unsupported content type")]
    UnsupportedContent,
    /// No profile or no signature certificate for the sender.
    #[error("the sender's certificate is missing")]
    MissingCertificate,
    /// R-TR-9: the sender's certificate has these problems.
    #[error("the sender's certificate is not valid: {0:?}")]
    Certificate(Vec<CertProblem>),
    /// R-TR-7: decryption or signature verification failed (our words, no payload).
    #[error("{0}")]
    Security(String),
    /// The decrypted payload is not well-formed XML.
    #[error("the payload is not well-formed XML")]
    NotWellFormed,
    /// R-TR-5: the document's sender is not the `fromHerId`.
    #[error("the sender HER-id {0} does not match the document's sender")]
    Spoofing(u64),
    /// A fault that may pass (SQS down, registry down): retried (R-TR-4).
    #[error("transient: {0}")]
    Transient(String),
}

/// What goes to the sender's `_error` queue (R-TR-3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorReport {
    /// `errorCondition`.
    pub condition: ErrorCondition,
    /// `errorDescription`.
    pub description: String,
    /// The items of `errorConditionData` (joined with `;`, each followed by one).
    pub data: Vec<String>,
}

/// What the bridge does with a delivery that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// R-TR-3: send the report to the sender's `_error` queue, then accept.
    Report(ErrorReport),
    /// R-TR-4: leave it to the broker (release): redelivered, dead-lettered after its limit.
    Retry,
}

/// Classifies a failure once: reportable (R-TR-3) or retried (R-TR-4).
pub fn disposition(error: &TransportError) -> Disposition {
    use ErrorCondition as C;
    let report = |condition, description: &str, data: Vec<String>| {
        Disposition::Report(ErrorReport { condition, description: description.to_string(), data })
    };
    match error {
        TransportError::MissingFields(f) => {
            report(C::InvalidFieldValue, "One or more fields are missing", f.iter().map(|s| s.to_string()).collect())
        }
        TransportError::UnknownReceiver(h) => report(C::InvalidFieldValue, "Invalid receiver", vec!["toHerId".into(), h.to_string()]),
        TransportError::UnsupportedContent => report(C::UnsupportedMessage, "Unsupported content type", vec![]),
        TransportError::MissingCertificate => report(C::MissingCertificate, "Certificate is missing", vec![]),
        TransportError::Certificate(p) => match p.as_slice() {
            [CertProblem::NotYetValid] => report(C::ExpiredCertificate, "Invalid start date", vec![]),
            [CertProblem::Expired] => report(C::ExpiredCertificate, "Invalid end date", vec![]),
            [CertProblem::WrongUsage] => report(C::InvalidCertificate, "Invalid usage", vec![]),
            _ => report(C::InvalidCertificate, "More than one error with certificate", vec![]),
        },
        TransportError::Security(text) => report(C::InvalidCertificate, text, vec![]),
        TransportError::NotWellFormed => report(C::NotWellFormedXml, "The payload is not well-formed XML", vec![]),
        TransportError::Spoofing(_) => report(C::SpoofingAttack, "Sender HER-id does not match the message's sender", vec![]),
        TransportError::Transient(_) => Disposition::Retry,
    }
}

/// R-TR-3: the error message for `original`, as the library builds it: a new message with an
/// empty `data` body, id `new_id` (32 hex digits), subject = the original's, to = the sender's
/// error queue, HER-ids swapped, `originalMessageId`, time stamps, condition, description and
/// `errorConditionData` (only with items). `None` when the original names no sender (nowhere to
/// send it: log and accept).
pub fn error_message(original: &TransportMessage, sender_error_queue: &str, report: &ErrorReport, new_id: &str, now: Timestamp) -> Option<TransportMessage> {
    let from = her_id(original.app("fromHerId"))?;
    let mut m = TransportMessage {
        message_id: Some(new_id.to_string()),
        to: Some(sender_error_queue.to_string()),
        subject: original.subject.clone(),
        ..TransportMessage::default()
    };
    if let Some(to) = original.app("toHerId") {
        m.set_app("fromHerId", to);
    }
    m.set_app("toHerId", from.to_string());
    m.set_app("applicationTimeStamp", format_time(now));
    m.set_app("originalMessageId", original.message_id.clone().unwrap_or_default());
    m.set_app("receiverTimeStamp", now.strftime("%m/%d/%Y %H:%M:%S").to_string());
    m.set_app("errorCondition", report.condition.as_str());
    m.set_app("errorDescription", report.description.clone());
    if !report.data.is_empty() {
        m.set_app("errorConditionData", report.data.iter().map(|d| format!("{d};")).collect::<String>());
    }
    Some(m)
}

/// R-TR-5: the `fromHerId` must be one of the document's sender HER-ids.
pub fn sender_matches(from_her_id: u64, document_sender: &[&str]) -> Result<(), TransportError> {
    let from = from_her_id.to_string();
    if document_sender.iter().any(|h| *h == from) { Ok(()) } else { Err(TransportError::Spoofing(from_her_id)) }
}

#[cfg(test)]
#[path = "transport_tests.rs"]
mod tests;
