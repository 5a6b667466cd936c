//! In-memory adapters for every port: one [`MemoryDb`] holds what the DynamoDB tables and SQS
//! queues hold, so use-case tests and benchmarks run without AWS. Same semantics as the AWS
//! adapters (conditional writes keyed by message id), checked by the same contract tests.
//!
//! One file per role: `messages` (inbound deliveries, replies, the outbox),
//! `appointments`, `operations` (dead letters, the requeue, parked messages, alerts),
//! `sync` (HelsenorgeAktiv, the sync's store and queue), `seed` (the EPJ data load and the
//! HER-id directory). The clocks are in
//! [`crate::adapters::clock`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::domain::appointment::{Assignment, Cancellation};
use crate::domain::consent::AktivFacts;
use crate::domain::dead_letter::{Alert, ParkedMessage, RecordedError};
use crate::domain::message::{InboxItem, JournalEntry, Outgoing};
use crate::domain::reply::OutboundMessage;
use crate::domain::sync::{SyncRun, SyncWork};
use crate::domain::{Activated, Activation, CitizenRecord, DepartmentCode, NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::{ActivationStore, GateFacts, GateReader, Processed, QueuedMessage};

pub use super::clock::{ManualClock, SystemClock};

mod appointments;
mod messages;
mod operations;
mod seed;
mod sync;

/// Everything the in-memory adapters hold.
#[derive(Debug, Default)]
pub struct State {
    /// Citizens by national id.
    pub citizens: HashMap<NationalId, CitizenRecord>,
    /// Activations by key.
    pub activations: HashMap<ServiceKey, Activation>,
    /// Idempotency records by message id.
    pub processed: HashMap<String, Processed>,
    /// Journal entries per citizen.
    pub journal: HashMap<NationalId, Vec<JournalEntry>>,
    /// Inbox items per department.
    pub inbox: HashMap<DepartmentCode, Vec<InboxItem>>,
    /// Work plans per (citizen, service), by assignment id.
    pub plans: HashMap<(NationalId, ServiceKey), BTreeMap<String, Assignment>>,
    /// Kept cancellations per (citizen, service), by message id.
    pub cancellations: HashMap<(NationalId, ServiceKey), BTreeMap<String, Cancellation>>,
    /// Plan versions per (citizen, service); absent is 0.
    pub plan_versions: HashMap<(NationalId, ServiceKey), u64>,
    /// Outbound replies by message id.
    pub outbound: HashMap<String, OutboundMessage>,
    /// Messages sent toward Helsenorge.
    pub sent: Vec<Outgoing>,
    /// Dead-letter records by message id.
    pub dead_letters: BTreeMap<String, RecordedError>,
    /// Alerts sent.
    pub alerts: Vec<Alert>,
    /// What the fake HelsenorgeAktiv answers.
    pub aktiv: HashMap<NationalId, AktivFacts>,
    /// How the fake HelsenorgeAktiv behaves.
    pub aktiv_mode: AktivMode,
    /// Calls made to the fake HelsenorgeAktiv, with their id counts.
    pub aktiv_calls: Vec<usize>,
    /// Sync runs by id.
    pub sync_runs: HashMap<String, SyncRun>,
    /// Done (or failed) chunks per run, with when they were marked (the caller's clock).
    pub sync_chunks: HashMap<(String, u32), jiff::Timestamp>,
    /// The run each citizen was last synced in.
    pub synced_in: HashMap<NationalId, String>,
    /// Work items (chunks, listing steps) on the sync work queue.
    pub sync_queue: std::collections::VecDeque<SyncWork>,
    /// Queues by URL (for the republisher).
    pub queues: HashMap<String, std::collections::VecDeque<QueuedMessage>>,
    /// Received, not yet deleted messages by receipt handle, with their queue: invisible until
    /// deleted or until [`MemoryDb::expire_in_flight`] (the visibility timeout) returns them.
    pub in_flight: HashMap<String, (String, QueuedMessage)>,
    /// Parked records by message id.
    pub parked: BTreeMap<String, ParkedMessage>,
    /// HER-id directory entries by HER-id ([`crate::ports::Seed::put_her`]).
    pub her_ids: HashMap<String, crate::ports::HerEntry>,
    /// The same entries by the service they stand for.
    pub her_services: HashMap<ServiceKey, crate::ports::HerEntry>,
    /// Message ids handed out by the in-memory queues.
    pub next_message: u64,
}

/// How the in-memory HelsenorgeAktiv behaves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum AktivMode {
    /// Answers from `State::aktiv`.
    #[default]
    Normal,
    /// Fails every call (a 5xx).
    Fail,
    /// Never answers.
    Hang,
}

/// A shared in-memory database implementing every port.
#[derive(Debug, Clone, Default)]
pub struct MemoryDb(Arc<Mutex<State>>);

impl MemoryDb {
    /// An empty database.
    pub fn new() -> Self {
        Self::default()
    }

    /// The visibility timeout passing: every received, undeleted message is visible again.
    pub fn expire_in_flight(&self) {
        let mut s = self.state();
        let back: Vec<(String, QueuedMessage)> = s.in_flight.drain().map(|(_, v)| v).collect();
        for (queue, m) in back {
            s.queues.entry(queue).or_default().push_back(m);
        }
    }

    /// Locks the state (for tests to seed and inspect it).
    pub fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock only happens in a failing test; keep the data usable.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl GateReader for MemoryDb {
    async fn gate_facts(&self, citizen: &NationalId, service: &ServiceKey, message_id: Option<&str>) -> Result<GateFacts, PortError> {
        let s = self.state();
        Ok(GateFacts {
            citizen: s.citizens.get(citizen).cloned(),
            activation: s.activations.get(service).cloned(),
            processed: message_id.and_then(|m| s.processed.get(m).cloned()),
        })
    }
}

impl ActivationStore for MemoryDb {
    async fn activate(&self, activated: &Activated) -> Result<(), PortError> {
        let a = activated.activation();
        self.state().activations.insert(a.key.clone(), a.clone());
        Ok(())
    }
}
