//! The Helsenorge bridge's ports (issue 18): counterparts' collaboration profiles, CMS
//! protection, the SQS queues on our side and the AMQP sender toward the Tjenestebuss. Each is
//! narrow and `Send + Sync`; in-memory adapters live in `adapters::memory_transport`, the real
//! ones in `functions/helsenorge-bridge` (OpenSSL, AMQP) and `adapters::aws::bridge_sqs`.

use std::future::Future;

use jiff::Timestamp;

use crate::domain::transport::{CertProblem, Queues, TransportMessage};
use crate::error::PortError;

/// A DER-encoded X.509 certificate. Debug shows its size only.
#[derive(Clone, PartialEq, Eq)]
pub struct CertDer(pub Vec<u8>);

impl std::fmt::Debug for CertDer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CertDer({} bytes)", self.0.len())
    }
}

impl CertDer {
    /// The first certificate of a PEM text (`-----BEGIN CERTIFICATE-----`).
    pub fn from_pem(pem: &str) -> Option<Self> {
        use base64::Engine as _;
        let start = pem.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
        let end = start + pem[start..].find("-----END CERTIFICATE-----")?;
        let b64: String = pem[start..end].chars().filter(|c| !c.is_whitespace()).collect();
        base64::engine::general_purpose::STANDARD.decode(b64).ok().map(Self)
    }
}

/// A counterpart's collaboration profile (from its CPA with us, else its CPP): where to send,
/// which certificates, under which CPA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// The counterpart's HER-id.
    pub her_id: u64,
    /// The CPA id, when a CPA (not only a CPP) was found.
    pub cpa_id: Option<String>,
    /// Its queues.
    pub queues: Queues,
    /// The certificate its signatures verify against (NonRepudiation).
    pub signing: Option<CertDer>,
    /// The certificate we encrypt for (KeyEncipherment).
    pub encryption: Option<CertDer>,
}

/// Counterparts' collaboration profiles (CPA/CPP).
pub trait CollaborationProfiles: Send + Sync {
    /// The profile of `theirs` as seen from our `ours`: by `cpa_id` when given, else the CPA for
    /// the pair, else the counterpart's CPP. `None` when it has none; an error when the
    /// registry could not be asked (retried).
    fn profile(&self, ours: u64, theirs: u64, cpa_id: Option<&str>) -> impl Future<Output = Result<Option<Profile>, PortError>> + Send;
}

/// The key usage a certificate must have for its role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyUsage {
    /// Signing (NonRepudiation).
    NonRepudiation,
    /// Encryption (KeyEncipherment).
    KeyEncipherment,
}

/// Why CMS protection or its removal failed (our words; never payload content).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtectionError {
    /// Not a CMS structure we read, or too large.
    #[error("the payload is not a CMS enveloped message")]
    Malformed,
    /// None of our keys opens it.
    #[error("the message could not be decrypted with our certificate ({0})")]
    Decrypt(String),
    /// It is not signed by the certificate of the sender's profile.
    #[error("the signer is not the expected certificate")]
    WrongSigner,
    /// The signature does not verify.
    #[error("the signature does not verify")]
    BadSignature,
    /// A certificate could not be read or used to protect.
    #[error("protecting the message failed ({0})")]
    Protect(String),
}

/// CMS sign-then-encrypt and decrypt-then-verify (R-TR-7), and certificate checks (R-TR-9).
/// Synchronous: CPU work.
pub trait MessageProtection: Send + Sync {
    /// Signs `content` with our key (attached), then encrypts it for `receiver` (AES-256-CBC).
    fn protect(&self, content: &[u8], receiver: &CertDer) -> Result<Vec<u8>, ProtectionError>;
    /// Decrypts with our current key, else the previous one, then verifies that `sender` signed.
    fn unprotect(&self, cms: &[u8], sender: &CertDer) -> Result<Vec<u8>, ProtectionError>;
    /// What is wrong with `cert` for `usage` at `now` (empty when nothing is).
    fn check(&self, cert: &CertDer, usage: KeyUsage, now: Timestamp) -> Vec<CertProblem>;
}

/// A plain MsgHead for InboundQueue with its transport attributes.
#[derive(Clone, PartialEq, Eq)]
pub struct InboundItem {
    /// The AMQP message id (logged; the consumer deduplicates on the MsgHead's id, R-IN-3).
    pub message_id: String,
    /// The XML.
    pub body: String,
    /// String message attributes, as inbound-message reads them (`messageFunction`, …).
    pub attributes: Vec<(String, String)>,
}

impl std::fmt::Debug for InboundItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InboundItem").field("message_id", &self.message_id).field("body_len", &self.body.len()).finish()
    }
}

/// InboundQueue (SQS): returns only once the queue has accepted the message (R-TR-2).
pub trait InboundSink: Send + Sync {
    /// Enqueues one message.
    fn enqueue(&self, item: &InboundItem) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// The AMQP sender toward the Tjenestebuss.
pub trait AmqpSender: Send + Sync {
    /// Sends `message` to `queue` (the adapter builds the address, R-TR-6). `Ok` only when the
    /// broker answered `accepted`; `rejected` is permanent, everything else transient.
    fn send(&self, queue: &str, message: &TransportMessage) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// One message from ToHelsenorgeQueue.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundItem {
    /// What deletes it.
    pub receipt: String,
    /// The KITH XML.
    pub body: String,
    /// Its string message attributes (`messageFunction`, `messageId`, `fromHerId`, …).
    pub attributes: Vec<(String, String)>,
}

impl std::fmt::Debug for OutboundItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboundItem").field("attributes", &self.attributes).field("body_len", &self.body.len()).finish()
    }
}

impl OutboundItem {
    /// An attribute's value.
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
    }
}

/// ToHelsenorgeQueue (SQS) as the bridge reads it.
pub trait OutboundSource: Send + Sync {
    /// Up to 10 messages (long poll).
    fn receive(&self) -> impl Future<Output = Result<Vec<OutboundItem>, PortError>> + Send;
    /// Deletes one, after the broker accepted it (R-TR-8).
    fn delete(&self, receipt: &str) -> impl Future<Output = Result<(), PortError>> + Send;
}
