//! The Helsenorge bridge end to end (issue 18, R-TR-1..9): a Helsenorge-side peer (test
//! certificates made here, CMS over OpenSSL, AMQP over fe2o3) sends a signed and encrypted
//! eKontakt to our `80115_async` on the real local RabbitMQ → the built `helsenorge-bridge`
//! binary → InboundQueue (moto) → the built inbound-message under the runtime-API emulator →
//! AppRec on ToHelsenorgeQueue → the bridge → `90002_async` → the peer, which verifies our
//! signature. Then each reportable error reaches the peer's `90002_error`. `make test` starts
//! moto and RabbitMQ (port `RABBITMQ_PORT`).
//!
//! The peer reuses the bridge crate's CMS and AMQP adapters as Helsenorge's side (other keys,
//! other links): what is under test is the bridge binary between them.

use std::time::Duration;

use aws_sdk_dynamodb::Client as Ddb;
use aws_sdk_sqs::Client as Sqs;
use e2e::sqs::{failures, sqs_event_with_attributes};
use e2e::stack::{root, sdk_config};
use e2e::{LocalLambda, LocalStack};
use e2e::peer::{self, Route, listen};
use helsenorge_bridge::amqp::AmqpOutbox;
use helsenorge_bridge::cms::OpensslProtection;
use helsenorge_bridge::testkit::{self, PartyKeys};
use shared::adapters::aws::dynamo::Dynamo;
use shared::domain::transport::{SIGNED_AND_ENVELOPED, TransportMessage};
use shared::fixtures::{CITIZEN, consented_citizen, her_entry, id, service};
use shared::kith::msghead::{KithDocument, read_document};
use shared::ports::Inspect;
use shared::ports_transport::{AmqpSender, MessageProtection};
use tokio::sync::mpsc;

const MSG_ID: &str = "6f1c2a10-0000-4000-8000-000000000001";

/// The next message on `rx` that `pick` chooses (others, left over from earlier runs, skipped).
async fn next(rx: &mut mpsc::UnboundedReceiver<TransportMessage>, pick: impl Fn(&TransportMessage) -> bool) -> TransportMessage {
    peer::next_within(rx, Duration::from_secs(90), pick).await.expect("a message within 90 s")
}

/// What Helsenorge.Messaging sends: the library's properties, the body signed and encrypted.
fn from_helsenorge(id: &str, body: Vec<u8>) -> TransportMessage {
    peer::message(id, &Route::ekontakt(), body)
}

async fn secret(sdk: &aws_config::SdkConfig, name: &str, pair: &helsenorge_bridge::cms::KeyPair) -> String {
    peer::put_secret(sdk, name, pair).await.expect("create secret");
    name.to_string()
}

/// Polls InboundQueue until a message arrives; returns (body, attributes).
async fn inbound(sqs: &Sqs, url: &str) -> (String, Vec<(String, String)>) {
    for _ in 0..60 {
        let out = sqs.receive_message().queue_url(url).wait_time_seconds(1).message_attribute_names("All").send().await.expect("receive");
        if let Some(m) = out.messages.unwrap_or_default().into_iter().next() {
            sqs.delete_message().queue_url(url).receipt_handle(m.receipt_handle().unwrap_or_default()).send().await.expect("delete");
            let mut attrs: Vec<(String, String)> = m
                .message_attributes
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| v.string_value.map(|s| (k, s)))
                .collect();
            attrs.sort();
            return (m.body.unwrap_or_default(), attrs);
        }
    }
    panic!("nothing reached InboundQueue within a minute");
}

/// One test's world: a fresh stack with the citizen seeded, NHN's queues on the broker, keys for
/// us, Helsenorge and a stranger, our keys in Secrets Manager.
struct Env {
    stack: LocalStack,
    store: Dynamo,
    sqs: Sqs,
    us: PartyKeys,
    hn: PartyKeys,
    stranger: PartyKeys,
    secrets: (String, String),
}

impl Env {
    async fn new(name: &str) -> Self {
        let stack = LocalStack::provision(name);
        let sdk = sdk_config().await;
        let store = Dynamo::new(Ddb::new(&sdk), stack.tables());
        store.put_citizen(&consented_citizen(CITIZEN, &service())).await.unwrap();
        shared::fixtures::seed_usable_activation(&store, &service()).await.unwrap();
        store.put_her(&her_entry()).await.unwrap();
        peer::declare(&["80115", "90002"]).expect("broker queues");
        let ca = testkit::ca("test CA").unwrap();
        let (us, hn, stranger) = (PartyKeys::new(&ca, "kommune").unwrap(), PartyKeys::new(&ca, "Helsenorge").unwrap(), PartyKeys::new(&ca, "x").unwrap());
        let secrets = (
            secret(&sdk, &format!("{}sign", stack.prefix), &us.signing).await,
            secret(&sdk, &format!("{}dec", stack.prefix), &us.encryption).await,
        );
        Self { store, sqs: Sqs::new(&sdk), stack, us, hn, stranger, secrets }
    }

    /// The built bridge binary, configured for this world (plus `extra`), logging to .local/.
    fn bridge(&self, extra: &[(&str, &str)]) -> tokio::process::Child {
        let env = peer::BridgeEnv {
            signing_secret: &self.secrets.0,
            decryption_secret: &self.secrets.1,
            profiles: peer::profiles_config(90002, "cpa-synthetic-1", &self.hn),
            inbound_queue_url: self.stack.queue("InboundQueue"),
            to_helsenorge_queue_url: self.stack.queue("ToHelsenorgeQueue"),
        };
        let log = root().join(format!(".local/bridge-{}log", self.stack.prefix));
        tokio::process::Command::new(e2e::lambda::binary("helsenorge-bridge"))
            .envs(env.vars())
            .envs(extra.iter().copied())
            .stdout(std::fs::File::create(log).expect("log file"))
            .kill_on_drop(true)
            .spawn()
            .expect("start the bridge binary")
    }

    /// inbound-message over these records (SQS id, body, attributes).
    async fn inbound_message(&self, records: &[(String, Vec<(String, String)>)]) {
        let lambda = LocalLambda::start("inbound-message", &self.stack.function_env("InboundMessageFunction")).await;
        let ids: Vec<String> = (0..records.len()).map(|i| format!("r{i}")).collect();
        let event: Vec<_> = records
            .iter()
            .zip(&ids)
            .map(|((body, attrs), id)| (id.as_str(), body.clone(), attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()))
            .collect();
        let response = lambda.invoke(sqs_event_with_attributes(&event)).await.expect("handler succeeded");
        assert!(failures(&response).is_empty(), "{response}");
        lambda.stop().await;
    }
}

/// The tests share the broker's queues 80115_* and 90002_*: one at a time.
async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_2_a_citizen_message_travels_over_amqp_and_the_signed_apprec_comes_back() {
    let _serial = serial().await;
    let e = Env::new("bridge").await;
    let (store, sqs, stack, us, hn, stranger) = (&e.store, &e.sqs, &e.stack, &e.us, &e.hn, &e.stranger);
    let mut bridge = e.bridge(&[]);
    let mut replies = listen("90002_async");
    let mut errors = listen("90002_error");
    let peer = AmqpOutbox::new(peer::settings("send"));
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

/// Helsenorge's eKontakt, signed by Helsenorge and encrypted for us.
fn ekontakt(e: &Env) -> TransportMessage {
    let xml = std::fs::read(root().join("events/kith/ekontakt.xml")).unwrap();
    from_helsenorge(MSG_ID, e.hn.protection().protect(&xml, &e.us.encryption.cert_der()).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_2_bridge_killed_between_sqs_accept_and_amqp_settle_loses_nothing_and_journals_once() {
    let _serial = serial().await;
    let e = Env::new("bridgekill").await;
    // The test hook holds the AMQP accept back after InboundQueue accepted.
    let mut first = e.bridge(&[("BRIDGE_TEST_PAUSE_BEFORE_SETTLE_MS", "60000")]);
    AmqpOutbox::new(peer::settings("kill")).send("80115_async", &ekontakt(&e)).await.expect("broker accepted");
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
    let peer = AmqpOutbox::new(peer::settings("restart"));
    peer.send("80115_async", &ekontakt(&e)).await.expect("broker accepted");
    inbound(&e.sqs, e.stack.queue("InboundQueue")).await;
    for step in ["stop", "start"] {
        let out = std::process::Command::new(root().join("tools/rabbitmq.sh")).arg(step).output().expect("rabbitmq.sh");
        assert!(out.status.success(), "{step}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // The peer's own connection died with the broker: a new one.
    let peer = AmqpOutbox::new(peer::settings("restart2"));
    peer.send("80115_async", &ekontakt(&e)).await.expect("broker accepted after the restart");
    let (body, _) = inbound(&e.sqs, e.stack.queue("InboundQueue")).await;
    assert!(body.contains(MSG_ID), "the bridge reconnected by itself and handed the message on");
}

/// R-TR-1: no subject (the library's `Label`).
fn without_subject(mut m: TransportMessage) -> TransportMessage {
    m.subject = None;
    m
}

/// An AppRec whose sender is another HER-id than `fromHerId` (spoofing, R-TR-5).
trait ReplaceHer {
    fn replace_her(self) -> Vec<u8>;
}

impl ReplaceHer for Vec<u8> {
    fn replace_her(self) -> Vec<u8> {
        String::from_utf8_lossy(&self).replace("<Id>90002</Id>", "<Id>90777</Id>").replace("<Id>90001</Id>", "<Id>90776</Id>").into_bytes()
    }
}
