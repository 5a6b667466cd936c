//! Receipt statuses of outbound messages on in-memory adapters (R-OUT-3): a send failure is a
//! red "send error", AppRec status 3 has its own status, and AppRecs answering the R-APT-3
//! return message find their record.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use jiff::SignedDuration;
use serde_json::json;
use shared::adapters::memory::{ManualClock, MemoryDb};
use shared::app::inbound::{InboundService, Outcome as InOutcome};
use shared::app::outbound::{Outcome, OutboundService};
use shared::app::pipeline::{Answered, Pipeline};
use shared::app::RecordIn;
use shared::domain::message::{InboundEnvelope, OutMessage, Outgoing};
use shared::domain::receipt::{Flag, OutboundStatus, SEND_FAILED_TEXT};
use shared::domain::IdMode;
use shared::error::PortError;
use shared::fixtures::{self, CITIZEN, consented_citizen, id, service, ts, usable_activation};
use shared::ports::{Clock, HelsenorgeOutbox, OutboundStore};

/// The outbox toward Helsenorge, failing every message while `down` is set.
#[derive(Clone, Default)]
struct Outbox {
    db: MemoryDb,
    down: Arc<AtomicBool>,
}

impl HelsenorgeOutbox for Outbox {
    async fn send(&self, messages: &[Outgoing]) -> Result<Vec<String>, PortError> {
        if self.down.load(Ordering::SeqCst) {
            return Ok(messages.iter().map(|m| m.id.clone()).collect());
        }
        self.db.send(messages).await
    }
}

fn pipeline(db: &MemoryDb, outbox: &Outbox, clock: &ManualClock, queue: &str) -> Pipeline<MemoryDb, Outbox, MemoryDb, ManualClock> {
    Pipeline {
        messages: db.clone(),
        outbox: outbox.clone(),
        dead_letters: db.clone(),
        clock: clock.clone(),
        source_queue: queue.into(),
    }
}

struct World {
    db: MemoryDb,
    outbox: Outbox,
    clock: ManualClock,
    outbound: OutboundService<MemoryDb, MemoryDb, Outbox, MemoryDb, ManualClock>,
    inbound: InboundService<MemoryDb, MemoryDb, MemoryDb, MemoryDb, Outbox, MemoryDb, ManualClock>,
}

fn world() -> World {
    let db = MemoryDb::new();
    let outbox = Outbox { db: db.clone(), down: Arc::default() };
    let clock = ManualClock::at(ts("2026-03-01T10:00:00Z"));
    {
        let mut s = db.state();
        s.citizens.insert(id(CITIZEN), consented_citizen(CITIZEN, &service()));
        s.activations.insert(service(), usable_activation(&service()));
        let plan = [fixtures::regular("r1", &service())];
        s.plans.insert((id(CITIZEN), service()), plan.into_iter().map(|a| (a.id.0.clone(), a)).collect());
    }
    World {
        outbound: OutboundService {
            gate: db.clone(),
            pipeline: pipeline(&db, &outbox, &clock, "OutboundQueue"),
            id_mode: IdMode::Production,
        },
        inbound: InboundService {
            gate: db.clone(),
            appointments: db.clone(),
            outbound: db.clone(),
            pipeline: pipeline(&db, &outbox, &clock, "InboundQueue"),
            id_mode: IdMode::Production,
        },
        db,
        outbox,
        clock,
    }
}

fn record(sqs_id: &str, body: String) -> Vec<RecordIn> {
    vec![RecordIn { sqs_message_id: sqs_id.into(), body, receive_count: 1 }]
}

/// An AppRec in, as domain input (written as JSON for brevity; the KITH edge's reading of
/// AppRec documents is tested in `kith_inbound.rs`).
fn apprec(message_id: &str, answers: &str, status: &str) -> InboundEnvelope {
    serde_json::from_value(json!({"version": 1, "messageId": message_id, "sentAt": "2026-03-01T10:00:00Z",
           "message": {"kind": "apprec", "answersMessageId": answers, "status": status,
                       "errors": [{"code": "E10", "reason": "Vedlegg 2 kunne ikke leses"}]}}))
    .expect("valid domain input")
}

const DEADLINE: SignedDuration = SignedDuration::from_hours(1);

#[tokio::test]
async fn r_out_3_a_reply_that_failed_to_send_shows_red_send_error_not_violet_missing() {
    let w = world();
    let request = fixtures::reply_request("r-1", "115").to_string();
    w.outbox.down.store(true, Ordering::SeqCst);
    // Every delivery fails to send: SQS retries, the republisher republishes, it is parked.
    for attempt in 0..3 {
        let failed = w.outbound.handle_batch(&record(&format!("sqs-{attempt}"), request.clone()), 1).await;
        assert_eq!(failed, vec![format!("sqs-{attempt}")], "reported failed for a retry");
        w.clock.advance(SignedDuration::from_mins(5));
    }
    w.clock.advance(SignedDuration::from_hours(30));
    let stored = w.db.reply("r-1").await.unwrap().expect("recorded");
    let status = stored.status(w.clock.now(), DEADLINE);
    assert_eq!(status, OutboundStatus::SendError { reason: SEND_FAILED_TEXT.into() });
    assert_eq!(status.flag(), Flag::RedFlag, "send error is red, never violet");

    // Sent back after a fix: the resend goes out and the reply waits for its receipt again.
    w.outbox.down.store(false, Ordering::SeqCst);
    assert!(w.outbound.handle_batch(&record("sqs-back", request), 1).await.is_empty());
    let stored = w.db.reply("r-1").await.unwrap().expect("recorded");
    assert_eq!(stored.status(w.clock.now(), SignedDuration::from_hours(48)), OutboundStatus::Sent);
    assert_eq!(w.db.state().sent.iter().filter(|o| matches!(o.message, OutMessage::DialogMessage { .. })).count(), 1);
}

#[tokio::test]
async fn r_out_3_apprec_status_3_gets_its_own_status_not_a_plain_green_check() {
    let w = world();
    let out = w.outbound.process(&fixtures::reply_request("r-2", "115").to_string()).await.unwrap();
    let Outcome::Sent(p) = &out else { panic!("sent: {out:?}") };
    assert!(w.outbound.pipeline.send_pending(&[p]).await.unwrap().is_empty());
    let answered = w.inbound.process_envelope(apprec("hn-ar-1", "r-2", "ok-with-errors"), &|o| Some(o)).await.unwrap();
    assert_eq!(answered, InOutcome::ReceiptApplied);
    let status = w.db.reply("r-2").await.unwrap().unwrap().status(w.clock.now(), DEADLINE);
    assert_eq!(status, OutboundStatus::ReceiptOkWithErrors { reason: "E10: Vedlegg 2 kunne ikke leses".into() });
    assert_eq!(status.flag(), Flag::CheckWithWarning);
    assert!(w.outbound.pipeline.send_pending(&[p]).await.unwrap().is_empty());
    assert_eq!(
        w.db.reply("r-2").await.unwrap().unwrap().status(w.clock.now(), DEADLINE),
        status,
        "a later send attempt never overwrites an AppRec's fact"
    );
}

#[tokio::test]
async fn r_out_3_apprec_for_the_return_message_finds_its_record() {
    let w = world();
    let cancel = json!({"version": 1, "messageId": "hn-c2", "sentAt": "2026-03-01T10:00:00Z",
        "message": {"kind": "cancel-appointment", "citizen": CITIZEN, "sender": {"role": "citizen"},
                    "service": service(), "assignment": "r1"}});
    let out = w.inbound.process_envelope(serde_json::from_value(cancel).expect("domain input"), &|o| Some(o)).await.unwrap();
    let InOutcome::Delivered(p) = &out else { panic!("delivered: {out:?}") };
    assert!(w.inbound.pipeline.send_pending(&[p]).await.unwrap().is_empty());
    let returned = w.db.reply("hn-c2.return").await.unwrap().expect("the return message has a receipt record");
    assert_eq!(returned.citizen, id(CITIZEN));
    assert_eq!(returned.status(w.clock.now(), DEADLINE), OutboundStatus::Sent);

    let answered = w.inbound.process_envelope(apprec("hn-ar-2", "hn-c2.return", "ok"), &|o| Some(o)).await.unwrap();
    assert_eq!(answered, InOutcome::ReceiptApplied);
    assert!(answered.pending().is_none(), "receipts are never answered");
    assert!(w.db.state().dead_letters.is_empty(), "not a dead letter");
    let status = w.db.reply("hn-c2.return").await.unwrap().unwrap().status(w.clock.now(), DEADLINE);
    assert_eq!(status, OutboundStatus::ReceiptOk);
}
