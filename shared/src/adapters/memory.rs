//! In-memory adapters for every port: one [`MemoryDb`] holds what the DynamoDB tables and SQS
//! queues hold, so use-case tests and benchmarks run without AWS. Same semantics as the AWS
//! adapters (conditional writes keyed by message id), checked by the same contract tests.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use jiff::Timestamp;

use crate::domain::appointment::{Assignment, Cancellation};
use crate::domain::dead_letter::{Alert, ParkedMessage, ParkedRecord, RecordedError};
use crate::domain::message::{InboxItem, JournalEntry, Outgoing};
use crate::domain::receipt::ReceiptFact;
use crate::domain::reply::OutboundMessage;
use crate::domain::consent::AktivFacts;
use crate::domain::sync::{SyncListing, SyncRun, SyncWork};
use crate::domain::{Activated, Activation, CitizenRecord, DepartmentCode, NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::{
    ActivationStore, AktivClient, AlertSink, AppointmentStore, ChunkQueue, CitizenReader, Clock, ParkedStore, QueuedMessage, Requeue,
    SyncStore, SyncUpdate, DeadLetterLog, Delivery, GateFacts, GateReader, HelsenorgeOutbox,
    MAX_ASSIGNMENTS_PER_WRITE, MessageStore, OutboundStore, Plan, Processed, ReceiptApplied, Recorded,
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
    /// Done (or failed) chunks per run.
    pub sync_chunks: std::collections::HashSet<(String, u32)>,
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
        // The limits and conditions of the DynamoDB transaction, so tests here meet them too.
        if d.assignments.len() > MAX_ASSIGNMENTS_PER_WRITE {
            return Err(PortError::permanent("deliver message", "a transaction holds at most 100 items"));
        }
        if let (Some((citizen, c)), Some(v)) = (&d.cancellation, d.plan_version) {
            let key = (citizen.clone(), c.service.clone());
            if s.plan_versions.get(&key).copied().unwrap_or(0) != v {
                return Err(PortError::Conflict { what: "deliver message" });
            }
            s.plan_versions.insert(key, v + 1);
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

    async fn note_send(&self, outbound_ids: &[String], fact: &ReceiptFact) -> Result<(), PortError> {
        let mut s = self.state();
        for id in outbound_ids {
            if let Some(o) = s.outbound.get_mut(id).filter(|o| o.receipt.is_send_side()) {
                o.receipt = fact.clone();
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

impl MemoryDb {
    /// Locks the state if the plan of `key` is at `version`.
    fn at_version(&self, key: &(NationalId, ServiceKey), version: u64, what: &'static str) -> Result<MutexGuard<'_, State>, PortError> {
        let s = self.state();
        if s.plan_versions.get(key).copied().unwrap_or(0) != version {
            return Err(PortError::Conflict { what });
        }
        Ok(s)
    }
}

impl AppointmentStore for MemoryDb {
    async fn plan(&self, citizen: &NationalId, service: &ServiceKey) -> Result<Plan, PortError> {
        let key = (citizen.clone(), service.clone());
        let s = self.state();
        Ok(Plan {
            assignments: s.plans.get(&key).map(|m| m.values().cloned().collect()).unwrap_or_default(),
            cancellations: s.cancellations.get(&key).map(|m| m.values().cloned().collect()).unwrap_or_default(),
            version: s.plan_versions.get(&key).copied().unwrap_or(0),
        })
    }

    async fn write_assignments(&self, citizen: &NationalId, service: &ServiceKey, version: u64, assignments: &[Assignment]) -> Result<(), PortError> {
        if assignments.len() > MAX_ASSIGNMENTS_PER_WRITE {
            return Err(PortError::permanent("write assignments", "a transaction holds at most 100 items"));
        }
        let key = (citizen.clone(), service.clone());
        let mut s = self.at_version(&key, version, "write assignments")?;
        let plan = s.plans.entry(key).or_default();
        for a in assignments {
            plan.insert(a.id.0.clone(), a.clone());
        }
        Ok(())
    }

    async fn replace_plan(&self, citizen: &NationalId, service: &ServiceKey, version: u64, plan: &[Assignment]) -> Result<(), PortError> {
        let key = (citizen.clone(), service.clone());
        let mut s = self.at_version(&key, version, "replace plan")?;
        s.plans.insert(key.clone(), plan.iter().map(|a| (a.id.0.clone(), a.clone())).collect());
        s.plan_versions.insert(key, version + 1);
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

    async fn recorded(&self, message_id: &str) -> Result<Option<RecordedError>, PortError> {
        Ok(self.state().dead_letters.get(message_id).cloned())
    }
}

impl Requeue for MemoryDb {
    /// Takes up to 10; they stay in flight (invisible) until deleted or expired, as on SQS.
    async fn receive(&self, queue_url: &str) -> Result<Vec<QueuedMessage>, PortError> {
        let mut s = self.state();
        let q = s.queues.entry(queue_url.to_string()).or_default();
        let n = q.len().min(10);
        let taken: Vec<QueuedMessage> = q.drain(..n).collect();
        for m in &taken {
            s.in_flight.insert(m.receipt_handle.clone(), (queue_url.to_string(), m.clone()));
        }
        Ok(taken)
    }

    async fn send(&self, queue_url: &str, body: &str, republished: u32, source_queue: &str, _delay: u32) -> Result<String, PortError> {
        let mut s = self.state();
        s.next_message += 1;
        let m = QueuedMessage {
            message_id: format!("mem-{}", s.next_message),
            receipt_handle: format!("rh-{}", s.next_message),
            body: body.to_string(),
            republished,
            source_queue: Some(source_queue.to_string()),
        };
        let id = m.message_id.clone();
        s.queues.entry(queue_url.to_string()).or_default().push_back(m);
        Ok(id)
    }

    async fn delete(&self, _queue_url: &str, receipt_handle: &str) -> Result<(), PortError> {
        self.state().in_flight.remove(receipt_handle);
        Ok(())
    }
}

impl ParkedStore for MemoryDb {
    async fn park(&self, message: &ParkedMessage) -> Result<(), PortError> {
        self.state().parked.entry(message.record.message_id.clone()).or_insert_with(|| message.clone());
        Ok(())
    }

    async fn parked(&self) -> Result<Vec<ParkedRecord>, PortError> {
        let mut v: Vec<ParkedRecord> = self.state().parked.values().map(|m| m.record.clone()).collect();
        v.sort_by_key(|p| p.parked_at);
        Ok(v)
    }

    async fn parked_message(&self, message_id: &str) -> Result<Option<ParkedMessage>, PortError> {
        Ok(self.state().parked.get(message_id).cloned())
    }

    async fn unpark(&self, message_id: &str) -> Result<bool, PortError> {
        Ok(self.state().parked.remove(message_id).is_some())
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

impl SyncStore for MemoryDb {
    async fn activations(&self) -> Result<Vec<Activation>, PortError> {
        Ok(self.state().activations.values().cloned().collect())
    }

    async fn citizens_of(&self, service: &ServiceKey, cursor: Option<String>) -> Result<(Vec<NationalId>, Option<String>), PortError> {
        let s = self.state();
        let mut ids: Vec<NationalId> =
            s.citizens.values().filter(|c| c.record_card.contains(service)).map(|c| c.citizen.clone()).collect();
        ids.sort();
        let start: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let page: Vec<NationalId> = ids.iter().skip(start).take(1000).cloned().collect();
        let next = (start + page.len() < ids.len()).then(|| (start + page.len()).to_string());
        Ok((page, next))
    }

    async fn begin_run(&self, run_id: &str, at: Timestamp) -> Result<SyncRun, PortError> {
        let mut s = self.state();
        let run = s.sync_runs.entry(run_id.to_string()).or_insert_with(|| SyncRun {
            run_id: run_id.to_string(),
            started_at: Some(at),
            ..SyncRun::default()
        });
        Ok(run.clone())
    }

    async fn begin_listing(&self, run_id: &str, activations: &[ServiceKey]) -> Result<SyncRun, PortError> {
        let mut s = self.state();
        let run = s.sync_runs.get_mut(run_id).ok_or_else(|| PortError::permanent("begin listing", "no such run"))?;
        if run.activations.is_empty() && run.next_listing.is_none() && run.chunks_total.is_none() {
            run.activations = activations.to_vec();
            run.next_listing = Some(SyncListing { run_id: run_id.to_string(), ..SyncListing::default() });
        }
        Ok(run.clone())
    }

    async fn advance_listing(&self, run_id: &str, from: u32, next: Option<&SyncListing>, total: u32) -> Result<Option<SyncRun>, PortError> {
        let mut s = self.state();
        let run = s.sync_runs.get_mut(run_id).ok_or_else(|| PortError::permanent("advance listing", "no such run"))?;
        if run.next_listing.as_ref().map(|l| l.step) != Some(from) {
            return Ok(None);
        }
        run.next_listing = next.cloned();
        if next.is_none() {
            run.chunks_total = Some(total);
        }
        Ok(Some(run.clone()))
    }

    async fn chunk_done(&self, run_id: &str, chunk: u32) -> Result<bool, PortError> {
        Ok(self.state().sync_chunks.contains(&(run_id.to_string(), chunk)))
    }

    async fn apply_sync(&self, run_id: &str, updates: &[SyncUpdate]) -> Result<(u64, u64), PortError> {
        let mut s = self.state();
        let (mut written, mut changes) = (0, 0);
        for u in updates {
            let id = &u.record.citizen;
            if s.synced_in.get(id).map(String::as_str) == Some(run_id) {
                continue; // already written in this run
            }
            s.synced_in.insert(id.clone(), run_id.to_string());
            let rec = s.citizens.entry(id.clone()).or_insert_with(|| u.record.clone());
            rec.sync_run = Some(run_id.to_string());
            rec.aktiv = u.record.aktiv;
            rec.synced_at = u.record.synced_at;
            rec.consent_first_given_at = u.record.consent_first_given_at;
            rec.consent_withdrawn_at = u.record.consent_withdrawn_at;
            written += 1;
            changes += u64::from(u.changed);
        }
        Ok((written, changes))
    }

    async fn finish_chunk(&self, run_id: &str, chunk: u32, failed: bool, citizens: u64, changes: u64) -> Result<SyncRun, PortError> {
        let mut s = self.state();
        let first = s.sync_chunks.insert((run_id.to_string(), chunk));
        let run = s.sync_runs.get_mut(run_id).ok_or_else(|| PortError::permanent("finish chunk", "no such run"))?;
        if first {
            if failed {
                run.chunks_failed += 1;
            } else {
                run.chunks_done += 1;
            }
            run.citizens += citizens;
            run.changes += changes;
        }
        Ok(run.clone())
    }

    async fn mark_synced(&self, seen: &Activation, synced_at: Timestamp) -> Result<bool, PortError> {
        let mut s = self.state();
        match s.activations.get_mut(&seen.key) {
            Some(a) if a.activated_at == seen.activated_at => {
                a.synced_at = Some(synced_at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn finish_run(&self, run: &SyncRun, at: Timestamp) -> Result<(), PortError> {
        let mut s = self.state();
        if let Some(r) = s.sync_runs.get_mut(&run.run_id) {
            r.finished_at.get_or_insert(at);
        }
        Ok(())
    }
}

impl ChunkQueue for MemoryDb {
    async fn send(&self, work: &[SyncWork]) -> Result<(), PortError> {
        self.state().sync_queue.extend(work.iter().cloned());
        Ok(())
    }
}

impl ActivationStore for MemoryDb {
    async fn activate(&self, activated: &Activated) -> Result<(), PortError> {
        let a = activated.activation();
        self.state().activations.insert(a.key.clone(), a.clone());
        Ok(())
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

    /// Moves it forward by `by`.
    pub fn advance(&self, by: jiff::SignedDuration) {
        self.0.fetch_add(by.as_millis() as i64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millisecond(self.0.load(Ordering::SeqCst)).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}
