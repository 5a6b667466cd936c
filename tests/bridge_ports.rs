//! Contracts of the bridge's queue ports on the in-memory adapters and on the real ones: the
//! SQS adapters of `functions/helsenorge-bridge/src/sqs.rs` against moto, `AmqpOutbox` against
//! the local RabbitMQ (tests/support/bridge_ports_contract.rs).

use aws_sdk_sqs::Client as Sqs;
use aws_sdk_sqs::types::MessageAttributeValue;
use e2e::LocalStack;
use e2e::bridge_peer::{declare, listen, next, peer_settings, serial};
use e2e::bridge_ports_contract::{amqp_sender_contract, inbound_sink_contract, outbound_source_contract};
use e2e::stack::sdk_config;
use helsenorge_bridge::amqp::AmqpOutbox;
use helsenorge_bridge::sqs::{SqsInbound, SqsOutboundSource};
use shared::adapters::memory_transport::{MemoryAmqp, MemoryOutboundSource, MemorySink};

fn nonce() -> String {
    format!("{}-{}", std::process::id(), jiff::Timestamp::now().as_millisecond())
}

async fn read_queue(sqs: &Sqs, url: &str, n: usize) -> Vec<(String, Vec<(String, String)>)> {
    let mut got = vec![];
    for _ in 0..30 {
        let out = sqs.receive_message().queue_url(url).wait_time_seconds(1).max_number_of_messages(10).message_attribute_names("All").send().await.expect("receive");
        for m in out.messages.unwrap_or_default() {
            let attrs = m.message_attributes.unwrap_or_default().into_iter().filter_map(|(k, v)| v.string_value.map(|s| (k, s))).collect();
            got.push((m.body.unwrap_or_default(), attrs));
        }
        if got.len() >= n {
            break;
        }
    }
    got
}

#[tokio::test]
async fn r_tr_2_inbound_sink_contract_on_memory() {
    let sink = MemorySink::default();
    let s = sink.clone();
    inbound_sink_contract(&sink, &nonce(), |_| async move { s.items().into_iter().map(|i| (i.body, i.attributes)).collect() }).await;
}

#[tokio::test]
async fn r_tr_2_inbound_sink_contract_on_sqs() {
    let stack = LocalStack::provision("bridgeportsin");
    let sqs = Sqs::new(&sdk_config().await);
    let url = stack.queue("InboundQueue").to_string();
    let sink = SqsInbound::new(sqs.clone(), &url);
    inbound_sink_contract(&sink, &nonce(), |n| async move { read_queue(&sqs, &url, n).await }).await;
}

#[tokio::test]
async fn r_tr_8_outbound_source_contract_on_memory() {
    let source = MemoryOutboundSource::default();
    let counter = std::sync::atomic::AtomicUsize::new(0);
    let put = |mut item: shared::ports_transport::OutboundItem| {
        item.receipt = format!("r{}", counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst));
        source.push(item);
        async {}
    };
    outbound_source_contract(&source, &nonce(), put).await;
}

#[tokio::test]
async fn r_tr_8_outbound_source_contract_on_sqs() {
    let stack = LocalStack::provision("bridgeportsout");
    let sqs = Sqs::new(&sdk_config().await);
    let url = stack.queue("ToHelsenorgeQueue").to_string();
    let source = SqsOutboundSource::new(sqs.clone(), &url, 1);
    let put = |item: shared::ports_transport::OutboundItem| {
        let (sqs, url) = (sqs.clone(), url.clone());
        async move {
            let mut send = sqs.send_message().queue_url(url).message_body(item.body);
            for (k, v) in item.attributes {
                send = send.message_attributes(k, MessageAttributeValue::builder().data_type("String").string_value(v).build().unwrap());
            }
            send.send().await.expect("send");
        }
    };
    outbound_source_contract(&source, &nonce(), put).await;
}

#[tokio::test]
async fn r_tr_8_amqp_sender_contract_on_memory() {
    let amqp = MemoryAmqp::default();
    let a = amqp.clone();
    amqp_sender_contract(&amqp, "90002_async", &nonce(), |id| async move {
        a.sent().into_iter().map(|(_, m)| m).find(|m| m.message_id.as_deref() == Some(id.as_str())).expect("sent")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_8_amqp_sender_contract_on_the_broker() {
    let _serial = serial().await;
    declare(&["80115", "90002"]);
    let mut rx = listen("90002_async");
    let outbox = AmqpOutbox::new(peer_settings("contract"));
    amqp_sender_contract(&outbox, "90002_async", &nonce(), |id| async move { next(&mut rx, |m| m.message_id.as_deref() == Some(id.as_str())).await }).await;
}

#[test]
fn r_tr_7_message_protection_contract_on_the_fake() {
    use e2e::bridge_ports_contract::{Party, message_protection_contract};
    use shared::adapters::memory_transport::FakeProtection;
    use shared::ports_transport::CertDer;
    let party = |name: &str| Party { protection: FakeProtection::new(name), signing: CertDer(name.into()), encryption: CertDer(name.into()) };
    message_protection_contract(&party("kommune"), &party("helsenorge"), &party("stranger"));
}

#[test]
fn r_tr_7_message_protection_contract_on_openssl() {
    use e2e::bridge_ports_contract::{Party, message_protection_contract};
    use helsenorge_bridge::testkit::{self, PartyKeys};
    let ca = testkit::ca("contract CA").unwrap();
    let party = |name: &str| {
        let k = PartyKeys::new(&ca, name).unwrap();
        Party { protection: k.protection(), signing: k.signing.cert_der(), encryption: k.encryption.cert_der() }
    };
    message_protection_contract(&party("kommune"), &party("helsenorge"), &party("stranger"));
}
