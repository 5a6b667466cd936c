//! The bridge under faults (issue 18), on the real local RabbitMQ, moto and the built
//! `helsenorge-bridge` and `inbound-message` binaries; the world is `tests/support/bridge_peer.rs`.
//! Each test counts what reached the journal: 0 lost, 0 duplicates (README reliability table).
//!
//! - the bridge ↔ broker connection dropped mid-flow (a TCP proxy cut, then restored): the
//!   bridge reconnects by itself; what was unsettled is redelivered, R-IN-3 drops duplicates;
//! - SQS throttled (the bridge's AWS calls through `tests/support/proxy.rs`): the delivery is
//!   released while SendMessage fails, redelivered, and accepted once SQS takes it (R-TR-4).

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use aws_sdk_sqs::Client as Sqs;
use e2e::bridge_peer::{Env, from_helsenorge, peer_settings, rabbit_port, serial};
use e2e::proxy::{Fault, FaultProxy};
use e2e::LocalLambda;
use e2e::sqs::{failures, sqs_event_with_attributes};
use e2e::stack::root;
use e2e::tcp_cut::TcpCut;
use helsenorge_bridge::amqp::AmqpOutbox;
use shared::domain::transport::TransportMessage;
use shared::fixtures::{CITIZEN, id};
use shared::ports::Inspect;
use shared::ports_transport::{AmqpSender, MessageProtection};

type Record = (String, Vec<(String, String)>);

/// Helsenorge's eKontakt with its own MsgId (and AMQP message id), sealed for us.
fn numbered(e: &Env, msg_id: &str) -> TransportMessage {
    let xml = std::fs::read_to_string(root().join("events/kith/ekontakt.xml")).unwrap();
    let xml = xml.replace("<MsgId>6f1c2a10-0000-4000-8000-000000000001</MsgId>", &format!("<MsgId>{msg_id}</MsgId>"));
    from_helsenorge(msg_id, e.hn.protection().protect(xml.as_bytes(), &e.us.encryption.cert_der()).unwrap())
}

/// Everything InboundQueue holds until `done` says so or `patience` empty polls in a row passed.
async fn drain(sqs: &Sqs, url: &str, mut done: impl FnMut(&[Record]) -> bool, patience: u32) -> Vec<Record> {
    let mut got = vec![];
    let mut empty = 0;
    while empty < patience && !done(&got) {
        let out = sqs.receive_message().queue_url(url).wait_time_seconds(1).max_number_of_messages(10).message_attribute_names("All").send().await.expect("receive");
        let messages = out.messages.unwrap_or_default();
        empty = if messages.is_empty() { empty + 1 } else { 0 };
        for m in messages {
            sqs.delete_message().queue_url(url).receipt_handle(m.receipt_handle().unwrap_or_default()).send().await.expect("delete");
            let attrs = m.message_attributes.unwrap_or_default().into_iter().filter_map(|(k, v)| v.string_value.map(|s| (k, s))).collect();
            got.push((m.body.unwrap_or_default(), attrs));
        }
    }
    got
}

fn message_id(r: &Record) -> String {
    r.1.iter().find(|(k, _)| k == "messageId").map(|(_, v)| v.clone()).unwrap_or_default()
}

/// inbound-message over all records, ten per event as SQS batches them; a record the function
/// reports failed (a copy arriving while its twin is in flight, R-IN-3) is delivered again, as
/// SQS would after its visibility timeout. Returns the journal's length.
async fn journal_all(e: &Env, records: &[Record]) -> usize {
    let lambda = LocalLambda::start("inbound-message", &e.stack.function_env("InboundMessageFunction")).await;
    let mut pending: Vec<(String, Record)> = records.iter().enumerate().map(|(i, r)| (format!("r{i}"), r.clone())).collect();
    for _round in 0..5 {
        let mut failed = vec![];
        for chunk in pending.chunks(10) {
            let event: Vec<_> = chunk
                .iter()
                .map(|(id, (body, attrs))| (id.as_str(), body.clone(), attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()))
                .collect();
            let response = lambda.invoke(sqs_event_with_attributes(&event)).await.expect("handler succeeded");
            let f = failures(&response);
            failed.extend(chunk.iter().filter(|(id, _)| f.contains(id)).cloned());
        }
        pending = failed;
        if pending.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    lambda.stop().await;
    assert!(pending.is_empty(), "every record handled within five deliveries");
    e.store.journal(&id(CITIZEN)).await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_2_connection_dropped_mid_flow_loses_nothing_and_journals_each_once() {
    let _serial = serial().await;
    let e = Env::new("bridgecut").await;
    let broker: SocketAddr = format!("127.0.0.1:{}", rabbit_port()).parse().unwrap();
    let cut = TcpCut::start(broker).await;
    let _bridge = e.bridge(&[("AMQP_URL", &format!("amqp://{}", cut.addr))]);
    let peer = AmqpOutbox::new(peer_settings("cut"));
    let ids: Vec<String> = (0..20).map(|i| format!("6f1c2a10-0000-4000-8000-{:012}", 100 + i)).collect();
    let url = e.stack.queue("InboundQueue");

    for msg_id in &ids[..10] {
        peer.send("80115_async", &numbered(&e, msg_id)).await.expect("broker accepted");
    }
    // Mid-flow: the first deliveries have reached InboundQueue, the rest are on their way.
    let mut records = drain(&e.sqs, url, |got| !got.is_empty(), 60).await;
    cut.cut();
    for msg_id in &ids[10..] {
        peer.send("80115_async", &numbered(&e, msg_id)).await.expect("broker accepted while the bridge is cut off");
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    cut.restore();
    let want: BTreeSet<String> = ids.iter().cloned().collect();
    let seen = |got: &[Record]| got.iter().map(message_id).collect::<BTreeSet<_>>();
    let before = records.clone();
    records.extend(drain(&e.sqs, url, |got| seen(&[before.as_slice(), got].concat()) == want, 90).await);
    assert_eq!(seen(&records), want, "every message reached InboundQueue after the reconnect: 0 lost");
    println!("connection cut: {} messages, {} copies on InboundQueue", ids.len(), records.len());
    assert_eq!(journal_all(&e, &records).await, ids.len(), "each journaled once: 0 lost, 0 duplicates");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_4_sqs_throttled_releases_the_delivery_and_it_is_accepted_once_later() {
    let _serial = serial().await;
    let e = Env::new("bridgethrottle").await;
    let proxy = FaultProxy::start(&e2e::stack::endpoint()).await;
    // More throttling than the SDK's own retries absorb (3 attempts): the use case sees it.
    const THROTTLED: u32 = 8;
    proxy.fail("SendMessage", Fault::Throttle, THROTTLED);
    let _bridge = e.bridge(&[("AWS_ENDPOINT_URL", &proxy.url())]);
    let msg_id = "6f1c2a10-0000-4000-8000-000000000200";
    AmqpOutbox::new(peer_settings("throttle")).send("80115_async", &numbered(&e, msg_id)).await.expect("broker accepted");

    let url = e.stack.queue("InboundQueue");
    let mut records = drain(&e.sqs, url, |got| !got.is_empty(), 90).await;
    records.extend(drain(&e.sqs, url, |_| false, 5).await);
    assert_eq!(records.iter().map(message_id).collect::<Vec<_>>(), vec![msg_id.to_string()], "one copy on InboundQueue: accepted once");
    assert_eq!(proxy.injected().get("SendMessage").copied(), Some(THROTTLED), "every injected throttle was met");
    let log = std::fs::read_to_string(root().join(format!(".local/bridge-{}log", e.stack.prefix))).unwrap_or_default();
    let releases = log.matches("delivery released for redelivery").count();
    assert!(releases >= 1, "the delivery was released while SQS throttled (bridge log)");
    println!("SQS throttled: {THROTTLED} SendMessage throttles, {releases} releases, 1 copy");
    assert_eq!(journal_all(&e, &records).await, 1, "journaled once: 0 lost, 0 duplicates");
}
