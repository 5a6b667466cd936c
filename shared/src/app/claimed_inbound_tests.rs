use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;
use crate::adapters::claim_check_inbound::ClaimCheckInbound;
use crate::adapters::memory_bodies::MemoryBodies;
use crate::adapters::memory_transport::MemorySink;
use crate::domain::claim_check::{CLAIM_ATTRIBUTE, CLAIMED_BODY};
use crate::ports_transport::{InboundItem, InboundSink};

const THRESHOLD: usize = 1000;

fn bridge(sink: &MemorySink, bodies: &MemoryBodies) -> ClaimCheckInbound<MemorySink, MemoryBodies, impl Fn() -> String + Send + Sync> {
    let n = AtomicUsize::new(0);
    ClaimCheckInbound { inner: sink.clone(), store: bodies.clone(), threshold: THRESHOLD, unique: move || n.fetch_add(1, Ordering::SeqCst).to_string() }
}

fn item(id: &str, body: String) -> InboundItem {
    let attributes = vec![("messageId".to_string(), id.to_string()), ("messageFunction".to_string(), "DIALOG_INNBYGGER_EKONTAKT".to_string())];
    InboundItem { message_id: id.into(), body, attributes }
}

/// InboundQueue's messages as inbound-message receives them.
fn records(sink: &MemorySink) -> Vec<(RecordIn, Transport)> {
    sink.items()
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let record = RecordIn { sqs_message_id: format!("sqs-{i}"), body: m.body.clone(), receive_count: 1 };
            (record, Transport::from_attributes(m.attributes.iter().map(|(k, v)| (k.as_str(), v.as_str()))))
        })
        .collect()
}

fn big(id: &str) -> String {
    format!("<MsgHead><MsgId>{id}</MsgId>{}</MsgHead>", "A".repeat(2 * THRESHOLD))
}

#[tokio::test]
async fn r_tr_2_a_large_msghead_is_queued_by_reference_and_read_back_whole() {
    let (sink, bodies) = (MemorySink::default(), MemoryBodies::new("hd-bodies"));
    let sink_in = bridge(&sink, &bodies);
    sink_in.enqueue(&item("m-big", big("m-big"))).await.unwrap();
    sink_in.enqueue(&item("m-small", "<MsgHead/>".into())).await.unwrap();
    // A redelivery of the same AMQP message stores a second object; the first is never overwritten.
    sink_in.enqueue(&item("m-big", big("m-big"))).await.unwrap();

    let queued = sink.items();
    assert_eq!(queued[0].body, CLAIMED_BODY);
    let reference = queued[0].attributes.iter().find(|(k, _)| k == CLAIM_ATTRIBUTE).map(|(_, v)| v.clone()).unwrap();
    assert_eq!(reference, "s3://hd-bodies/inbound/m-big.0");
    assert!(queued[0].attributes.iter().any(|(k, v)| k == "messageId" && v == "m-big"));
    assert_eq!((queued[1].body.as_str(), queued[1].attributes.len()), ("<MsgHead/>", 2));
    assert_eq!(bodies.len(), 2);

    let (whole, failed) = read_claims(&bodies, records(&sink)).await;
    assert!(failed.is_empty());
    let bodies_read: Vec<_> = whole.iter().map(|(r, _)| r.body.clone()).collect();
    assert_eq!(bodies_read, vec![big("m-big"), "<MsgHead/>".to_string(), big("m-big")]);
    assert_eq!(whole[0].1.claim_check.as_deref(), Some(reference.as_str()));
    assert_eq!(whole[1].1.claim_check, None);
    assert_eq!(bodies.len(), 2, "inbound-message deletes nothing; the lifecycle expires the objects");
}

#[tokio::test]
async fn r_tr_2_a_body_store_failure_fails_the_enqueue_and_queues_nothing() {
    let (sink, bodies) = (MemorySink::default(), MemoryBodies::new("hd-bodies"));
    bodies.set_down(true);
    let error = bridge(&sink, &bodies).enqueue(&item("m-big", big("m-big"))).await.unwrap_err();
    assert!(crate::error::Retryable::is_retryable(&error), "{error}");
    assert!(sink.items().is_empty());
    // A small message does not need the store.
    bridge(&sink, &bodies).enqueue(&item("m-small", "<MsgHead/>".into())).await.unwrap();
    assert_eq!(sink.items().len(), 1);
}

#[tokio::test]
async fn r_dlq_1_an_unreadable_reference_fails_its_record_only_and_is_never_dropped() {
    let (sink, bodies) = (MemorySink::default(), MemoryBodies::new("hd-bodies"));
    let sink_in = bridge(&sink, &bodies);
    sink_in.enqueue(&item("m-big", big("m-big"))).await.unwrap();
    sink_in.enqueue(&item("m-small", "<MsgHead/>".into())).await.unwrap();
    let mut batch = records(&sink);
    let mut gone = batch[0].clone();
    gone.0.sqs_message_id = "sqs-gone".into();
    gone.1.claim_check = Some("s3://hd-bodies/inbound/expired.9".into());
    let mut foreign = batch[0].clone();
    foreign.0.sqs_message_id = "sqs-foreign".into();
    foreign.1.claim_check = Some("s3://other-bucket/inbound/m-big.0".into());
    let mut garbled = batch[0].clone();
    garbled.0.sqs_message_id = "sqs-garbled".into();
    garbled.1.claim_check = Some("https://example.org/x".into());
    batch.extend([gone, foreign, garbled]);

    let (whole, failed) = read_claims(&bodies, batch.clone()).await;
    assert_eq!(failed, vec!["sqs-gone", "sqs-foreign", "sqs-garbled"]);
    assert_eq!(whole.iter().map(|(r, _)| r.sqs_message_id.as_str()).collect::<Vec<_>>(), vec!["sqs-0", "sqs-1"]);

    // S3 down: every claimed record fails (SQS shows it again), the plain one goes on.
    bodies.set_down(true);
    let (whole, failed) = read_claims(&bodies, batch[..2].to_vec()).await;
    assert_eq!((failed, whole.len()), (vec!["sqs-0".to_string()], 1));
}
