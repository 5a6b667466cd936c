//! Use-case tests of both bridge sides on the in-memory adapters (R-TR-1..5, R-TR-8, R-TR-9).

use jiff::Timestamp;

use super::bridge_in::{ReceiveFromHelsenorge, Settle};
use super::bridge_out::{OutboundError, SendToHelsenorge};
use crate::adapters::memory::ManualClock;
use crate::adapters::memory_transport::{FakeProtection, MemoryAmqp, MemoryOutboundSource, MemoryProfiles, MemorySink};
use crate::domain::transport::{CertProblem, Queues, SIGNED_AND_ENVELOPED, TransportMessage};
use crate::ports_transport::{CertDer, OutboundItem, Profile};

const EKONTAKT: &str = include_str!("../../../events/kith/ekontakt.xml");
const APPREC: &str = include_str!("../../../events/kith/apprec-ok.xml");
const MSG_ID: &str = "6f1c2a10-0000-4000-8000-000000000001";

fn now() -> Timestamp {
    "2026-12-02T10:00:00Z".parse().unwrap()
}

fn helsenorge() -> Profile {
    Profile {
        her_id: 90002,
        cpa_id: Some("cpa-1".into()),
        queues: Queues::conventional(90002),
        signing: Some(CertDer(b"hn-sign".to_vec())),
        encryption: Some(CertDer(b"hn-enc".to_vec())),
    }
}

type Receiver = ReceiveFromHelsenorge<MemoryProfiles, FakeProtection, MemorySink, MemoryAmqp, ManualClock, fn() -> String>;

fn receiver() -> Receiver {
    ReceiveFromHelsenorge {
        profiles: MemoryProfiles::with([helsenorge()]),
        protection: FakeProtection::new("us"),
        sink: MemorySink::default(),
        errors: MemoryAmqp::default(),
        clock: ManualClock::at(now()),
        new_id: || "0123456789abcdef0123456789abcdef".to_string(),
        our_her_ids: vec![80115],
    }
}

fn delivery(body: Vec<u8>) -> TransportMessage {
    let mut m = TransportMessage {
        message_id: Some(MSG_ID.into()),
        to: Some("80115_async".into()),
        subject: Some("DIALOG_INNBYGGER_EKONTAKT".into()),
        reply_to: Some("90002_async".into()),
        content_type: Some(SIGNED_AND_ENVELOPED.into()),
        body,
        ..TransportMessage::default()
    };
    m.set_app("fromHerId", "90002");
    m.set_app("toHerId", "80115");
    m.set_app("applicationTimeStamp", "2026-12-02T09:59:59Z");
    m.set_app("cpaId", "cpa-1");
    m
}

fn sealed() -> TransportMessage {
    delivery(FakeProtection::seal("us", "hn-sign", EKONTAKT.as_bytes()))
}

/// The one error message sent, and where.
fn reported(r: &Receiver) -> (String, TransportMessage) {
    let sent = r.errors.sent();
    assert_eq!(sent.len(), 1, "one error message");
    sent[0].clone()
}

#[tokio::test]
async fn r_tr_2_a_valid_delivery_is_enqueued_then_accepted() {
    let r = receiver();
    assert_eq!(r.handle(&sealed()).await, Settle::Accept);
    let items = r.sink.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].body, EKONTAKT);
    let attr = |n: &str| items[0].attributes.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    assert_eq!(attr("messageFunction").as_deref(), Some("DIALOG_INNBYGGER_EKONTAKT"));
    assert_eq!(attr("fromHerId").as_deref(), Some("90002"));
    assert_eq!(attr("toHerId").as_deref(), Some("80115"));
    assert_eq!(attr("cpaId").as_deref(), Some("cpa-1"));
    assert_eq!(attr("messageId").as_deref(), Some(MSG_ID));
    assert!(r.errors.sent().is_empty());
}

#[tokio::test]
async fn r_tr_2_sqs_down_releases_and_enqueues_nothing() {
    let r = receiver();
    r.sink.set_down(true);
    assert_eq!(r.handle(&sealed()).await, Settle::Release);
    assert!(r.sink.items().is_empty());
    assert!(r.errors.sent().is_empty());
    r.sink.set_down(false);
    assert_eq!(r.handle(&sealed()).await, Settle::Accept, "the redelivery goes through");
    assert_eq!(r.sink.items().len(), 1);
}

#[tokio::test]
async fn r_tr_4_registry_down_releases_without_a_report() {
    let r = receiver();
    r.profiles.set_down(true);
    assert_eq!(r.handle(&sealed()).await, Settle::Release);
    assert!(r.sink.items().is_empty() && r.errors.sent().is_empty());
}

#[tokio::test]
async fn r_tr_1_missing_header_fields_are_reported_to_the_sender_error_queue() {
    let r = receiver();
    let mut m = sealed();
    m.subject = None;
    m.application.remove("applicationTimeStamp");
    assert_eq!(r.handle(&m).await, Settle::Accept);
    let (queue, e) = reported(&r);
    assert_eq!(queue, "90002_error");
    assert_eq!(e.app("errorCondition").as_deref(), Some("transport:invalid-field-value"));
    assert_eq!(e.app("errorConditionData").as_deref(), Some("Label;applicationTimeStamp;"));
    assert_eq!(e.app("originalMessageId").as_deref(), Some(MSG_ID));
    assert!(r.sink.items().is_empty());
}

#[tokio::test]
async fn r_tr_3_without_a_sender_nothing_is_reported_and_the_delivery_is_accepted() {
    let r = receiver();
    let mut m = sealed();
    m.application.remove("fromHerId");
    assert_eq!(r.handle(&m).await, Settle::Accept);
    assert!(r.errors.sent().is_empty() && r.sink.items().is_empty());
}

#[tokio::test]
async fn r_tr_3_an_error_report_that_cannot_be_sent_releases() {
    let r = receiver();
    r.errors.set_down(true);
    let mut m = sealed();
    m.content_type = Some("text/plain".into());
    assert_eq!(r.handle(&m).await, Settle::Release);
}

#[tokio::test]
async fn r_tr_3_each_reportable_case_gets_its_condition() {
    type Setup = Box<dyn Fn(&mut Receiver, &mut TransportMessage)>;
    let cases: Vec<(&str, Setup)> = vec![
        ("transport:invalid-field-value", Box::new(|_, m| m.set_app("toHerId", "80999"))),
        ("transport:unsupported-message", Box::new(|_, m| m.content_type = Some("text/plain".into()))),
        ("transport:missing-certificate", Box::new(|r, _| r.profiles = MemoryProfiles::default())),
        ("transport:invalid-certificate", Box::new(|_, m| m.body = FakeProtection::seal("someone-else", "hn-sign", EKONTAKT.as_bytes()))),
        ("transport:invalid-certificate", Box::new(|_, m| m.body = FakeProtection::seal("us", "mallory", EKONTAKT.as_bytes()))),
        ("transport:invalid-certificate", Box::new(|_, m| m.body = b"not cms".to_vec())),
        ("transport:not-well-formed-xml", Box::new(|_, m| m.body = FakeProtection::seal("us", "hn-sign", b"<MsgHead><unclosed></MsgHead>"))),
        ("abuse:spoofing-attack", Box::new(|_, m| m.set_app("fromHerId", "90003"))),
    ];
    for (condition, setup) in cases {
        let mut r = receiver();
        r.profiles = MemoryProfiles::with([helsenorge(), Profile { her_id: 90003, ..helsenorge() }]);
        let mut m = sealed();
        setup(&mut r, &mut m);
        assert_eq!(r.handle(&m).await, Settle::Accept, "{condition}");
        let (_, e) = reported(&r);
        assert_eq!(e.app("errorCondition").as_deref(), Some(condition));
        assert!(r.sink.items().is_empty(), "{condition}: nothing enqueued");
    }
}

#[tokio::test]
async fn r_tr_5_an_apprec_from_another_sender_is_spoofing() {
    let r = receiver();
    let mut m = delivery(FakeProtection::seal("us", "hn-sign", APPREC.as_bytes()));
    m.subject = Some("APPREC".into());
    assert_eq!(r.handle(&m).await, Settle::Accept);
    assert_eq!(r.sink.items().len(), 1, "sender 90002 is the AppRec's department");
    m.set_app("fromHerId", "90009");
    let mut r = receiver();
    r.profiles = MemoryProfiles::with([helsenorge(), Profile { her_id: 90009, ..helsenorge() }]);
    r.handle(&m).await;
    let (_, e) = reported(&r);
    assert_eq!(e.app("errorCondition").as_deref(), Some("abuse:spoofing-attack"));
}

#[tokio::test]
async fn r_tr_7_the_previous_key_still_opens_during_rotation() {
    let mut r = receiver();
    r.protection.previous = Some("us-2025".into());
    let m = delivery(FakeProtection::seal("us-2025", "hn-sign", EKONTAKT.as_bytes()));
    assert_eq!(r.handle(&m).await, Settle::Accept);
    assert_eq!(r.sink.items().len(), 1);
}

#[tokio::test]
async fn r_tr_9_an_expired_sender_certificate_is_reported() {
    let mut r = receiver();
    r.protection.problems.insert(b"hn-sign".to_vec(), vec![CertProblem::Expired]);
    assert_eq!(r.handle(&sealed()).await, Settle::Accept);
    let (_, e) = reported(&r);
    assert_eq!(e.app("errorCondition").as_deref(), Some("transport:expired-certificate"));
    assert_eq!(e.app("errorDescription").as_deref(), Some("Invalid end date"));
}

fn sender() -> SendToHelsenorge<MemoryProfiles, FakeProtection, MemoryAmqp, ManualClock> {
    SendToHelsenorge {
        profiles: MemoryProfiles::with([helsenorge()]),
        protection: FakeProtection::new("us"),
        sender: MemoryAmqp::default(),
        clock: ManualClock::at(now()),
        our_queues: Queues::conventional(80115),
        ttl_ms: None,
    }
}

fn outbound(receipt: &str) -> OutboundItem {
    let attrs = [
        ("messageFunction", "APPREC"),
        ("messageId", "6f1c2a10-0000-4000-8000-000000000001.apprec"),
        ("fromHerId", "80115"),
        ("toHerId", "90002"),
        ("cpaId", "cpa-1"),
    ];
    OutboundItem {
        receipt: receipt.into(),
        body: APPREC.into(),
        attributes: attrs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
    }
}

#[tokio::test]
async fn r_tr_8_sent_with_the_library_properties_then_deleted() {
    let s = sender();
    let q = MemoryOutboundSource::default();
    q.push(outbound("r1"));
    let report = s.pump(&q).await.unwrap();
    assert_eq!((report.sent, report.kept), (1, 0));
    assert!(q.remaining().is_empty());
    let sent = s.sender.sent();
    let (queue, m) = &sent[0];
    assert_eq!(queue, "90002_async");
    assert_eq!(m.to.as_deref(), Some("90002_async"));
    assert_eq!(m.subject.as_deref(), Some("APPREC"));
    assert_eq!(m.reply_to.as_deref(), Some("80115_async"));
    assert_eq!(m.message_id, m.correlation_id);
    assert_eq!(m.content_type.as_deref(), Some(SIGNED_AND_ENVELOPED));
    assert_eq!(m.app("fromHerId").as_deref(), Some("80115"));
    assert_eq!(m.app("toHerId").as_deref(), Some("90002"));
    assert_eq!(m.app("applicationTimeStamp").as_deref(), Some("2026-12-02T10:00:00Z"));
    assert_eq!(m.app("cpaId").as_deref(), Some("cpa-1"));
    let (receiver, signer, content) = FakeProtection::open(&m.body).unwrap();
    assert_eq!((receiver.as_str(), signer.as_str(), content.as_slice()), ("hn-enc", "us", APPREC.as_bytes()));
}

#[tokio::test]
async fn r_tr_8_broker_down_keeps_the_message_on_the_queue() {
    let s = sender();
    s.sender.set_down(true);
    let q = MemoryOutboundSource::default();
    q.push(outbound("r1"));
    let report = s.pump(&q).await.unwrap();
    assert_eq!((report.sent, report.kept), (0, 1));
    assert_eq!((q.remaining().len(), q.deletes()), (1, 0));
    s.sender.set_down(false);
    assert_eq!(s.pump(&q).await.unwrap().sent, 1);
    assert!(q.remaining().is_empty());
}

#[tokio::test]
async fn r_tr_8_no_profile_or_bad_certificate_is_refused_and_kept() {
    let mut s = sender();
    s.profiles = MemoryProfiles::default();
    assert!(matches!(s.send(&outbound("r1")).await, Err(OutboundError::Refused(_))));
    let mut s = sender();
    s.protection.problems.insert(b"hn-enc".to_vec(), vec![CertProblem::WrongUsage]);
    assert!(matches!(s.send(&outbound("r1")).await, Err(OutboundError::Refused(_))));
    let s = sender();
    s.profiles.set_down(true);
    assert!(matches!(s.send(&outbound("r1")).await, Err(OutboundError::Transient(_))));
    assert!(s.sender.sent().is_empty());
}
