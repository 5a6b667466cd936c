//! In-memory adapters for every port: one [`MemoryDb`] holds what the DynamoDB tables and SQS
//! queues hold, so use-case tests and benchmarks run without AWS. Same semantics as the AWS
//! adapters (conditional writes keyed by message id), checked by the same contract tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;

use crate::domain::appointment::{Assignment, Cancellation};
use crate::domain::dead_letter::{Alert, RecordedError};
use crate::domain::message::{InboxItem, JournalEntry, Outgoing};
use crate::domain::receipt::ReceiptFact;
use crate::domain::reply::OutboundMessage;
use crate::domain::consent::AktivFacts;
use crate::domain::{Activation, CitizenRecord, DepartmentCode, NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::{
    AktivClient, AlertSink, AppointmentStore, CitizenReader, Clock, DeadLetterLog, Delivery, GateFacts, GateReader, HelsenorgeOutbox,
    MessageStore, OutboundStore, Processed, ReceiptApplied, Recorded,
};

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

    /// Locks the state (for tests to seed and inspect it).
    pub fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock only happens in a failing test; keep the data usable.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl GateReader for MemoryDb {
    async fn gate_facts(&self, citizen: &NationalId, service: &ServiceKey) -> Result<GateFacts, PortError> {
        let s = self.state();
        Ok(GateFacts { citizen: s.citizens.get(citizen).cloned(), activation: s.activations.get(service).cloned() })
    }
}

impl MessageStore for MemoryDb {
    async fn record(&self, d: &Delivery) -> Result<Recorded, PortError> {
        let mut s = self.state();
        if let Some(p) = s.processed.get(&d.message_id) {
            return Ok(Recorded::Existing(p.clone()));
        }
        s.processed.insert(
            d.message_id.clone(),
            Processed { message_id: d.message_id.clone(), outgoing: d.outgoing.clone(), processed_at: d.at, sent: false },
        );
        for e in &d.journal {
            s.journal.entry(e.citizen.clone()).or_default().push(e.clone());
            if let Some(c) = s.citizens.get_mut(&e.citizen) {
                c.last_message_at = Some(c.last_message_at.map_or(e.at, |t| t.max(e.at)));
            }
        }
        for i in &d.inbox {
            s.inbox.entry(i.department.clone()).or_default().push(i.clone());
        }
        for (citizen, a) in &d.assignments {
            s.plans.entry((citizen.clone(), a.service.clone())).or_default().insert(a.id.0.clone(), a.clone());
        }
        if let Some(o) = &d.outbound {
            s.outbound.insert(o.message_id.clone(), o.clone());
        }
        if let Some((citizen, c)) = &d.cancellation {
            s.cancellations
                .entry((citizen.clone(), c.service.clone()))
                .or_default()
                .insert(c.message_id.clone(), c.clone());
        }
        Ok(Recorded::New)
    }

    async fn mark_sent(&self, message_ids: &[String]) -> Result<(), PortError> {
        let mut s = self.state();
        for id in message_ids {
            if let Some(p) = s.processed.get_mut(id) {
                p.sent = true;
            }
        }
        Ok(())
    }

    async fn journal(&self, citizen: &NationalId) -> Result<Vec<JournalEntry>, PortError> {
        let mut v = self.state().journal.get(citizen).cloned().unwrap_or_default();
        v.sort_by(|a, b| (a.at, &a.message_id).cmp(&(b.at, &b.message_id)));
        Ok(v)
    }

    async fn inbox(&self, department: &DepartmentCode) -> Result<Vec<InboxItem>, PortError> {
        let mut v = self.state().inbox.get(department).cloned().unwrap_or_default();
        v.sort_by(|a, b| (a.at, &a.message_id).cmp(&(b.at, &b.message_id)));
        Ok(v)
    }
}

impl AppointmentStore for MemoryDb {
    async fn plan(&self, citizen: &NationalId, service: &ServiceKey) -> Result<Vec<Assignment>, PortError> {
        let key = (citizen.clone(), service.clone());
        Ok(self.state().plans.get(&key).map(|m| m.values().cloned().collect()).unwrap_or_default())
    }

    async fn cancellations(&self, citizen: &NationalId, service: &ServiceKey) -> Result<Vec<Cancellation>, PortError> {
        let key = (citizen.clone(), service.clone());
        Ok(self.state().cancellations.get(&key).map(|m| m.values().cloned().collect()).unwrap_or_default())
    }

    async fn replace_plan(&self, citizen: &NationalId, service: &ServiceKey, plan: &[Assignment]) -> Result<(), PortError> {
        let key = (citizen.clone(), service.clone());
        self.state().plans.insert(key, plan.iter().map(|a| (a.id.0.clone(), a.clone())).collect());
        Ok(())
    }
}

impl OutboundStore for MemoryDb {
    async fn reply(&self, message_id: &str) -> Result<Option<OutboundMessage>, PortError> {
        Ok(self.state().outbound.get(message_id).cloned())
    }

    async fn replies_of(&self, citizen: &NationalId) -> Result<Vec<OutboundMessage>, PortError> {
        let mut v: Vec<OutboundMessage> =
            self.state().outbound.values().filter(|o| &o.citizen == citizen).cloned().collect();
        v.sort_by(|a, b| (b.sent_at, &b.message_id).cmp(&(a.sent_at, &a.message_id)));
        Ok(v)
    }

    async fn apply_receipt(&self, answers_message_id: &str, fact: &ReceiptFact) -> Result<ReceiptApplied, PortError> {
        let mut s = self.state();
        match s.outbound.get_mut(answers_message_id) {
            Some(o) => {
                o.receipt = fact.clone();
                Ok(ReceiptApplied::Updated)
            }
            None => Ok(ReceiptApplied::UnknownMessage),
        }
    }
}

impl HelsenorgeOutbox for MemoryDb {
    async fn send(&self, messages: &[Outgoing]) -> Result<Vec<String>, PortError> {
        self.state().sent.extend(messages.iter().cloned());
        Ok(vec![])
    }
}

impl DeadLetterLog for MemoryDb {
    async fn record(&self, error: &RecordedError) -> Result<(), PortError> {
        self.state().dead_letters.insert(error.message_id.clone(), error.clone());
        Ok(())
    }
}

impl AlertSink for MemoryDb {
    async fn send(&self, alert: &Alert) -> Result<(), PortError> {
        self.state().alerts.push(alert.clone());
        Ok(())
    }
}

impl AktivClient for MemoryDb {
    async fn lookup(&self, ids: &[NationalId]) -> Result<Vec<(NationalId, AktivFacts)>, PortError> {
        let mode = {
            let mut s = self.state();
            s.aktiv_calls.push(ids.len());
            s.aktiv_mode
        };
        match mode {
            AktivMode::Normal => {
                let s = self.state();
                Ok(ids.iter().filter_map(|id| s.aktiv.get(id).map(|f| (id.clone(), *f))).collect())
            }
            AktivMode::Fail => Err(PortError::transient("HelsenorgeAktiv", "503 Service Unavailable")),
            AktivMode::Hang => std::future::pending().await,
        }
    }
}

impl CitizenReader for MemoryDb {
    async fn citizens(&self, ids: &[NationalId]) -> Result<HashMap<NationalId, CitizenRecord>, PortError> {
        let s = self.state();
        Ok(ids.iter().filter_map(|id| s.citizens.get(id).map(|c| (id.clone(), c.clone()))).collect())
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock tests set and move.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock showing `at`.
    pub fn at(at: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(at.as_millisecond())))
    }

    /// Moves it to `at`.
    pub fn set(&self, at: Timestamp) {
        self.0.store(at.as_millisecond(), Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millisecond(self.0.load(Ordering::SeqCst)).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}
