//! The inbound claim check end to end (issue 18): Helsenorge's peer sends an eKontakt with a
//! ~2 MB base64 attachment (a second `RefDoc`), signed and encrypted, to our `80115_async` on the
//! real local RabbitMQ → the built `helsenorge-bridge` puts the decrypted MsgHead into the body
//! bucket (moto S3) under `inbound/` and only the reference on InboundQueue → the built
//! inbound-message reads it back, journals the message once (a redelivery changes nothing,
//! R-IN-3) → the AppRec comes back to the peer, signed by us. An unreadable reference is a failed
//! record, never a drop. The world is `tests/support/bridge_peer.rs`.

use aws_sdk_sqs::Client as Sqs;
use base64::Engine as _;
use e2e::bridge_peer::{Env, MSG_ID, from_helsenorge, inbound, listen, next, peer_settings, serial};
use e2e::sqs::{failures, sqs_event_with_attributes};
use e2e::stack::{root, sdk_config};
use e2e::{LocalLambda, LocalStack};
use helsenorge_bridge::amqp::AmqpOutbox;
use helsenorge_bridge::cms::OpensslProtection;
use shared::adapters::aws::s3_bodies::S3Bodies;
use shared::domain::claim_check::{CLAIM_ATTRIBUTE, CLAIMED_BODY, ClaimRef};
use shared::fixtures::{CITIZEN, id};
use shared::kith::codes::AppRecStatusCode;
use shared::kith::msghead::{Content, KithDocument, read_document};
use shared::kith::{NS_BASE64, ReadLimits};
use shared::ports::Inspect;
use shared::ports::bodies::BodyStore;
use shared::ports_transport::{AmqpSender, MessageProtection};

/// The sample eKontakt with one PDF attachment of `bytes` bytes.
fn ekontakt_with_attachment(bytes: usize) -> (Vec<u8>, Vec<u8>) {
    let pdf: Vec<u8> = b"%PDF-1.4\n".iter().copied().chain((0..bytes.saturating_sub(9)).map(|i| b'a' + (i % 26) as u8)).collect();
    let document = format!(
        "<Document><RefDoc><IssueDate V=\"2026-11-23T10:00:00Z\"/><MsgType V=\"A\" DN=\"Vedlegg\"/><MimeType>application/pdf</MimeType>\
         <Description>scan.pdf</Description><Content><Base64Container xmlns=\"{NS_BASE64}\">{}</Base64Container></Content></RefDoc></Document>",
        base64::engine::general_purpose::STANDARD.encode(&pdf)
    );
    let xml = std::fs::read_to_string(root().join("events/kith/ekontakt.xml")).unwrap();
    (xml.replace("</MsgHead>", &format!("{document}</MsgHead>")).into_bytes(), pdf)
}

#[tokio::test(flavor = "multi_thread")]
async fn r_in_3_a_citizen_message_with_a_2_mb_attachment_goes_by_reference_and_is_journaled_once() {
    let _serial = serial().await;
    let e = Env::new("bridgeclaim").await;
    let bucket = e.stack.buckets["BodyBucket"].clone();
    let mut bridge = e.bridge(&[("BODY_BUCKET", bucket.as_str())]);
    let mut replies = listen("90002_async");
    let hn: OpensslProtection = e.hn.protection();
    let (xml, pdf) = ekontakt_with_attachment(2 * 1024 * 1024);
    let Ok(KithDocument::MsgHead(sent)) = read_document(&xml, ReadLimits::WITH_ATTACHMENTS) else { panic!("a MsgHead") };
    assert_eq!(sent.documents[1].content, Content::Base64(pdf), "the test message carries the attachment");

    // 1. Helsenorge → broker → bridge: InboundQueue holds only the reference.
    let sealed = hn.protect(&xml, &e.us.encryption.cert_der()).unwrap();
    AmqpOutbox::new(peer_settings("claim")).send("80115_async", &from_helsenorge(MSG_ID, sealed)).await.expect("broker accepted");
    let (body, attrs) = inbound(&e.sqs, e.stack.queue("InboundQueue")).await;
    assert_eq!(body, CLAIMED_BODY, "only the reference on InboundQueue");
    let attr = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!((attr("messageId").as_deref(), attr("fromHerId").as_deref()), (Some(MSG_ID), Some("90002")));
    let claim = ClaimRef::parse(&attr(CLAIM_ATTRIBUTE).expect("claimCheck")).expect("s3://bucket/key");
    assert_eq!(claim.bucket, bucket);
    assert!(claim.key.starts_with(&format!("inbound/{MSG_ID}.")), "{}", claim.key);
    let sdk = sdk_config().await;
    let store = S3Bodies::new(&sdk, &bucket);
    assert_eq!(store.get(&claim).await.expect("the MsgHead in S3"), xml, "the decrypted MsgHead, byte for byte");

    // 2. inbound-message reads it back and journals it; the same record again changes nothing.
    e.inbound_message(&[(body.clone(), attrs.clone())]).await;
    e.inbound_message(&[(body, attrs)]).await;
    let journal = e.store.journal(&id(CITIZEN)).await.unwrap();
    assert_eq!(journal.len(), 1, "journaled once");
    assert_eq!(journal[0].message_id, MSG_ID);
    assert!(store.get(&claim).await.is_ok(), "inbound-message deletes nothing; the bucket's lifecycle does");

    // 3. The AppRec (OK) comes back to Helsenorge, signed by us.
    let ours = e.us.signing.cert_der();
    let apprec = next(&mut replies, |m| m.subject.as_deref() == Some("APPREC") && hn.unprotect(&m.body, &ours).is_ok()).await;
    match read_document(&hn.unprotect(&apprec.body, &ours).unwrap(), ReadLimits::INBOUND) {
        Ok(KithDocument::AppRec(a)) => assert_eq!((a.original_id.as_str(), a.status), (MSG_ID, AppRecStatusCode::Ok)),
        other => panic!("an AppRec, not {other:?}"),
    }
    let _ = bridge.kill().await;
}

#[tokio::test]
async fn r_dlq_1_an_unreadable_inbound_reference_fails_its_record_and_nothing_is_answered() {
    let stack = LocalStack::provision("claimgone");
    let sqs = Sqs::new(&sdk_config().await);
    let lambda = LocalLambda::start("inbound-message", &stack.function_env("InboundMessageFunction")).await;
    let gone = format!("s3://{}/inbound/{MSG_ID}.expired", stack.buckets["BodyBucket"]);
    let attrs = vec![("messageId", MSG_ID), ("messageFunction", "DIALOG_INNBYGGER_EKONTAKT"), (CLAIM_ATTRIBUTE, gone.as_str())];
    let other = vec![(CLAIM_ATTRIBUTE, "s3://another-bucket/inbound/x.1")];
    let event = sqs_event_with_attributes(&[("r-gone", CLAIMED_BODY.to_string(), attrs), ("r-foreign", CLAIMED_BODY.to_string(), other)]);
    let response = lambda.invoke(event).await.expect("handler succeeded");
    lambda.stop().await;
    assert_eq!(failures(&response), vec!["r-gone", "r-foreign"], "{response}");
    let out = sqs.receive_message().queue_url(stack.queue("ToHelsenorgeQueue")).wait_time_seconds(1).send().await.unwrap();
    assert!(out.messages.unwrap_or_default().is_empty(), "no AppRec for a body never read");
}
