//! Contracts of the bridge's queue ports (shared::ports_transport), run on the in-memory
//! adapters and on the real ones (tests/bridge_ports.rs): InboundSink (SQS `SqsInbound`),
//! OutboundSource (SQS `SqsOutboundSource`), AmqpSender (`AmqpOutbox` on the real broker) and
//! MessageProtection (OpenSSL CMS beside the fake).
//! Each contract takes the adapter and how to put in or read back what the adapter cannot
//! itself (the other side of the queue).

use std::collections::BTreeSet;
use std::future::Future;

use shared::domain::transport::{SIGNED_AND_ENVELOPED, TransportMessage};
use shared::ports_transport::{AmqpSender, InboundItem, InboundSink, OutboundItem, OutboundSource};

type Seen = BTreeSet<(String, Vec<(String, String)>)>;

fn sorted(mut attrs: Vec<(String, String)>) -> Vec<(String, String)> {
    attrs.sort();
    attrs
}

/// Two MsgHead items as the receiver makes them: every attribute it sets, a Norwegian body.
pub fn inbound_items(nonce: &str) -> Vec<InboundItem> {
    let attrs = |id: &str| {
        vec![
            ("messageFunction".to_string(), "DIALOG_INNBYGGER_EKONTAKT".to_string()),
            ("fromHerId".to_string(), "90002".to_string()),
            ("toHerId".to_string(), "80115".to_string()),
            ("applicationTimeStamp".to_string(), "2026-12-02T10:00:00Z".to_string()),
            ("cpaId".to_string(), "cpa-synthetic-1".to_string()),
            ("messageId".to_string(), id.to_string()),
            ("correlationId".to_string(), id.to_string()),
        ]
    };
    ["a", "b"]
        .iter()
        .map(|n| {
            let id = format!("{nonce}-{n}");
            InboundItem { message_id: id.clone(), body: format!("<MsgHead><MsgId>{id}</MsgId><Tekst>Blåbærsyltetøy, æøå</Tekst></MsgHead>"), attributes: attrs(&id) }
        })
        .collect()
}

/// InboundSink: each item, once accepted, is on the queue with its body and attributes.
/// `read` returns what the queue holds (body, attributes) once `n` arrived.
pub async fn inbound_sink_contract<S, R, F>(sink: &S, nonce: &str, read: R)
where
    S: InboundSink,
    R: FnOnce(usize) -> F,
    F: Future<Output = Vec<(String, Vec<(String, String)>)>>,
{
    let items = inbound_items(nonce);
    for item in &items {
        sink.enqueue(item).await.expect("enqueued");
    }
    let got: Seen = read(items.len()).await.into_iter().map(|(b, a)| (b, sorted(a))).collect();
    let want: Seen = items.into_iter().map(|i| (i.body, sorted(i.attributes))).collect();
    assert_eq!(got, want, "bodies and attributes, byte for byte");
}

/// Three replies as outbound-reply puts them on ToHelsenorgeQueue (receipt left to the queue).
pub fn outbound_items(nonce: &str) -> Vec<OutboundItem> {
    (0..3)
        .map(|i| OutboundItem {
            receipt: String::new(),
            body: format!("<AppRec><Id>{nonce}-{i}</Id><Tekst>Mottatt, takk – æøå</Tekst></AppRec>"),
            attributes: vec![
                ("messageFunction".into(), "APPREC".into()),
                ("messageId".into(), format!("{nonce}-{i}")),
                ("toHerId".into(), "90002".into()),
                ("fromHerId".into(), "80115".into()),
            ],
        })
        .collect()
}

/// OutboundSource: what was put is received (body, attributes, a receipt to delete it by);
/// deleted, it is not received again.
pub async fn outbound_source_contract<S, P, F>(source: &S, nonce: &str, put: P)
where
    S: OutboundSource,
    P: Fn(OutboundItem) -> F,
    F: Future<Output = ()>,
{
    let items = outbound_items(nonce);
    for item in &items {
        put(item.clone()).await;
    }
    let mut got = vec![];
    for _ in 0..20 {
        got.extend(source.receive().await.expect("receive"));
        if got.len() >= items.len() {
            break;
        }
    }
    let seen: Seen = got.iter().map(|i| (i.body.clone(), sorted(i.attributes.clone()))).collect();
    let want: Seen = items.iter().map(|i| (i.body.clone(), sorted(i.attributes.clone()))).collect();
    assert_eq!(seen, want, "everything put is received, attributes included");
    assert!(got.iter().all(|i| !i.receipt.is_empty()), "each with a receipt");
    assert_eq!(got[0].attribute("messageFunction"), Some("APPREC"));
    for i in &got {
        source.delete(&i.receipt).await.expect("delete");
    }
    let again = source.receive().await.expect("receive after delete");
    assert!(again.iter().all(|i| !want.contains(&(i.body.clone(), sorted(i.attributes.clone())))), "deleted: not received again");
}

/// A message as the bridge sends it (R-TR-8 properties).
pub fn amqp_message(id: &str) -> TransportMessage {
    let mut m = TransportMessage {
        message_id: Some(id.into()),
        to: Some("90002_async".into()),
        subject: Some("APPREC".into()),
        reply_to: Some("80115_async".into()),
        correlation_id: Some(id.into()),
        content_type: Some(SIGNED_AND_ENVELOPED.into()),
        body: vec![0x30, 0x82, 0x00, 0xff, 0x00, 0x0a, 0x0d],
        ..TransportMessage::default()
    };
    m.set_app("fromHerId", "80115");
    m.set_app("toHerId", "90002");
    m.set_app("applicationTimeStamp", "2026-12-02T10:00:00Z");
    m.set_app("cpaId", "cpa-synthetic-1");
    m
}

/// AmqpSender: `Ok` means the message is on `queue` with every property and the body's bytes.
/// `read` returns the message with this id from the queue.
pub async fn amqp_sender_contract<S, R, F>(sender: &S, queue: &str, id: &str, read: R)
where
    S: AmqpSender,
    R: FnOnce(String) -> F,
    F: Future<Output = TransportMessage>,
{
    let sent = amqp_message(id);
    sender.send(queue, &sent).await.expect("accepted");
    let got = read(id.to_string()).await;
    assert_eq!(got.message_id, sent.message_id);
    assert_eq!((&got.subject, &got.reply_to, &got.correlation_id, &got.content_type), (&sent.subject, &sent.reply_to, &sent.correlation_id, &sent.content_type));
    assert_eq!(got.body, sent.body, "the body's bytes (LF, CR, NUL kept)");
    for p in ["fromHerId", "toHerId", "applicationTimeStamp", "cpaId"] {
        assert_eq!(got.app(p), sent.app(p), "{p}");
    }
}

/// One party to the CMS contract: its protection and its two certificates.
pub struct Party<P> {
    /// Its protection (its own keys).
    pub protection: P,
    /// Its NonRepudiation certificate.
    pub signing: shared::ports_transport::CertDer,
    /// Its KeyEncipherment certificate.
    pub encryption: shared::ports_transport::CertDer,
}

/// MessageProtection (R-TR-7): what Helsenorge seals for us opens to the same bytes with the
/// sender's certificate; sealed for someone else it does not decrypt; signed by someone else it
/// is the wrong signer; garbage is malformed; a valid certificate has no problems (R-TR-9).
pub fn message_protection_contract<P: shared::ports_transport::MessageProtection>(us: &Party<P>, hn: &Party<P>, stranger: &Party<P>) {
    use shared::ports_transport::{KeyUsage, ProtectionError};
    let content = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\r\n<MsgHead>bl\xc3\xa5b\xc3\xa6r\n\x00</MsgHead>".to_vec();
    let sealed = hn.protection.protect(&content, &us.encryption).expect("protect");
    assert_ne!(sealed, content, "not in clear");
    assert_eq!(us.protection.unprotect(&sealed, &hn.signing).expect("unprotect"), content, "byte for byte");
    let for_stranger = hn.protection.protect(&content, &stranger.encryption).expect("protect");
    assert!(matches!(us.protection.unprotect(&for_stranger, &hn.signing), Err(ProtectionError::Decrypt(_))), "not ours to open");
    let by_stranger = stranger.protection.protect(&content, &us.encryption).expect("protect");
    assert_eq!(us.protection.unprotect(&by_stranger, &hn.signing), Err(ProtectionError::WrongSigner), "not the profile's signer");
    assert_eq!(us.protection.unprotect(b"garbage", &hn.signing), Err(ProtectionError::Malformed));
    assert_eq!(us.protection.check(&hn.signing, KeyUsage::NonRepudiation, jiff::Timestamp::now()), vec![], "valid");
}
