use super::*;
use crate::adapters::memory::MemoryDb;
use crate::adapters::memory_bodies::MemoryBodies;
use crate::adapters::memory_transport::MemoryOutboundSource;

fn wire(id: &str, body: String) -> Outgoing {
    let attributes = vec![("messageId".to_string(), id.to_string()), ("messageFunction".to_string(), "DIALOG_INNBYGGER_EKONTAKT".to_string())];
    Outgoing::new(id, OutMessage::Wire(WireMessage { body, attributes }))
}

fn item(o: &Outgoing) -> OutboundItem {
    let OutMessage::Wire(w) = &o.message else { panic!("a wire message") };
    OutboundItem { receipt: format!("r-{}", o.id), body: w.body.clone(), attributes: w.attributes.clone() }
}

#[tokio::test]
async fn r_out_4_a_large_reply_goes_by_reference_and_comes_back_whole() {
    let (queue, store) = (MemoryDb::new(), MemoryBodies::new("bodies"));
    let outbox = ClaimCheckOutbox { inner: queue.clone(), store: store.clone(), threshold: 1000 };
    let large = format!("<MsgHead>{}</MsgHead>", "A".repeat(5000));
    outbox.send(&[wire("small", "<MsgHead/>".into()), wire("large", large.clone())]).await.unwrap();

    let sent = queue.state().sent.clone();
    assert_eq!(sent[0], wire("small", "<MsgHead/>".into()), "a small body passes unchanged");
    let on_queue = item(&sent[1]);
    assert_eq!(on_queue.body, CLAIMED_BODY);
    assert_eq!(on_queue.attribute(CLAIM_ATTRIBUTE), Some("s3://bodies/to-helsenorge/large"));
    assert_eq!(store.len(), 1);

    let source = MemoryOutboundSource::default();
    source.push(item(&sent[0]));
    source.push(on_queue);
    let read = ClaimedSource { inner: source, store }.receive().await.unwrap();
    assert_eq!(read[0].body, "<MsgHead/>");
    assert_eq!(read[1].body, large, "the whole body from the store");
    assert_eq!(read[1].attribute(CLAIM_ATTRIBUTE), None);
    assert_eq!(read[1].attribute("messageId"), Some("large"));
}

#[tokio::test]
async fn r_out_4_an_unreadable_reference_stays_on_the_queue_and_a_store_failure_fails_the_send() {
    let store = MemoryBodies::new("bodies");
    let source = MemoryOutboundSource::default();
    let mut gone = item(&wire("gone", CLAIMED_BODY.into()));
    gone.attributes.push((CLAIM_ATTRIBUTE.into(), "s3://bodies/to-helsenorge/gone".into()));
    let mut other_bucket = item(&wire("other", CLAIMED_BODY.into()));
    other_bucket.attributes.push((CLAIM_ATTRIBUTE.into(), "s3://elsewhere/to-helsenorge/other".into()));
    source.push(gone);
    source.push(other_bucket);
    source.push(item(&wire("plain", "<MsgHead/>".into())));
    let claimed = ClaimedSource { inner: source.clone(), store: store.clone() };
    let read = claimed.receive().await.unwrap();
    assert_eq!(read.len(), 1, "only the readable one is handed on");
    assert_eq!(source.remaining().len(), 3, "nothing was deleted: SQS shows them again, then parks them");

    store.set_down(true);
    let outbox = ClaimCheckOutbox { inner: MemoryDb::new(), store, threshold: 10 };
    let err = outbox.send(&[wire("large", "x".repeat(100))]).await.unwrap_err();
    assert!(crate::error::Retryable::is_retryable(&err), "retried by the caller");
}
