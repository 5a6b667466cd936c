//! Contract suites: one per port, generic over the implementation, run against the in-memory
//! adapter always and against the DynamoDB/SQS adapter on the local stack (`tests/contract.rs`).
//! Each suite states what every implementation must do, including what the in-memory adapter
//! cannot hide: DynamoDB's item size and 1 MB pages, conditional writes, SQS attributes.

use jiff::Timestamp;
use shared::domain::dead_letter::{ErrorClass, ParkedMessage, ParkedRecord, RecordedError};
use shared::ports::{DeadLetterLog, ParkedStore, Requeue};

fn at(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn parked(id: &str, when: &str, body: String) -> ParkedMessage {
    ParkedMessage {
        record: ParkedRecord {
            message_id: id.into(),
            source_queue: "InboundQueue".into(),
            kind: Some("dialog-message".into()),
            republished: 10,
            last_error: Some("inbound failed: ThrottlingException".into()),
            parked_at: at(when),
        },
        body,
    }
}

/// [`ParkedStore`]: kept with the body untouched (up to SQS's 256 KiB body), once per id,
/// listed oldest first without bodies across pages, removed once.
pub async fn parked_store<S: ParkedStore>(store: &S, prefix: &str) {
    let id = |n: u32| format!("{prefix}-parked-{n}");
    assert_eq!(store.parked_message(&id(0)).await.unwrap(), None, "an unknown id is not parked");
    assert!(!store.unpark(&id(0)).await.unwrap(), "unparking an unknown id says so");

    // Six bodies of 250 KiB: 1.5 MB in all, more than one DynamoDB page.
    let big = |n: u32| format!("{n}:{}", "æ".repeat(125 * 1024));
    for n in (1..=6).rev() {
        store.park(&parked(&id(n), &format!("2026-03-0{n}T10:00:00Z"), big(n))).await.unwrap();
    }
    store.park(&parked(&id(3), "2026-03-09T10:00:00Z", "a later park of the same id".into())).await.unwrap();
    let listed = store.parked().await.unwrap();
    let ours: Vec<&ParkedRecord> = listed.iter().filter(|r| r.message_id.starts_with(prefix)).collect();
    assert_eq!(ours.iter().map(|r| r.message_id.clone()).collect::<Vec<_>>(), (1..=6).map(id).collect::<Vec<_>>(), "oldest first");
    assert_eq!(ours[2].parked_at, at("2026-03-03T10:00:00Z"), "parking the same id again changes nothing");
    assert_eq!(ours[0].last_error.as_deref(), Some("inbound failed: ThrottlingException"));

    let kept = store.parked_message(&id(3)).await.unwrap().expect("kept");
    assert_eq!(kept.body, big(3), "the body is kept untouched");
    assert!(store.unpark(&id(3)).await.unwrap());
    assert!(!store.unpark(&id(3)).await.unwrap(), "removed once");
    assert_eq!(store.parked_message(&id(3)).await.unwrap(), None);
    assert_eq!(store.parked().await.unwrap().iter().filter(|r| r.message_id.starts_with(prefix)).count(), 5);
}

/// [`DeadLetterLog`]: the latest failure of a message, by its id.
pub async fn dead_letter_log<D: DeadLetterLog>(log: &D, prefix: &str) {
    let id = format!("{prefix}-dl");
    assert_eq!(log.recorded(&id).await.unwrap(), None);
    let mut e = RecordedError {
        message_id: id.clone(),
        source_queue: "InboundQueue".into(),
        kind: Some("dialog-message".into()),
        receive_count: 1,
        class: ErrorClass::Transient,
        error: "read citizen and activation is temporarily unavailable".into(),
        at: at("2026-03-01T10:00:00Z"),
    };
    log.record(&e).await.unwrap();
    e.receive_count = 2;
    e.class = ErrorClass::Permanent;
    log.record(&e).await.unwrap();
    assert_eq!(log.recorded(&id).await.unwrap(), Some(e), "the latest failure");
}

/// [`Requeue`]: a sent body comes back untouched with its republish counter and source queue;
/// at most 10 a receive; a deleted message does not come back.
pub async fn requeue<Q: Requeue>(queues: &Q, queue_url: &str) {
    let body = "{\"messageId\": \"m\", \"text\": \"æøå\\n\"}";
    let mut ids = vec![];
    for n in 0..12 {
        ids.push(queues.send(queue_url, &format!("{n}{body}"), n, "InboundQueue", 0).await.unwrap());
    }
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12, "each send returns its own id");
    let mut seen = vec![];
    for _ in 0..10 {
        let batch = queues.receive(queue_url).await.unwrap();
        assert!(batch.len() <= 10, "at most 10 a receive");
        if batch.is_empty() && seen.len() == 12 {
            break;
        }
        for m in batch {
            let n: u32 = m.body[..m.body.len() - body.len()].parse().expect("our body");
            assert_eq!(m.body, format!("{n}{body}"), "untouched");
            assert_eq!((m.republished, m.source_queue.as_deref()), (n, Some("InboundQueue")));
            queues.delete(queue_url, &m.receipt_handle).await.unwrap();
            seen.push(n);
        }
    }
    seen.sort();
    assert_eq!(seen, (0..12).collect::<Vec<_>>(), "every message once");
    assert!(queues.receive(queue_url).await.unwrap().is_empty(), "deleted messages do not come back");
}
