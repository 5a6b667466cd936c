//! Contract suites of the message flow's reads and records beside the stores
//! ([`GateReader`], [`OutboundStore`], [`HerDirectory`], [`AlertSink`]), run on the in-memory
//! adapter and on DynamoDB/SQS (`tests/contract.rs`). Each implementation is held to what
//! DynamoDB does and memory could hide: one round trip that sees a delivery's idempotency
//! record, an update that never creates what was not there, the 400 KB item, and times taken
//! from the caller's clock, never the adapter's.

use futures::future::join_all;
use jiff::Timestamp;
use shared::domain::dead_letter::Alert;
use shared::domain::receipt::ReceiptFact;
use shared::domain::reply::OutboundMessage;
use shared::domain::sync::run_id_for;
use shared::domain::ServiceKey;
use shared::error::Retryable;
use shared::fixtures::{CITIZEN, activated, consented_citizen, her_entry, id, service, ts};
use shared::ports::{ActivationStore, AlertSink, Delivery, GateReader, HerDirectory, HerEntry, MessageStore, OutboundStore, Recorded, Seed};

use crate::contract_sync::INJECTED;

fn other_service() -> ServiceKey {
    ServiceKey::parse("116", "HS").expect("service")
}

/// [`GateReader`]: an unknown citizen and service read as none; a seeded citizen with the
/// service on the card and its activation read back as stored; with a message id, the
/// idempotency record of a recorded delivery (with the delivery's time and whether its answers
/// went out) comes with the same read (R-IN-3).
pub async fn gate_reader<G>(gate: &G, prefix: &str)
where
    G: GateReader + Seed + ActivationStore + MessageStore,
{
    let citizen = id(CITIZEN);
    let message_id = format!("{prefix}-gate-1");
    let facts = gate.gate_facts(&citizen, &service(), Some(&message_id)).await.unwrap();
    assert_eq!((facts.citizen, facts.activation, facts.processed), (None, None, None), "nothing known");

    let record = consented_citizen(CITIZEN, &service());
    gate.put_citizens(std::slice::from_ref(&record)).await.unwrap();
    gate.activate(&activated(&service())).await.unwrap();
    let facts = gate.gate_facts(&citizen, &service(), None).await.unwrap();
    let read = facts.citizen.expect("the citizen");
    assert_eq!((read.aktiv, read.consent_first_given_at, read.synced_at), (record.aktiv, record.consent_first_given_at, record.synced_at));
    assert!(read.record_card.contains(&service()), "the service is on the card");
    assert_eq!(facts.activation.as_ref(), Some(activated(&service()).activation()));
    assert_eq!(facts.processed, None, "no message asked about");

    let elsewhere = gate.gate_facts(&citizen, &other_service(), None).await.unwrap();
    assert!(!elsewhere.citizen.expect("known").record_card.contains(&other_service()), "not on the card");
    assert_eq!(elsewhere.activation, None, "exactly the service's activation (R-ACT-1)");

    let at: Timestamp = INJECTED.parse().expect("time");
    let answered = Delivery::answers_only(&message_id, vec![], at);
    assert!(matches!(gate.record(&answered).await, Ok(Recorded::New)));
    let processed = gate.gate_facts(&citizen, &service(), Some(&message_id)).await.unwrap().processed.expect("recorded");
    assert_eq!((processed.message_id.as_str(), processed.processed_at, processed.sent), (message_id.as_str(), at, false));
    gate.mark_sent(std::slice::from_ref(&message_id), at).await.unwrap();
    let processed = gate.gate_facts(&citizen, &service(), Some(&message_id)).await.unwrap().processed.expect("recorded");
    assert!(processed.sent, "and that its answers went out");
}

fn outbound(message_id: &str, sent_at: &str) -> OutboundMessage {
    OutboundMessage {
        message_id: message_id.into(),
        citizen: id(CITIZEN),
        service: service(),
        staff_id: "sykepleier-17".into(),
        sent_at: ts(sent_at),
        receipt: ReceiptFact::Awaiting,
    }
}

/// [`OutboundStore`]: a reply reads back as stored; an AppRec for an unknown id is reported
/// and creates nothing; an AppRec's fact is final, a send attempt's never overwrites it
/// (R-OUT-3), whichever of racing writers comes last.
pub async fn outbound_store<O>(store: &O, prefix: &str)
where
    O: OutboundStore + MessageStore + Seed,
{
    let unknown = format!("{prefix}-out-unknown");
    assert_eq!(store.reply(&unknown).await.unwrap(), None);
    let ok = ReceiptFact::Ok { at: ts("2026-03-01T10:05:00Z") };
    assert_eq!(store.apply_receipt(&unknown, &ok).await.unwrap(), shared::ports::ReceiptApplied::UnknownMessage);
    assert_eq!(store.reply(&unknown).await.unwrap(), None, "an AppRec for an unknown id creates nothing");
    let failed = ReceiptFact::SendFailed { at: ts("2026-03-01T10:01:00Z"), reason: "Sending feilet".into() };
    store.note_send(std::slice::from_ref(&unknown), &failed).await.unwrap();
    assert_eq!(store.reply(&unknown).await.unwrap(), None, "nor does a send attempt");

    let ids: Vec<String> = (0..6).map(|n| format!("{prefix}-out-{n}")).collect();
    for id in &ids {
        store.put_outbound(&outbound(id, "2026-03-01T10:00:00Z")).await.unwrap();
    }
    assert_eq!(store.reply(&ids[0]).await.unwrap(), Some(outbound(&ids[0], "2026-03-01T10:00:00Z")));
    store.note_send(&ids[..2], &failed).await.unwrap();
    assert_eq!(store.reply(&ids[0]).await.unwrap().expect("stored").receipt, failed, "a send attempt's fact");

    // An AppRec and a send attempt race on each of four replies: the AppRec stands.
    let (ok_ref, failed_ref) = (&ok, &failed);
    let races = ids[2..].iter().map(|id| async move {
        let (applied, noted) = futures::join!(store.apply_receipt(id, ok_ref), store.note_send(std::slice::from_ref(id), failed_ref));
        noted.unwrap();
        applied.unwrap()
    });
    assert!(join_all(races).await.iter().all(|a| *a == shared::ports::ReceiptApplied::Updated));
    for id in &ids[2..] {
        store.note_send(std::slice::from_ref(id), &failed).await.unwrap();
        assert_eq!(store.reply(id).await.unwrap().expect("stored").receipt, ok, "an AppRec's fact is final (R-OUT-3)");
    }
}

/// [`HerDirectory`]: an unknown HER-id or service is none; an entry reads back both ways.
pub async fn her_directory<H: HerDirectory + Seed>(directory: &H) {
    let entry: HerEntry = her_entry();
    assert_eq!(directory.service_of(&entry.her_id).await.unwrap(), None);
    assert_eq!(directory.her_of(&entry.service).await.unwrap(), None);
    directory.put_her(&entry).await.unwrap();
    let other = HerEntry { her_id: "80116".into(), name: "Hjemmesykepleien sone 116".into(), service: other_service(), ..entry.clone() };
    directory.put_her(&other).await.unwrap();
    assert_eq!(directory.service_of(&entry.her_id).await.unwrap(), Some(entry.service.clone()));
    assert_eq!(directory.her_of(&entry.service).await.unwrap(), Some(entry.clone()));
    assert_eq!(directory.her_of(&other_service()).await.unwrap(), Some(other));
    assert_eq!(directory.service_of("99999").await.unwrap(), None);
}

/// [`AlertSink`]: every alert is kept under the day of its own time (the use case's clock,
/// never the adapter's), each of several in the same millisecond. `history` reads back the
/// alerts kept for an Oslo date.
pub async fn alert_sink<L, F>(sink: &L, history: F)
where
    L: AlertSink,
    F: AsyncFn(&str) -> Vec<Alert>,
{
    let at: Timestamp = INJECTED.parse().expect("time");
    let alerts: Vec<Alert> = (0..3)
        .map(|n| Alert::Republished {
            message_id: format!("m-{n}"),
            source_queue: "InboundQueue".into(),
            kind: Some("dialog-message".into()),
            attempt: n + 1,
            at,
        })
        .chain([Alert::SyncChunkFailed { run_id: run_id_for(at), chunk: 4, citizens: 1000, error: "HTTP 503".into(), at }])
        .collect();
    for a in &alerts {
        sink.send(a).await.unwrap();
    }
    let mut kept = history(&run_id_for(at)).await;
    kept.sort_by_key(|a| serde_json::to_string(a).expect("json"));
    let mut expected = alerts.clone();
    expected.sort_by_key(|a| serde_json::to_string(a).expect("json"));
    assert_eq!(kept, expected, "every alert, under the day of its own time");
}

/// An item over DynamoDB's 400 KB is refused for good by the seed as by the stores.
pub async fn oversized_outbound<S: Seed>(seed: &S, prefix: &str) {
    let mut o = outbound(&format!("{prefix}-out-big"), "2026-03-01T10:00:00Z");
    o.staff_id = "x".repeat(410 * 1024);
    let e = seed.put_outbound(&o).await.expect_err("over 400 KB");
    assert!(!e.is_retryable(), "{e}");
}
