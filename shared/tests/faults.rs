//! The fault table (issue #10): throttling, 5xx and timeouts injected at every port each
//! SQS-driven function uses, with SQS simulated as it behaves (batches of 10, a failed record
//! comes back after the visibility timeout, after `maxReceiveCount` receives it moves to the
//! dead-letter queue) and the real republisher moving dead letters back (10 times, then parked).
//! A timeout hangs the port: the invocation dies at Lambda's 30 s timeout mid-batch, as a crash
//! or a restart of the function would, and the whole batch comes back.
//!
//! After the faults clear, every message is accounted for — in = delivered + rejected + parked —
//! and nothing is duplicated (one journal entry, one inbox item and one answer id per message).
//! Prints the table; `cargo test -p shared --test faults -- --nocapture` shows it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::SignedDuration;
use shared::adapters::her_directory::MemoryHerDirectory;
use shared::adapters::memory::{ManualClock, MemoryDb};
use shared::app::RecordIn;
use shared::app::inbound::InboundService;
use shared::app::kith_inbound::{KithInboundService, Transport};
use shared::app::outbound::OutboundService;
use shared::app::pipeline::Pipeline;
use shared::app::republish::{RedrivePair, RepublishService};
use shared::domain::dead_letter::{Alert, ParkedMessage, ParkedRecord, RecordedError};
use shared::domain::message::{InboxItem, JournalEntry, OutMessage, Outgoing};
use shared::domain::AppRec;
use shared::domain::receipt::{AppRecStatus, ReceiptFact};
use shared::domain::reply::{OutboundMessage, ReplyOutcome};
use shared::domain::{Assignment, DepartmentCode, IdMode, NationalId, ServiceKey};
use shared::error::PortError;
use shared::fixtures::kith;
use shared::fixtures::{self, CITIZEN, consented_citizen, id, service, ts, usable_activation};
use shared::ports::*;

/// The template's values.
const MAX_RECEIVE_COUNT: u32 = 5;
const VISIBILITY_TIMEOUT: SignedDuration = SignedDuration::from_secs(180);
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Throttle,
    ServerError,
    Timeout,
}

/// "Port.method" to fail, how, how many times.
type Target = (&'static str, Kind, u32);

#[derive(Debug, Default)]
struct Plan {
    targets: Vec<Target>,
    injected: u32,
}

/// MemoryDb behind every port, failing one port method as planned.
#[derive(Clone)]
struct Faulty {
    db: MemoryDb,
    plan: Arc<Mutex<Plan>>,
}

impl Faulty {
    async fn check(&self, at: &'static str) -> Result<(), PortError> {
        let kind = {
            let mut p = self.plan.lock().expect("plan");
            let hit = p.targets.iter_mut().find(|(t, _, left)| *t == at && *left > 0).map(|(_, kind, left)| {
                *left -= 1;
                *kind
            });
            if hit.is_some() {
                p.injected += 1;
            }
            hit
        };
        match kind {
            None => Ok(()),
            Some(Kind::Throttle) => Err(PortError::transient("injected", "ThrottlingException: Rate exceeded")),
            Some(Kind::ServerError) => Err(PortError::transient("injected", "500 InternalServerError")),
            Some(Kind::Timeout) => std::future::pending().await,
        }
    }
}

macro_rules! faulty {
    ($trait:ident, $( fn $name:ident(&self $(, $arg:ident : $ty:ty)*) -> $ret:ty; )*) => {
        impl $trait for Faulty {
            $( async fn $name(&self $(, $arg: $ty)*) -> Result<$ret, PortError> {
                self.check(concat!(stringify!($trait), ".", stringify!($name))).await?;
                $trait::$name(&self.db $(, $arg)*).await
            } )*
        }
    };
}

faulty!(GateReader, fn gate_facts(&self, c: &NationalId, s: &ServiceKey, m: Option<&str>) -> GateFacts;);
faulty!(MessageStore,
    fn record(&self, d: &Delivery) -> Recorded;
    fn mark_sent(&self, ids: &[String], at: jiff::Timestamp) -> ();
    fn note_send(&self, ids: &[String], f: &ReceiptFact) -> ();
);
faulty!(Inspect,
    fn journal(&self, c: &NationalId) -> Vec<JournalEntry>;
    fn inbox(&self, d: &DepartmentCode) -> Vec<InboxItem>;
    fn replies_of(&self, c: &NationalId) -> Vec<OutboundMessage>;
);
faulty!(AppointmentStore,
    fn plan(&self, c: &NationalId, s: &ServiceKey) -> shared::ports::Plan;
    fn write_assignments(&self, c: &NationalId, s: &ServiceKey, v: u64, p: &[Assignment]) -> ();
    fn replace_plan(&self, c: &NationalId, s: &ServiceKey, v: u64, p: &[Assignment]) -> ();
);
faulty!(OutboundStore,
    fn reply(&self, m: &str) -> Option<OutboundMessage>;
    fn apply_receipt(&self, m: &str, f: &ReceiptFact) -> ReceiptApplied;
);
faulty!(HelsenorgeOutbox, fn send(&self, m: &[Outgoing]) -> Vec<String>;);
faulty!(DeadLetterLog,
    fn record(&self, e: &RecordedError) -> ();
    fn recorded(&self, m: &str) -> Option<RecordedError>;
);
faulty!(AlertSink, fn send(&self, a: &Alert) -> (););
faulty!(Requeue,
    fn receive(&self, q: &str) -> Vec<QueuedMessage>;
    fn send(&self, q: &str, b: &str, r: u32, s: &str, d: u32) -> String;
    fn delete(&self, q: &str, h: &str) -> ();
);
faulty!(ParkedStore,
    fn park(&self, m: &ParkedMessage) -> ();
    fn parked(&self) -> Vec<ParkedRecord>;
    fn parked_message(&self, m: &str) -> Option<ParkedMessage>;
    fn unpark(&self, m: &str) -> bool;
);

const SOURCE: &str = "http://local/1/Source";
const DLQ: &str = "http://local/1/SourceDeadLetter";

/// What one run ended in.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Tally {
    injected: u32,
    delivered: usize,
    rejected: usize,
    parked: usize,
    duplicates: usize,
    /// Answers sent again under the same id (a lost confirmation; the receiver deduplicates).
    resent: usize,
    rounds: u32,
}

fn world() -> (MemoryDb, ManualClock) {
    let db = MemoryDb::new();
    let mut s = db.state();
    s.citizens.insert(id(CITIZEN), consented_citizen(CITIZEN, &service()));
    s.activations.insert(service(), usable_activation(&service()));
    drop(s);
    (db, ManualClock::at(ts("2026-03-01T10:00:00Z")))
}

fn republisher(f: &Faulty, clock: &ManualClock) -> RepublishService<Faulty, Faulty, Faulty, Faulty, ManualClock> {
    RepublishService {
        queues: f.clone(),
        dead_letters: f.clone(),
        parked: f.clone(),
        alerts: f.clone(),
        clock: clock.clone(),
        pairs: vec![RedrivePair { dead_letter_url: DLQ.into(), source_url: SOURCE.into() }],
        base_delay_secs: 0,
        max_messages: 1000,
    }
}

/// Drives `bodies` through `handle` as SQS and the republisher would, until nothing is left
/// on any queue. Returns the number of simulated rounds.
async fn drive<F, Fut>(f: &Faulty, clock: &ManualClock, bodies: &[String], handle: F) -> u32
where
    F: Fn(Vec<RecordIn>) -> Fut,
    Fut: std::future::Future<Output = Vec<String>>,
{
    // (record, republished count)
    let mut queue: VecDeque<(RecordIn, u32)> = bodies
        .iter()
        .enumerate()
        .map(|(i, b)| (RecordIn { sqs_message_id: format!("sqs-{i}"), body: b.clone(), receive_count: 0 }, 0))
        .collect();
    let republisher = republisher(f, clock);
    let mut rounds = 0;
    loop {
        rounds += 1;
        assert!(rounds < 2000, "the simulation converges");
        let mut back = VecDeque::new();
        while !queue.is_empty() {
            let mut batch: Vec<(RecordIn, u32)> = queue.drain(..queue.len().min(10)).collect();
            for (r, _) in &mut batch {
                r.receive_count += 1;
            }
            let records: Vec<RecordIn> = batch.iter().map(|(r, _)| r.clone()).collect();
            let failed = match tokio::time::timeout(FUNCTION_TIMEOUT, handle(records)).await {
                Ok(failed) => failed.into_iter().collect::<HashSet<_>>(),
                // Lambda's timeout (or a crash): the whole batch comes back.
                Err(_) => batch.iter().map(|(r, _)| r.sqs_message_id.clone()).collect(),
            };
            for (r, republished) in batch {
                if !failed.contains(&r.sqs_message_id) {
                    continue; // deleted by the event source
                }
                if r.receive_count >= MAX_RECEIVE_COUNT {
                    let mut s = f.db.state();
                    s.queues.entry(DLQ.into()).or_default().push_back(QueuedMessage {
                        message_id: r.sqs_message_id.clone(),
                        receipt_handle: format!("rh-{}-{rounds}", r.sqs_message_id),
                        body: r.body.clone(),
                        republished,
                        source_queue: None,
                    });
                } else {
                    back.push_back((r, republished));
                }
            }
        }
        clock.advance(VISIBILITY_TIMEOUT);
        f.db.expire_in_flight();
        queue = back;
        // The scheduled republisher (if it fails, it runs again next time).
        let on_dlq = f.db.state().queues.get(DLQ).map_or(0, VecDeque::len);
        if on_dlq > 0 {
            let _ = tokio::time::timeout(FUNCTION_TIMEOUT, republisher.republish()).await;
        }
        let republished: Vec<QueuedMessage> = f.db.state().queues.get_mut(SOURCE).map(|q| q.drain(..).collect()).unwrap_or_default();
        for m in republished {
            queue.push_back((RecordIn { sqs_message_id: m.message_id, body: m.body, receive_count: 0 }, m.republished));
        }
        let on_dlq = f.db.state().queues.get(DLQ).map_or(0, VecDeque::len);
        if queue.is_empty() && on_dlq == 0 {
            return rounds;
        }
    }
}

/// Helsenorge message ids of what ended parked.
fn parked_ids(db: &MemoryDb) -> HashSet<String> {
    db.state().parked.values().filter_map(|m| kith::message_id_of(&m.body)).collect()
}

/// Messages answered under more than one answer id: a real duplicate the receiver cannot see.
fn answered_twice<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> usize {
    let mut ids = HashMap::<&str, HashSet<&str>>::new();
    for (message, answer) in pairs {
        ids.entry(message).or_default().insert(answer);
    }
    ids.values().filter(|a| a.len() > 1).count()
}

fn answer_ids_sent_twice(sent: &[Outgoing]) -> usize {
    let mut seen = HashMap::<&str, usize>::new();
    for o in sent {
        *seen.entry(o.id.as_str()).or_default() += 1;
    }
    seen.values().filter(|n| **n > 1).count()
}

async fn inbound_run(targets: Vec<Target>) -> Tally {
    let (db, clock) = world();
    let f = Faulty { db: db.clone(), plan: Arc::new(Mutex::new(Plan { targets, injected: 0 })) };
    let inbound = InboundService {
        gate: f.clone(),
        appointments: f.clone(),
        outbound: f.clone(),
        pipeline: Pipeline { messages: f.clone(), outbox: f.clone(), dead_letters: f.clone(), clock: clock.clone(), source_queue: "InboundQueue".into() },
        id_mode: IdMode::Production,
    };
    let svc = KithInboundService { inbound, directory: MemoryHerDirectory { entries: vec![fixtures::her_entry()] } };
    // 36 messages for a consented citizen, 4 for one not known (rejected with E35).
    let bodies: Vec<String> = (0..40)
        .map(|i| {
            let who = if i % 10 == 9 { fixtures::CITIZEN_2032 } else { CITIZEN };
            kith::ekontakt(&format!("hn-fault-{i}"), who, &service()).body
        })
        .collect();
    let rounds = drive(&f, &clock, &bodies, |records| {
        let svc = &svc;
        // Redelivered and republished records carry no transport attributes; the XML is the truth.
        let records: Vec<_> = records.into_iter().map(|r| (r, Transport::default())).collect();
        async move { svc.handle_batch(&records, 10).await }
    })
    .await;
    let parked = parked_ids(&db);
    let s = db.state();
    let journal: Vec<&JournalEntry> = s.journal.values().flatten().collect();
    let delivered: HashSet<&str> = journal.iter().map(|e| e.message_id.as_str()).collect();
    let inbox: Vec<&InboxItem> = s.inbox.values().flatten().collect();
    let recs: Vec<(AppRec, &str)> = s.sent.iter().filter_map(|o| kith::apprec_of(o).map(|a| (a, o.id.as_str()))).collect();
    let rejected: HashSet<String> =
        recs.iter().filter(|(a, _)| a.status == AppRecStatus::Rejected).map(|(a, _)| a.answers_message_id.clone()).collect();
    // Everything delivered or rejected was answered exactly once (one answer id per message).
    let answered: HashSet<String> = recs.iter().map(|(a, _)| a.answers_message_id.clone()).collect();
    for m in delivered.iter().map(|m| m.to_string()).chain(rejected.iter().cloned()) {
        assert!(answered.contains(&m) || parked.contains(&m), "{m} was answered");
    }
    let apprecs = recs.iter().map(|(a, id)| (a.answers_message_id.as_str(), *id));
    let duplicates = (journal.len() - delivered.len())
        + (inbox.len() - inbox.iter().map(|i| i.message_id.as_str()).collect::<HashSet<_>>().len())
        + answered_twice(apprecs);
    let resent = answer_ids_sent_twice(&s.sent);
    let injected = f.plan.lock().expect("plan").injected;
    Tally { injected, delivered: delivered.len(), rejected: rejected.len(), parked: parked.len(), duplicates, resent, rounds }
}

async fn outbound_run(targets: Vec<Target>) -> Tally {
    let (db, clock) = world();
    let f = Faulty { db: db.clone(), plan: Arc::new(Mutex::new(Plan { targets, injected: 0 })) };
    let svc = OutboundService {
        gate: f.clone(),
        pipeline: Pipeline { messages: f.clone(), outbox: f.clone(), dead_letters: f.clone(), clock: clock.clone(), source_queue: "OutboundQueue".into() },
        id_mode: IdMode::Production,
    };
    // 36 replies a nurse may send; 4 from staff without access to the department (refused).
    let bodies: Vec<String> = (0..40)
        .map(|i| {
            let dept = if i % 10 == 9 { "999" } else { "115" };
            fixtures::reply_request(&format!("reply-fault-{i}"), dept).to_string()
        })
        .collect();
    let rounds = drive(&f, &clock, &bodies, |records| {
        let svc = &svc;
        async move { svc.handle_batch(&records, 10).await }
    })
    .await;
    let parked = db.state().parked.len();
    let s = db.state();
    let results: Vec<_> = s
        .sent
        .iter()
        .filter_map(|o| match &o.message {
            OutMessage::ReplyResult(r) => Some(r.clone()),
            _ => None,
        })
        .collect();
    let sent_ids: HashSet<&str> = results.iter().filter(|r| r.outcome == ReplyOutcome::Sent).map(|r| r.reply_id.as_str()).collect();
    let refused: HashSet<&str> = results.iter().filter(|r| r.outcome == ReplyOutcome::Refused).map(|r| r.reply_id.as_str()).collect();
    let journal: Vec<&JournalEntry> = s.journal.values().flatten().collect();
    let journaled: HashSet<&str> = journal.iter().map(|e| e.message_id.as_str()).collect();
    // One message to the citizen per reply sent, one result per reply.
    let to_citizen: HashSet<&str> = s
        .sent
        .iter()
        .filter_map(|o| match &o.message {
            OutMessage::DialogMessage { message_id, .. } => Some(message_id.as_str()),
            _ => None,
        })
        .collect();
    let results_by_reply = s.sent.iter().filter_map(|o| match &o.message {
        OutMessage::ReplyResult(r) => Some((r.reply_id.as_str(), o.id.as_str())),
        _ => None,
    });
    let duplicates = (journal.len() - journaled.len()) + to_citizen.len().saturating_sub(sent_ids.len()) + answered_twice(results_by_reply);
    let resent = answer_ids_sent_twice(&s.sent);
    let injected = f.plan.lock().expect("plan").injected;
    Tally { injected, delivered: sent_ids.len(), rejected: refused.len(), parked, duplicates, resent, rounds }
}

const KINDS: [Kind; 3] = [Kind::Throttle, Kind::ServerError, Kind::Timeout];

/// Enough gate faults to send every message to the dead-letter queue once (5 receives each),
/// so the failure path (dead-letter records, the republisher, alerts) runs under its own fault.
const TO_DLQ: Target = ("GateReader.gate_facts", Kind::Throttle, 220);

/// Every port method the function calls and each kind of fault, `n` times (a burst that
/// clears); failure-path ports behind a burst that sends every message to the dead-letter queue;
/// and one fault that outlasts every retry and republish.
fn plans(ports: &[&'static str], failure_path: &[&'static str], n: u32) -> Vec<Vec<Target>> {
    let mut v = vec![vec![], vec![TO_DLQ]];
    for p in ports {
        for k in KINDS {
            v.push(vec![(*p, k, n)]);
        }
    }
    for p in failure_path {
        for k in KINDS {
            v.push(vec![TO_DLQ, (*p, k, n)]);
        }
    }
    v.push(vec![(ports[0], Kind::Throttle, 100_000)]);
    v
}

fn print_table(function: &str, rows: &[(Vec<Target>, Tally)]) {
    println!("\nfault table — {function} (40 messages in; + = after {} {:?} x{})", TO_DLQ.0, TO_DLQ.1, TO_DLQ.2);
    println!(
        "{:<34} {:<12} {:>6} {:>9} {:>9} {:>8} {:>7} {:>11} {:>7} {:>7}",
        "port.method", "fault", "times", "injected", "delivered", "rejected", "parked", "duplicates", "resent", "rounds"
    );
    for (plan, t) in rows {
        let (p, k, n) = match plan.as_slice() {
            [] => ("(none)".to_string(), "-".to_string(), 0),
            [one] => (one.0.to_string(), format!("{:?}", one.1), one.2),
            [.., last] => (format!("+ {}", last.0), format!("{:?}", last.1), last.2),
        };
        println!(
            "{p:<34} {k:<12} {n:>6} {:>9} {:>9} {:>8} {:>7} {:>11} {:>7} {:>7}",
            t.injected, t.delivered, t.rejected, t.parked, t.duplicates, t.resent, t.rounds
        );
    }
}

fn paused_runtime() -> tokio::runtime::Runtime {
    // Paused time: a hung port reaches the 30 s function timeout at once.
    tokio::runtime::Builder::new_current_thread().enable_all().start_paused(true).build().expect("runtime")
}

#[test]
fn r_in_3_inbound_faults_at_every_port_lose_nothing_and_duplicate_nothing() {
    let rt = paused_runtime();
    let ports = ["GateReader.gate_facts", "MessageStore.record", "MessageStore.mark_sent", "HelsenorgeOutbox.send"];
    let failure_path = ["DeadLetterLog.record", "Requeue.receive", "Requeue.send", "Requeue.delete", "DeadLetterLog.recorded", "AlertSink.send"];
    let mut rows = vec![];
    for plan in plans(&ports, &failure_path, 12) {
        let t = rt.block_on(inbound_run(plan.clone()));
        assert_eq!(t.delivered + t.rejected + t.parked, 40, "{plan:?}: in = delivered + rejected + parked: {t:?}");
        assert_eq!(t.duplicates, 0, "{plan:?}: {t:?}");
        let wanted: u32 = plan.iter().map(|(_, _, n)| n.min(&1)).sum();
        assert!(t.injected >= wanted, "{plan:?}: the fault was reached: {t:?}");
        rows.push((plan, t));
    }
    print_table("inbound-message + dlq-republisher", &rows);
    let persistent = rows.last().expect("rows").1.clone();
    assert_eq!(persistent.parked, 40, "a fault that never clears parks every message, none lost");
}

#[test]
fn r_dlq_1_outbound_faults_at_every_port_lose_nothing_and_duplicate_nothing() {
    let rt = paused_runtime();
    let ports = ["GateReader.gate_facts", "MessageStore.record", "MessageStore.mark_sent", "HelsenorgeOutbox.send"];
    let failure_path = ["DeadLetterLog.record", "Requeue.send", "AlertSink.send"];
    let mut rows = vec![];
    for plan in plans(&ports, &failure_path, 12) {
        let t = rt.block_on(outbound_run(plan.clone()));
        assert_eq!(t.delivered + t.rejected + t.parked, 40, "{plan:?}: in = sent + refused + parked: {t:?}");
        assert_eq!(t.duplicates, 0, "{plan:?}: {t:?}");
        rows.push((plan, t));
    }
    print_table("outbound-reply + dlq-republisher", &rows);
}
