//! Dead letters on in-memory adapters (R-DLQ-1..5), with inbound-message's real use case and
//! a fault injected at its gate port. SQS redrive is simulated: a failed record goes to the
//! dead-letter queue with its attributes, as SQS does after `maxReceiveCount`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use shared::adapters::memory::{ManualClock, MemoryDb};
use shared::app::RecordIn;
use shared::adapters::her_directory::MemoryHerDirectory;
use shared::app::inbound::InboundService;
use shared::app::kith_inbound::{KithInboundService, Transport};
use shared::app::pipeline::Pipeline;
use shared::app::republish::{ActionError, DeadLetterAction, DeadLetterAnswer, RedrivePair, RepublishService, summary};
use shared::domain::dead_letter::{Alert, ParkedMessage, ParkedRecord};
use shared::domain::{IdMode, NationalId, ServiceKey};
use shared::error::PortError;
use shared::fixtures::{self, CITIZEN, id, service, ts};
use shared::ports::{GateFacts, GateReader, Inspect, ParkedStore, QueuedMessage, Requeue};

/// A gate that fails (as DynamoDB throttling would) until its budget of faults is spent.
#[derive(Clone)]
struct FaultyGate {
    inner: MemoryDb,
    faults_left: Arc<AtomicU32>,
}

impl GateReader for FaultyGate {
    async fn gate_facts(&self, citizen: &NationalId, service: &ServiceKey, message_id: Option<&str>) -> Result<GateFacts, PortError> {
        if self.faults_left.load(Ordering::SeqCst) > 0 {
            self.faults_left.fetch_sub(1, Ordering::SeqCst);
            return Err(PortError::transient("read citizen and activation", "ThrottlingException (injected)"));
        }
        self.inner.gate_facts(citizen, service, message_id).await
    }
}

const INBOUND: &str = "http://local/123/InboundQueue";
const DLQ: &str = "http://local/123/InboundDeadLetterQueue";

struct World {
    db: MemoryDb,
    inbound: KithInboundService<FaultyGate, MemoryDb, MemoryDb, MemoryDb, MemoryDb, MemoryDb, ManualClock, MemoryHerDirectory>,
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
    let inbound = KithInboundService { inbound, directory: MemoryHerDirectory { entries: vec![fixtures::her_entry()] } };
    let republisher = RepublishService {
        queues: db.clone(),
        dead_letters: db.clone(),
        parked: db.clone(),
        alerts: db.clone(),
        clock,
        pairs: vec![RedrivePair { dead_letter_url: DLQ.into(), source_url: INBOUND.into() }],
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
        // The republisher forwards no transport attributes; the XML is the truth.
        if w.inbound.handle_batch(&[(rec, Transport::default())], 1).await.is_empty() {
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
    let body = fixtures::kith::ekontakt("hn-poison", CITIZEN, &service()).body;
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
    assert_eq!(w.db.state().parked.len(), 1, "out of the ordinary flow, kept with its body");
    assert!(w.db.state().queues[INBOUND].is_empty() && w.db.state().queues[DLQ].is_empty());
    let Some(Alert::Summary { lines, total, .. }) = summary(&w.db, &w.db, &w.republisher.clock, false).await.unwrap() else { panic!("summary") };
    assert_eq!(total, 1);
    assert_eq!(lines[0].source_queue, "InboundQueue");
    assert_eq!(lines[0].kind.as_deref(), Some("DIALOG_INNBYGGER_EKONTAKT"));
    assert_eq!(lines[0].republish_counts, vec![10]);
    let text = serde_json::to_string(&alerts(&w.db)).unwrap();
    assert!(!text.contains(CITIZEN) && !text.contains("Kan dere"), "alerts carry no personal data");
}

#[tokio::test]
async fn r_dlq_1_a_message_whose_fault_clears_after_3_republishes_is_processed_once_and_nothing_is_parked() {
    let w = world(4); // fails on the first delivery and on its first 3 republishes
    let body = fixtures::kith::ekontakt("hn-flaky", CITIZEN, &service()).body;
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
async fn r_dlq_2_a_parked_message_is_kept_with_its_body_under_one_id_and_sent_back_by_hand() {
    let w = world(u32::MAX);
    let body = fixtures::kith::ekontakt("hn-back", CITIZEN, &service()).body;
    w.db.send(INBOUND, &body, 0, "InboundQueue", 0).await.unwrap();
    for _ in 0..20 {
        deliver(&w).await;
        w.republisher.republish().await.unwrap();
    }
    // One id everywhere: the parked alert's id is the one list-parked shows and send-back takes.
    let alerted = alerts(&w.db)
        .into_iter()
        .find_map(|a| if let Alert::Parked { message_id, .. } = a { Some(message_id) } else { None })
        .unwrap();
    let DeadLetterAnswer::Parked { parked } = w.republisher.handle(DeadLetterAction::ListParked {}).await.unwrap() else { panic!() };
    assert_eq!(parked.iter().map(|p| p.message_id.clone()).collect::<Vec<_>>(), vec![alerted.clone()]);
    let kept = w.db.state().parked[&alerted].clone();
    assert_eq!(kept.body, body, "the body is kept untouched");
    assert!(!format!("{kept:?}").contains(CITIZEN), "Debug shows no body");
    let inspect = DeadLetterAction::Inspect { message_id: alerted.clone() };
    let DeadLetterAnswer::Inspected { body_bytes, .. } = w.republisher.handle(inspect).await.unwrap() else { panic!() };
    assert_eq!(body_bytes, body.len());
    // An unknown id answers "not found" and touches nothing.
    let unknown = w.republisher.handle(DeadLetterAction::SendBack { message_id: "no-such-id".into() }).await;
    assert!(matches!(unknown, Err(ActionError::NotParked)));
    assert_eq!(w.db.state().parked.len(), 1);
    // Support fixes the fault (here: no more faults), then sends it back: it is processed once.
    w.inbound.inbound.gate.faults_left.store(0, Ordering::SeqCst);
    let sent = w.republisher.handle(DeadLetterAction::SendBack { message_id: alerted.clone() }).await.unwrap();
    assert_eq!(sent, DeadLetterAnswer::SentBack { sent_back: true, source_queue: "InboundQueue".into() });
    assert!(w.db.state().parked.is_empty(), "no longer parked");
    assert!(alerts(&w.db).iter().any(|a| matches!(a, Alert::SentBack { message_id, .. } if *message_id == alerted)));
    assert_eq!(deliver(&w).await, 1);
    assert_eq!(w.db.journal(&id(CITIZEN)).await.unwrap().len(), 1);
    assert!(matches!(w.republisher.send_back(&alerted).await, Err(ActionError::NotParked)), "sent back once");
}

#[tokio::test]
async fn r_dlq_2_a_parked_message_stays_until_resolved_and_parking_twice_keeps_one() {
    let w = world(u32::MAX);
    let record = |at: &str| ParkedRecord {
        message_id: "dl-1".into(),
        source_queue: "InboundQueue".into(),
        kind: Some("dialog-message".into()),
        republished: 10,
        last_error: None,
        parked_at: ts(at),
    };
    let first = ParkedMessage { record: record("2026-03-01T10:00:00Z"), body: "first".into() };
    w.db.park(&first).await.unwrap();
    w.db.park(&ParkedMessage { record: record("2026-03-02T10:00:00Z"), body: "second".into() }).await.unwrap();
    assert_eq!(w.db.parked_message("dl-1").await.unwrap(), Some(first), "a second park of the same id changes nothing");
    w.republisher.handle(DeadLetterAction::Resolve { message_id: "dl-1".into() }).await.unwrap();
    assert!(w.db.parked().await.unwrap().is_empty());
    assert!(alerts(&w.db).iter().any(|a| matches!(a, Alert::Resolved { .. })));
    let again = w.republisher.handle(DeadLetterAction::Resolve { message_id: "dl-1".into() }).await;
    assert!(matches!(again, Err(ActionError::NotParked)));
}
