//! Dead letters on in-memory adapters (R-DLQ-1..5), with inbound-message's real use case and
//! a fault injected at its gate port. SQS redrive is simulated: a failed record goes to the
//! dead-letter queue with its attributes, as SQS does after `maxReceiveCount`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use shared::adapters::memory::{ManualClock, MemoryDb};
use shared::app::RecordIn;
use shared::app::inbound::InboundService;
use shared::app::pipeline::Pipeline;
use shared::app::republish::{RedrivePair, RepublishService, summary};
use shared::domain::dead_letter::Alert;
use shared::domain::{IdMode, NationalId, ServiceKey};
use shared::error::PortError;
use shared::fixtures::{self, CITIZEN, id, service, ts};
use shared::ports::{GateFacts, GateReader, MessageStore, QueuedMessage, Requeue};

/// A gate that fails (as DynamoDB throttling would) until its budget of faults is spent.
#[derive(Clone)]
struct FaultyGate {
    inner: MemoryDb,
    faults_left: Arc<AtomicU32>,
}

impl GateReader for FaultyGate {
    async fn gate_facts(&self, citizen: &NationalId, service: &ServiceKey) -> Result<GateFacts, PortError> {
        if self.faults_left.load(Ordering::SeqCst) > 0 {
            self.faults_left.fetch_sub(1, Ordering::SeqCst);
            return Err(PortError::transient("read citizen and activation", "ThrottlingException (injected)"));
        }
        self.inner.gate_facts(citizen, service).await
    }
}

const INBOUND: &str = "http://local/123/InboundQueue";
const DLQ: &str = "http://local/123/InboundDeadLetterQueue";
const PARKED: &str = "http://local/123/ParkedQueue";

struct World {
    db: MemoryDb,
    inbound: InboundService<FaultyGate, MemoryDb, MemoryDb, MemoryDb, MemoryDb, MemoryDb, ManualClock>,
    republisher: RepublishService<MemoryDb, MemoryDb, MemoryDb, MemoryDb, ManualClock>,
}

fn world(faults: u32) -> World {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-01T10:00:00Z"));
    {
        let mut s = db.state();
        s.citizens.insert(id(CITIZEN), fixtures::consented_citizen(CITIZEN, &service()));
        s.activations.insert(service(), fixtures::usable_activation(&service()));
    }
    let inbound = InboundService {
        gate: FaultyGate { inner: db.clone(), faults_left: Arc::new(AtomicU32::new(faults)) },
        appointments: db.clone(),
        outbound: db.clone(),
        pipeline: Pipeline {
            messages: db.clone(),
            outbox: db.clone(),
            dead_letters: db.clone(),
            clock: clock.clone(),
            source_queue: "InboundQueue".into(),
        },
        id_mode: IdMode::Production,
    };
    let republisher = RepublishService {
        queues: db.clone(),
        dead_letters: db.clone(),
        parked: db.clone(),
        alerts: db.clone(),
        clock,
        pairs: vec![RedrivePair { dead_letter_url: DLQ.into(), source_url: INBOUND.into() }],
        parked_url: PARKED.into(),
        base_delay_secs: 0,
        max_messages: 100,
    };
    World { db, inbound, republisher }
}

/// Delivers everything on the inbound queue; a failed record goes to the dead-letter queue
/// (SQS redrive), a processed one is deleted. Returns how many were processed.
async fn deliver(w: &World) -> u32 {
    let mut ok = 0;
    let messages: Vec<QueuedMessage> = w.db.receive(INBOUND).await.unwrap();
    for m in messages {
        let rec = RecordIn { sqs_message_id: m.message_id.clone(), body: m.body.clone(), receive_count: 5 };
        if w.inbound.handle_batch(&[rec], 1).await.is_empty() {
            ok += 1;
        } else {
            w.db.state().queues.entry(DLQ.into()).or_default().push_back(m);
        }
    }
    ok
}

fn alerts(db: &MemoryDb) -> Vec<Alert> {
    db.state().alerts.clone()
}

#[tokio::test]
async fn r_dlq_2_a_message_failing_every_time_is_republished_10_times_then_parked_and_summarized() {
    let w = world(u32::MAX);
    let body = fixtures::dialog_json("hn-poison", CITIZEN, &service());
    w.db.send(INBOUND, &body, 0, "InboundQueue", 0).await.unwrap();
    for _ in 0..20 {
        deliver(&w).await;
        w.republisher.republish().await.unwrap();
    }
    let a = alerts(&w.db);
    let republished: Vec<u32> =
        a.iter().filter_map(|x| if let Alert::Republished { attempt, .. } = x { Some(*attempt) } else { None }).collect();
    assert_eq!(republished, (1..=10).collect::<Vec<_>>(), "republished exactly 10 times");
    let back: Vec<&Alert> = a.iter().filter(|x| matches!(x, Alert::BackOnDeadLetterQueue { .. })).collect();
    assert_eq!(back.len(), 10, "each time it came back");
    for b in back {
        let Alert::BackOnDeadLetterQueue { error, .. } = b else { unreachable!() };
        assert!(error.as_deref().is_some_and(|e| e.contains("injected")), "the recorded error is attached: {error:?}");
    }
    assert_eq!(a.iter().filter(|x| matches!(x, Alert::Parked { .. })).count(), 1);
    assert_eq!(w.db.state().queues[PARKED].len(), 1, "out of the ordinary flow, in a queue of its own");
    assert!(w.db.state().queues[INBOUND].is_empty() && w.db.state().queues[DLQ].is_empty());
    let Some(Alert::Summary { lines, total, .. }) = summary(&w.db, &w.db, &w.republisher.clock, false).await.unwrap() else { panic!("summary") };
    assert_eq!(total, 1);
    assert_eq!(lines[0].source_queue, "InboundQueue");
    assert_eq!(lines[0].kind.as_deref(), Some("dialog-message"));
    assert_eq!(lines[0].republish_counts, vec![10]);
    let text = serde_json::to_string(&alerts(&w.db)).unwrap();
    assert!(!text.contains(CITIZEN) && !text.contains("Kan dere"), "alerts carry no personal data");
}

#[tokio::test]
async fn r_dlq_1_a_message_whose_fault_clears_after_3_republishes_is_processed_once_and_nothing_is_parked() {
    let w = world(4); // fails on the first delivery and on its first 3 republishes
    let body = fixtures::dialog_json("hn-flaky", CITIZEN, &service());
    w.db.send(INBOUND, &body, 0, "InboundQueue", 0).await.unwrap();
    let mut processed = 0;
    for _ in 0..12 {
        processed += deliver(&w).await;
        w.republisher.republish().await.unwrap();
    }
    assert_eq!(processed, 1, "count in = processed + parked");
    assert_eq!(w.db.journal(&id(CITIZEN)).await.unwrap().len(), 1, "processed exactly once");
    assert!(w.db.state().parked.is_empty());
    assert_eq!(summary(&w.db, &w.db, &w.republisher.clock, false).await.unwrap(), None, "nothing parked: no summary");
    let republished = alerts(&w.db).iter().filter(|x| matches!(x, Alert::Republished { .. })).count();
    assert_eq!(republished, 4);
}

#[tokio::test]
async fn a_parked_message_is_sent_back_by_hand_and_then_processed() {
    let w = world(u32::MAX);
    w.db.send(INBOUND, &fixtures::dialog_json("hn-back", CITIZEN, &service()), 0, "InboundQueue", 0).await.unwrap();
    for _ in 0..20 {
        deliver(&w).await;
        w.republisher.republish().await.unwrap();
    }
    let parked_id = w.db.state().queues[PARKED][0].message_id.clone();
    assert!(w.db.state().parked.contains_key(&parked_id), "the record names the parked message");
    // Support fixes the fault (here: no more faults), then sends it back.
    w.inbound.gate.faults_left.store(0, Ordering::SeqCst);
    assert!(w.republisher.send_back(&parked_id).await.unwrap());
    assert!(!w.republisher.send_back("no-such-id").await.unwrap());
    assert!(w.db.state().parked.is_empty(), "no longer parked");
    assert_eq!(deliver(&w).await, 1);
    assert_eq!(w.db.journal(&id(CITIZEN)).await.unwrap().len(), 1);
}
