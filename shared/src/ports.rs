//! Ports: the narrow async traits the use cases are generic over. Each has an in-memory adapter
//! (`adapters::memory`) and, behind the `aws` feature, a DynamoDB or SQS one.

use std::future::Future;

use jiff::Timestamp;

use crate::domain::appointment::{Assignment, Cancellation};
use crate::domain::dead_letter::{Alert, RecordedError};
use crate::domain::message::{InboxItem, JournalEntry, Outgoing};
use crate::domain::receipt::ReceiptFact;
use crate::domain::reply::OutboundMessage;
use crate::domain::{Activation, CitizenRecord, NationalId, ServiceKey};
use crate::error::PortError;

mod inspect;
mod seed;
mod sync;
pub use inspect::Inspect;
pub use seed::Seed;
pub use sync::{ActivationStore, AktivClient, ChunkQueue, CitizenReader, SyncStore, SyncUpdate};

/// The time now; injected so tests can move it.
pub trait Clock: Send + Sync {
    /// Now.
    fn now(&self) -> Timestamp;
}

/// What one read returns for the consent gate.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GateFacts {
    /// The citizen's record, if known.
    pub citizen: Option<CitizenRecord>,
    /// The activation stored for exactly the service, if any (R-ACT-1).
    pub activation: Option<Activation>,
    /// The message's idempotency record, when one was asked for and exists (R-IN-3): a
    /// redelivered duplicate is answered from it on this one read.
    pub processed: Option<Processed>,
}

/// Reads what the consent gate needs, in one round trip.
pub trait GateReader: Send + Sync {
    /// The citizen's record and the activation of `service`, and the idempotency record of
    /// `message_id` when given (R-IN-3: a duplicate costs this one read).
    fn gate_facts(
        &self,
        citizen: &NationalId,
        service: &ServiceKey,
        message_id: Option<&str>,
    ) -> impl Future<Output = Result<GateFacts, PortError>> + Send;
}

/// How an inbound message ended, kept with its idempotency record so that a redelivery
/// answers with the same receipt (and return message) instead of processing it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    /// The Helsenorge message id.
    pub message_id: String,
    /// What goes back toward Helsenorge for it (the AppRec, and a return message if any).
    pub outgoing: Vec<Outgoing>,
    /// When it was first processed.
    pub processed_at: Timestamp,
    /// Whether the outgoing messages are known to be sent.
    pub sent: bool,
}

/// What a write keyed by message id found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// This call wrote it.
    New,
    /// It was written before (a redelivery); here is what was recorded then.
    Existing(Processed),
}

/// Everything one admitted or answered inbound message writes, in one transaction (R-IN-1/3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The idempotency key (Helsenorge's message id).
    pub message_id: String,
    /// What goes back toward Helsenorge: the AppRec first.
    pub outgoing: Vec<Outgoing>,
    /// Entries for the citizen's administrative journal.
    pub journal: Vec<JournalEntry>,
    /// Items for department inboxes.
    pub inbox: Vec<InboxItem>,
    /// Assignments changed by a cancellation (R-APT-2/4), written with it (at most
    /// [`MAX_ASSIGNMENTS_PER_WRITE`]; the rest go ahead through
    /// [`AppointmentStore::write_assignments`]).
    pub assignments: Vec<(NationalId, Assignment)>,
    /// A cancellation to keep (R-APT-5).
    pub cancellation: Option<(NationalId, Cancellation)>,
    /// The version of the cancellation's plan the assignments were computed from: the delivery
    /// is written only if the plan is still at it ([`PortError::Conflict`] otherwise), and
    /// moves it on, so a re-dating that read the plan before cannot overwrite the lapse marks
    /// (R-APT-5).
    pub plan_version: Option<u64>,
    /// An outbound reply to record with status Sent (R-OUT-3).
    pub outbound: Option<OutboundMessage>,
    /// When.
    pub at: Timestamp,
}

impl Delivery {
    /// A delivery that only answers (a rejection, a refusal, the communication test): nothing
    /// journaled or delivered, the answers recorded once under `message_id`.
    pub fn answers_only(message_id: impl Into<String>, outgoing: Vec<Outgoing>, at: Timestamp) -> Self {
        Self {
            message_id: message_id.into(),
            outgoing,
            journal: vec![],
            inbox: vec![],
            assignments: vec![],
            cancellation: None,
            plan_version: None,
            outbound: None,
            at,
        }
    }
}

/// The message flow's store: journal, inbox, appointments and idempotency records.
pub trait MessageStore: Send + Sync {
    /// Writes `delivery` atomically, keyed by its message id; a redelivery writes nothing and
    /// returns what was recorded the first time (R-IN-3).
    fn record(&self, delivery: &Delivery) -> impl Future<Output = Result<Recorded, PortError>> + Send;

    /// Marks the outgoing messages of these inbound messages as sent, `at` (the caller's clock;
    /// the mark's expiry counts from it).
    fn mark_sent(&self, message_ids: &[String], at: Timestamp) -> impl Future<Output = Result<(), PortError>> + Send;

    /// R-OUT-3: sets the sending side's fact on these outbound messages (`SendFailed` when an
    /// attempt to hand them on failed, `Awaiting` when a resend went out), only where no AppRec
    /// has set one ([`ReceiptFact::is_send_side`]); ids without an outbound record are skipped.
    fn note_send(&self, outbound_ids: &[String], fact: &ReceiptFact) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// The most assignments one write carries. DynamoDB takes at most 100 items in a transaction;
/// a delivery adds up to 7 of its own (idempotency record, journal entry, inbox item, kept
/// cancellation, plan version, outbound record, the citizen's last-message time), a chunk one
/// (the plan version's check).
pub const MAX_ASSIGNMENTS_PER_WRITE: usize = 90;

/// A citizen's plan for one service as read, with the version every write to it is
/// conditional on (R-APT-4/5).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The assignments.
    pub assignments: Vec<Assignment>,
    /// The cancellations kept for it (R-APT-5).
    pub cancellations: Vec<Cancellation>,
    /// 0 for a plan never written; each re-dating and each cancellation moves it on by one.
    pub version: u64,
}

/// The work plan of a citizen.
pub trait AppointmentStore: Send + Sync {
    /// The citizen's plan for a service, its kept cancellations and its version (one read).
    fn plan(&self, citizen: &NationalId, service: &ServiceKey) -> impl Future<Output = Result<Plan, PortError>> + Send;

    /// Writes at most [`MAX_ASSIGNMENTS_PER_WRITE`] assignments if the plan is still at
    /// `version` ([`PortError::Conflict`] otherwise), leaving the version as it is: the part of
    /// a large cancellation that does not fit in its delivery, written first. Idempotent.
    fn write_assignments(
        &self,
        citizen: &NationalId,
        service: &ServiceKey,
        version: u64,
        assignments: &[Assignment],
    ) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Replaces the plan (the EPJ re-dates it) if it is still at `version`, and moves it to
    /// the next version; [`PortError::Conflict`] otherwise. The caller re-applies the kept
    /// cancellations first (R-APT-5).
    fn replace_plan(
        &self,
        citizen: &NationalId,
        service: &ServiceKey,
        version: u64,
        plan: &[Assignment],
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// What happened to a receipt for one of our outbound messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptApplied {
    /// The outbound message's status was updated.
    Updated,
    /// No outbound message has that id; the AppRec was recorded for support.
    UnknownMessage,
}

/// Receipt status of outbound replies (R-OUT-3).
pub trait OutboundStore: Send + Sync {
    /// One outbound reply.
    fn reply(&self, message_id: &str) -> impl Future<Output = Result<Option<OutboundMessage>, PortError>> + Send;

    /// Applies an arriving AppRec to the outbound message it answers.
    fn apply_receipt(
        &self,
        answers_message_id: &str,
        fact: &ReceiptFact,
    ) -> impl Future<Output = Result<ReceiptApplied, PortError>> + Send;
}

/// Sends messages toward Helsenorge (ToHelsenorge queue) and back to the EPJ (EpjResults queue).
pub trait HelsenorgeOutbox: Send + Sync {
    /// Sends all, in as few calls as the transport allows; returns the ids of those that could
    /// not be sent (the caller retries them).
    fn send(&self, messages: &[Outgoing]) -> impl Future<Output = Result<Vec<String>, PortError>> + Send;
}

/// Records failed records for support and the republisher (R-DLQ-4).
pub trait DeadLetterLog: Send + Sync {
    /// Records one failure.
    fn record(&self, error: &RecordedError) -> impl Future<Output = Result<(), PortError>> + Send;

    /// The last failure recorded for a message id.
    fn recorded(&self, message_id: &str) -> impl Future<Output = Result<Option<RecordedError>, PortError>> + Send;
}

/// Where alerts go (R-DLQ-3..5).
pub trait AlertSink: Send + Sync {
    /// Sends one alert.
    fn send(&self, alert: &Alert) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// A message taken from a dead-letter (or parked) queue.
#[derive(Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    /// SQS message id.
    pub message_id: String,
    /// What deletes it.
    pub receipt_handle: String,
    /// The body, untouched.
    pub body: String,
    /// The `republish-count` attribute (0 when never republished).
    pub republished: u32,
    /// The `source-queue` attribute, when set (on parked messages).
    pub source_queue: Option<String>,
}

crate::domain::masked::masked_debug!(QueuedMessage { message_id, receipt_handle, republished, source_queue } masking { body });

/// The queues the republisher moves messages between (receive, send first, delete after).
pub trait Requeue: Send + Sync {
    /// Up to 10 visible messages of `queue_url`.
    fn receive(&self, queue_url: &str) -> impl Future<Output = Result<Vec<QueuedMessage>, PortError>> + Send;

    /// Sends `body` to `queue_url` with the republish counter (and where it came from),
    /// delayed; returns the new message's id.
    fn send(
        &self,
        queue_url: &str,
        body: &str,
        republished: u32,
        source_queue: &str,
        delay_secs: u32,
    ) -> impl Future<Output = Result<String, PortError>> + Send;

    /// Deletes a received message.
    fn delete(&self, queue_url: &str, receipt_handle: &str) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// Parked messages, kept durably with their bodies until support sends them back or resolves
/// them (R-DLQ-2), listed for the summary (R-DLQ-5).
pub trait ParkedStore: Send + Sync {
    /// Keeps a parked message with its body, once per message id: parking the same id again
    /// (a republisher run that crashed before deleting the dead letter) changes nothing.
    fn park(&self, message: &crate::domain::dead_letter::ParkedMessage) -> impl Future<Output = Result<(), PortError>> + Send;
    /// Everything parked now, oldest first, without bodies.
    fn parked(&self) -> impl Future<Output = Result<Vec<crate::domain::dead_letter::ParkedRecord>, PortError>> + Send;
    /// One parked message with its body; `None` for an id that is not parked.
    fn parked_message(
        &self,
        message_id: &str,
    ) -> impl Future<Output = Result<Option<crate::domain::dead_letter::ParkedMessage>, PortError>> + Send;
    /// Removes a parked message (sent back or resolved); `false` when it was not parked.
    fn unpark(&self, message_id: &str) -> impl Future<Output = Result<bool, PortError>> + Send;
}

/// Which service a HER-id of ours stands for, and back (EPJ data, loaded with the record cards
/// and activations; never code). The KITH edge routes by the receiver's HER-id.
pub trait HerDirectory: Send + Sync {
    /// The service the HER-id receives for.
    fn service_of(&self, her_id: &str) -> impl Future<Output = Result<Option<crate::domain::ServiceKey>, PortError>> + Send;
    /// The HER-id (and its organisation names, level 1 and 2) a service sends from.
    fn her_of(&self, service: &crate::domain::ServiceKey) -> impl Future<Output = Result<Option<HerEntry>, PortError>> + Send;
}

/// One HER-id of the municipality and the service it stands for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HerEntry {
    /// The service's HER-id (level 2, the department's communication party).
    pub her_id: String,
    /// Its name (e.g. "Hjemmesykepleien sone 115").
    pub name: String,
    /// The municipality's HER-id (level 1).
    pub parent_her_id: String,
    /// The municipality's name.
    pub parent_name: String,
    /// The service.
    pub service: crate::domain::ServiceKey,
}

pub mod epj;
pub mod bodies;
