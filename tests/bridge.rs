//! The Helsenorge bridge end to end (issue 18, R-TR-1..9): a Helsenorge-side peer (test
//! certificates made here, CMS over OpenSSL, AMQP over fe2o3) sends a signed and encrypted
//! eKontakt to our `80115_async` on the real local RabbitMQ → the built `helsenorge-bridge`
//! binary → InboundQueue (moto) → the built inbound-message under the runtime-API emulator →
//! AppRec on ToHelsenorgeQueue → the bridge → `90002_async` → the peer, which verifies our
//! signature. Then each reportable error reaches the peer's `90002_error`. `make test` starts
//! moto and RabbitMQ (port `RABBITMQ_PORT`).
//!
//! The peer and the world are in `tests/support/bridge_peer.rs`; what is under test is the
//! bridge binary between them.

use e2e::bridge_peer::{Env, MSG_ID, ReplaceHer, ekontakt, from_helsenorge, inbound, listen, next, peer_settings, serial, without_subject};
use e2e::stack::root;
use helsenorge_bridge::amqp::AmqpOutbox;
use helsenorge_bridge::cms::OpensslProtection;
use shared::domain::transport::{SIGNED_AND_ENVELOPED, TransportMessage};
use shared::fixtures::{CITIZEN, id};
use shared::kith::msghead::{KithDocument, read_document};
use shared::ports::Inspect;
use shared::ports_transport::{AmqpSender, MessageProtection};

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_2_a_citizen_message_travels_over_amqp_and_the_signed_apprec_comes_back() {
    let _serial = serial().await;
    let e = Env::new("bridge").await;
    let (store, sqs, stack, us, hn, stranger) = (&e.store, &e.sqs, &e.stack, &e.us, &e.hn, &e.stranger);
    let mut bridge = e.bridge(&[]);
    let mut replies = listen("90002_async");
    let mut errors = listen("90002_error");
    let peer = AmqpOutbox::new(peer_settings("send"));
    let hn_cms: OpensslProtection = hn.protection();
    let ekontakt = std::fs::read(root().join("events/kith/ekontakt.xml")).unwrap();

    // 1. The citizen's message, signed by Helsenorge, encrypted for us.
    let sealed = hn_cms.protect(&ekontakt, &us.encryption.cert_der()).unwrap();
    peer.send("80115_async", &from_helsenorge(MSG_ID, sealed)).await.expect("broker accepted");
    let (body, attrs) = inbound(sqs, stack.queue("InboundQueue")).await;
    assert_eq!(body.as_bytes(), ekontakt.as_slice(), "the plain MsgHead, byte for byte");
    let attr = |n: &str| attrs.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    assert_eq!((attr("fromHerId"), attr("toHerId"), attr("messageId")), (Some("90002"), Some("80115"), Some(MSG_ID)));

    // 2. inbound-message journals it and answers with an AppRec on ToHelsenorgeQueue.
    e.inbound_message(&[(body, attrs.clone())]).await;
    assert_eq!(store.journal(&id(CITIZEN)).await.unwrap().len(), 1);

    // 3. The bridge signs and encrypts the AppRec for Helsenorge; the peer verifies our signature.
    // (An AppRec left on the queue by an earlier test was encrypted for that test's keys.)
    let apprec = next(&mut replies, |m| m.subject.as_deref() == Some("APPREC") && hn_cms.unprotect(&m.body, &us.signing.cert_der()).is_ok()).await;
    assert_eq!((apprec.app("fromHerId").as_deref(), apprec.app("toHerId").as_deref()), (Some("80115"), Some("90002")));
    assert_eq!(apprec.reply_to.as_deref(), Some("80115_async"));
    assert_eq!(apprec.content_type.as_deref(), Some(SIGNED_AND_ENVELOPED));
    let xml = hn_cms.unprotect(&apprec.body, &us.signing.cert_der()).expect("signed by us, encrypted for Helsenorge");
    match read_document(&xml, shared::kith::ReadLimits::INBOUND) {
        Ok(KithDocument::AppRec(a)) => assert_eq!(a.original_id, MSG_ID),
        other => panic!("an AppRec, not {other:?}"),
    }

    // 4. Every reportable error reaches Helsenorge's error queue with its condition (R-TR-3).
    let plain = |xml: &[u8]| hn_cms.protect(xml, &us.encryption.cert_der()).unwrap();
    let cases: Vec<(&str, &str, TransportMessage)> = vec![
        ("e1", "transport:invalid-field-value", without_subject(from_helsenorge("e1", plain(&ekontakt)))),
        ("e2", "transport:invalid-certificate", from_helsenorge("e2", hn_cms.protect(&ekontakt, &stranger.encryption.cert_der()).unwrap())),
        ("e3", "transport:invalid-certificate", from_helsenorge("e3", stranger.protection().protect(&ekontakt, &us.encryption.cert_der()).unwrap())),
        ("e4", "transport:not-well-formed-xml", from_helsenorge("e4", plain(b"<MsgHead><unclosed></MsgHead>"))),
        ("e5", "abuse:spoofing-attack", from_helsenorge("e5", plain(&std::fs::read(root().join("events/kith/apprec-ok.xml")).unwrap().replace_her()))),
    ];
    for (id, condition, m) in cases {
        peer.send("80115_async", &m).await.expect("broker accepted");
        let e = next(&mut errors, |e| e.app("originalMessageId").as_deref() == Some(id)).await;
        assert_eq!(e.app("errorCondition").as_deref(), Some(condition), "{id}");
        assert_eq!((e.app("fromHerId").as_deref(), e.app("toHerId").as_deref()), (Some("80115"), Some("90002")), "{id}");
        assert!(e.body.is_empty(), "{id}: an empty body");
    }
    assert_eq!(store.journal(&id(CITIZEN)).await.unwrap().len(), 1, "nothing refused reached the journal");
    let _ = bridge.kill().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_2_bridge_killed_between_sqs_accept_and_amqp_settle_loses_nothing_and_journals_once() {
    let _serial = serial().await;
    let e = Env::new("bridgekill").await;
    // The test hook holds the AMQP accept back after InboundQueue accepted.
    let mut first = e.bridge(&[("BRIDGE_TEST_PAUSE_BEFORE_SETTLE_MS", "60000")]);
    AmqpOutbox::new(peer_settings("kill")).send("80115_async", &ekontakt(&e)).await.expect("broker accepted");
    let one = inbound(&e.sqs, e.stack.queue("InboundQueue")).await;
    first.kill().await.expect("SIGKILL the bridge before it settles");
    let _second = e.bridge(&[]);
    let two = inbound(&e.sqs, e.stack.queue("InboundQueue")).await;
    assert_eq!(one, two, "the broker redelivered the unsettled delivery: enqueued again, not lost");
    e.inbound_message(&[one]).await;
    e.inbound_message(&[two]).await;
    assert_eq!(e.store.journal(&id(CITIZEN)).await.unwrap().len(), 1, "R-IN-3 removed the duplicate");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_4_the_bridge_reconnects_after_a_broker_restart() {
    let _serial = serial().await;
    let e = Env::new("bridgerestart").await;
    let _bridge = e.bridge(&[]);
    // The bridge is connected (a first message goes through), then the broker restarts.
    let peer = AmqpOutbox::new(peer_settings("restart"));
    peer.send("80115_async", &ekontakt(&e)).await.expect("broker accepted");
    inbound(&e.sqs, e.stack.queue("InboundQueue")).await;
    for step in ["stop", "start"] {
        let out = std::process::Command::new(root().join("tools/rabbitmq.sh")).arg(step).output().expect("rabbitmq.sh");
        assert!(out.status.success(), "{step}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // The peer's own connection died with the broker: a new one.
    let peer = AmqpOutbox::new(peer_settings("restart2"));
    peer.send("80115_async", &ekontakt(&e)).await.expect("broker accepted after the restart");
    let (body, _) = inbound(&e.sqs, e.stack.queue("InboundQueue")).await;
    assert!(body.contains(MSG_ID), "the bridge reconnected by itself and handed the message on");
}

