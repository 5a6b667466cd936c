//! Work-plan scenarios generic over the ports (R-APT-4/5), run on the in-memory adapters by
//! `shared/tests/appointments.rs` and on the DynamoDB/SQS adapters against the local stack by
//! `tests/appointments.rs` (which includes this file by path). The caller seeds the citizen and
//! the activation; each scenario seeds its plan through the port.

use std::sync::{Arc, Mutex};

use futures::channel::oneshot;
use shared::adapters::her_directory::MemoryHerDirectory;
use shared::adapters::memory::ManualClock;
use shared::app::RecordIn;
use shared::app::kith_inbound::{KithInboundService, Transport};
use shared::app::appointments::{REDATE_FLAG_SUBJECT, redate};
use shared::app::inbound::InboundService;
use shared::app::pipeline::Pipeline;
use shared::domain::appointment::{Assignment, AssignmentStatus, CANCELLED_TEXT};
use shared::domain::message::{EntryKind, InboxItem, Outgoing};
use shared::domain::receipt::ReceiptFact;
use shared::domain::{IdMode, NationalId, ServiceKey};
use shared::error::PortError;
use shared::fixtures::kith::{self, OnQueue};
use shared::fixtures::{self, CITIZEN, id, service, ts};
use shared::ports::{AppointmentStore, DeadLetterLog, Delivery, GateReader, HelsenorgeOutbox, Inspect, MessageStore, OutboundStore, Plan, Recorded};

/// Everything a scenario needs of one backend.
pub trait Store: AppointmentStore + MessageStore + Inspect + GateReader + OutboundStore + DeadLetterLog + Clone + 'static {}
impl<T: AppointmentStore + MessageStore + Inspect + GateReader + OutboundStore + DeadLetterLog + Clone + 'static> Store for T {}

/// The backend's outbox toward Helsenorge, keeping a copy of what it sent.
#[derive(Clone)]
pub struct Counted<H> {
    /// The real outbox.
    pub inner: H,
    /// What went out.
    pub sent: Arc<Mutex<Vec<Outgoing>>>,
}

impl<H: HelsenorgeOutbox> HelsenorgeOutbox for Counted<H> {
    async fn send(&self, messages: &[Outgoing]) -> Result<Vec<String>, PortError> {
        let failed = self.inner.send(messages).await?;
        let mut sent = self.sent.lock().expect("sent");
        sent.extend(messages.iter().filter(|m| !failed.contains(&m.id)).cloned());
        Ok(failed)
    }
}

impl<H> Counted<H> {
    /// The AppRecs sent for `message_id`.
    pub fn apprecs_for(&self, message_id: &str) -> usize {
        let sent = self.sent.lock().expect("sent");
        // Each answer is recorded as `{message id}.apprec`, in its wire form (KITH AppRec 1.1).
        sent.iter().filter(|o| o.id == format!("{message_id}.apprec")).count()
    }
}

/// The message store, failing the first delivery that carries assignments (a crash after the
/// chunks written ahead of it).
#[derive(Clone)]
struct FailFirstDelivery<S> {
    inner: S,
    failed: Arc<Mutex<bool>>,
}

impl<S: MessageStore> MessageStore for FailFirstDelivery<S> {
    async fn record(&self, d: &Delivery) -> Result<Recorded, PortError> {
        if !d.assignments.is_empty() && !std::mem::replace(&mut *self.failed.lock().expect("flag"), true) {
            return Err(PortError::transient("deliver message", "injected: the function died"));
        }
        self.inner.record(d).await
    }
    async fn mark_sent(&self, ids: &[String], at: jiff::Timestamp) -> Result<(), PortError> {
        self.inner.mark_sent(ids, at).await
    }
    async fn note_send(&self, ids: &[String], fact: &ReceiptFact) -> Result<(), PortError> {
        self.inner.note_send(ids, fact).await
    }
}

/// The plan store, pausing a re-dating between its read and its write (once) until told to go
/// on: a cancellation arrives in between.
struct Racing<S> {
    inner: S,
    reached: Mutex<Option<oneshot::Sender<()>>>,
    proceed: Mutex<Option<oneshot::Receiver<()>>>,
}

impl<S: AppointmentStore> AppointmentStore for Racing<S> {
    async fn plan(&self, c: &NationalId, s: &ServiceKey) -> Result<Plan, PortError> {
        self.inner.plan(c, s).await
    }
    async fn write_assignments(&self, c: &NationalId, s: &ServiceKey, v: u64, a: &[Assignment]) -> Result<(), PortError> {
        self.inner.write_assignments(c, s, v, a).await
    }
    async fn replace_plan(&self, c: &NationalId, s: &ServiceKey, v: u64, p: &[Assignment]) -> Result<(), PortError> {
        let reached = self.reached.lock().expect("reached").take();
        if let Some(reached) = reached {
            let _ = reached.send(());
            let proceed = self.proceed.lock().expect("proceed").take();
            if let Some(proceed) = proceed {
                let _ = proceed.await;
            }
        }
        self.inner.replace_plan(c, s, v, p).await
    }
}

type Inbound<S, M, H> = KithInboundService<S, M, S, S, Counted<H>, S, ManualClock, MemoryHerDirectory>;

fn inbound<S: Store, M: MessageStore, H: HelsenorgeOutbox + Clone>(store: &S, messages: M, outbox: &Counted<H>, clock: &ManualClock) -> Inbound<S, M, H> {
    let inbound = InboundService {
        gate: store.clone(),
        appointments: store.clone(),
        outbound: store.clone(),
        pipeline: Pipeline {
            messages,
            outbox: outbox.clone(),
            dead_letters: store.clone(),
            clock: clock.clone(),
            source_queue: "InboundQueue".into(),
        },
        id_mode: IdMode::Production,
    };
    KithInboundService { inbound, directory: MemoryHerDirectory { entries: vec![fixtures::her_entry()] } }
}

fn record(sqs_id: &str, message: &OnQueue) -> Vec<(RecordIn, Transport)> {
    vec![kith::record(sqs_id, message)]
}

fn period(message_id: &str) -> OnQueue {
    let day = |s: &str| s.parse().expect("date");
    kith::cancel_period(message_id, CITIZEN, &service(), day("2026-03-02"), day("2026-03-04"))
}

fn one(message_id: &str, assignment: &str) -> OnQueue {
    kith::cancel_appointment(message_id, CITIZEN, &service(), assignment)
}

fn lapsed_by(a: &Assignment, message_id: &str) -> bool {
    a.status == AssignmentStatus::Lapsed { text: CANCELLED_TEXT.into(), cancellation: message_id.into() }
}

/// R-APT-4: 250 dated visits and a regular one in a cancelled period: all lapse (the regular one
/// pauses), one AppRec, one journal entry, one inbox item, even when the function dies after
/// writing the chunks that do not fit in one transaction and the message comes again, twice.
pub async fn period_of_250_lapses_all_exactly_once<S: Store, H: HelsenorgeOutbox + Clone>(store: S, outbox: Counted<H>) {
    let clock = ManualClock::at(ts("2026-03-01T10:00:05Z"));
    let mut plan: Vec<Assignment> = (0..250)
        .map(|i| fixtures::dated(&format!("a{i:03}"), &service(), ts("2026-03-02T06:00:00Z").checked_add(jiff::SignedDuration::from_mins(15 * i)).expect("time")))
        .collect();
    plan.push(fixtures::regular("r1", &service()));
    store.replace_plan(&id(CITIZEN), &service(), 0, &plan).await.expect("seed plan");

    let crashing = FailFirstDelivery { inner: store.clone(), failed: Arc::default() };
    let svc = inbound(&store, crashing, &outbox, &clock);
    let period = period("hn-p250");
    let failed = svc.handle_batch(&record("sqs-1", &period), 1).await;
    assert_eq!(failed, vec!["sqs-1".to_string()], "the first delivery died after its chunks");
    for attempt in ["sqs-2", "sqs-3"] {
        assert!(svc.handle_batch(&record(attempt, &period), 1).await.is_empty(), "{attempt}");
    }

    let after = store.plan(&id(CITIZEN), &service()).await.expect("plan");
    let dated: Vec<&Assignment> = after.assignments.iter().filter(|a| a.id.0.starts_with('a')).collect();
    assert_eq!(dated.len(), 250);
    assert!(dated.iter().all(|a| lapsed_by(a, "hn-p250")), "every assignment in the period lapsed");
    let regular = after.assignments.iter().find(|a| a.id.0 == "r1").expect("r1");
    assert!(matches!(&regular.status, AssignmentStatus::Paused { pauses } if pauses.len() == 1), "{:?}", regular.status);
    assert_eq!(after.cancellations.len(), 1, "kept once (R-APT-5)");
    assert_eq!(after.version, 2, "seeded, then cancelled once");
    assert_eq!(outbox.apprecs_for("hn-p250"), 1, "one AppRec");
    assert_eq!(store.journal(&id(CITIZEN)).await.expect("journal").len(), 1, "journaled once");
    assert_eq!(store.inbox(&service().department).await.expect("inbox").len(), 1, "one notice in the inbox");
}

/// R-APT-5: a cancellation that lands between a re-dating's read and its write keeps its lapse
/// mark: the re-dating's conditional write fails and it starts again with the cancellation.
pub async fn cancellation_during_redating_keeps_its_lapse<S: Store, H: HelsenorgeOutbox + Clone + 'static>(store: S, outbox: Counted<H>) {
    let clock = ManualClock::at(ts("2026-03-01T10:00:05Z"));
    let plan = [
        fixtures::dated("a1", &service(), ts("2026-03-02T08:30:00Z")),
        fixtures::dated("a2", &service(), ts("2026-03-03T08:30:00Z")),
    ];
    store.replace_plan(&id(CITIZEN), &service(), 0, &plan).await.expect("seed plan");
    let svc = inbound(&store, store.clone(), &outbox, &clock);
    let (reached, at_write) = oneshot::channel();
    let (go_on, proceed) = oneshot::channel();
    let racing = Racing { inner: store.clone(), reached: Mutex::new(Some(reached)), proceed: Mutex::new(Some(proceed)) };
    let (citizen, key) = (id(CITIZEN), service());
    let redating = redate(&racing, &store, &citizen, &key, plan.to_vec(), ts("2026-03-01T10:00:06Z"));
    let cancelling = async {
        at_write.await.expect("the re-dating read the plan");
        assert!(svc.handle_batch(&record("sqs-r", &one("hn-race", "a2")), 1).await.is_empty());
        go_on.send(()).expect("the re-dating waits");
    };
    let (flags, ()) = futures::join!(redating, cancelling);
    let flags = flags.expect("redate");
    assert!(flags.is_empty(), "same times: re-applied, nothing to flag");
    let after = store.plan(&id(CITIZEN), &service()).await.expect("plan");
    let a2 = after.assignments.iter().find(|a| a.id.0 == "a2").expect("a2");
    assert!(lapsed_by(a2, "hn-race"), "the cancellation survived the re-dating: {:?}", a2.status);
    assert_eq!(after.version, 3, "seeded, cancelled, re-dated");
    assert_eq!(outbox.apprecs_for("hn-race"), 1);
}

/// R-APT-5: a kept cancellation whose assignment the re-dating moved reaches the department
/// inbox as a flag for staff, once however often the same plan is loaded.
pub async fn redating_flags_reach_the_department_inbox<S: Store, H: HelsenorgeOutbox + Clone>(store: S, outbox: Counted<H>) {
    let clock = ManualClock::at(ts("2026-03-01T10:00:05Z"));
    let plan = [fixtures::dated("a2", &service(), ts("2026-03-03T08:30:00Z"))];
    store.replace_plan(&id(CITIZEN), &service(), 0, &plan).await.expect("seed plan");
    let svc = inbound(&store, store.clone(), &outbox, &clock);
    assert!(svc.handle_batch(&record("sqs-f", &one("hn-moved", "a2")), 1).await.is_empty());
    let moved = vec![fixtures::dated("a2", &service(), ts("2026-03-05T08:30:00Z"))];
    for load in 0..2 {
        let flags = redate(&store, &store, &id(CITIZEN), &service(), moved.clone(), ts("2026-03-01T11:00:00Z")).await.expect("redate");
        assert_eq!(flags.len(), 1, "load {load}");
        assert_eq!(flags[0].cancellation, "hn-moved");
    }
    let inbox = store.inbox(&service().department).await.expect("inbox");
    let flagged: Vec<&InboxItem> = inbox.iter().filter(|i| i.kind == EntryKind::RedateFlag).collect();
    assert_eq!(flagged.len(), 1, "delivered once: {inbox:?}");
    assert_eq!(flagged[0].subject, REDATE_FLAG_SUBJECT);
    assert_eq!(flagged[0].grading, "AJ");
    let after = store.plan(&id(CITIZEN), &service()).await.expect("plan");
    assert_eq!(after.assignments[0].status, AssignmentStatus::Assigned, "moved: not guessed");
}
