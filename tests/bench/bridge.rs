//! The Helsenorge bridge's figures (issue 18), on the local stack: moto, the project-local
//! RabbitMQ (`RABBITMQ_PORT`; `make bench` starts it) and the built binaries beside this one.
//!
//! 1. throughput on one core (current-thread runtime) of the bridge's two use cases with their
//!    real adapters: decrypt + verify + enqueue (`ReceiveFromHelsenorge::handle`: OpenSSL CMS,
//!    SendMessage to InboundQueue on moto) and sign + encrypt + send (`SendToHelsenorge::send`:
//!    CMS, an AMQP transfer the broker accepts);
//! 2. end-to-end latency, one message at a time: the Helsenorge-side peer sends an eKontakt →
//!    the built bridge → InboundQueue → inbound-message (runtime-API emulator; the bench plays
//!    Lambda's poller) → the AppRec on ToHelsenorgeQueue → the bridge → the peer, which has
//!    verified our signature; p50/p99 from the send to the AppRec received (short polls: moto
//!    serves one call at a time, and a long poll there would hold every other call);
//! 3. the bridge's cost per month on its Fargate size in template.yaml.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client as Ddb;
use aws_sdk_sqs::Client as Sqs;
use e2e::peer::{self, Route, RunKeys};
use e2e::sqs::sqs_event_with_attributes;
use e2e::stack::{root, sdk_config};
use e2e::{LocalLambda, LocalStack, quantile_ms};
use helsenorge_bridge::amqp::AmqpOutbox;
use helsenorge_bridge::sqs::SqsInbound;
use serde::Serialize;
use shared::adapters::aws::dynamo::Dynamo;
use shared::adapters::memory::SystemClock;
use shared::adapters::profiles_config::ConfigProfiles;
use shared::app::bridge_in::{ReceiveFromHelsenorge, Settle};
use shared::app::bridge_out::SendToHelsenorge;
use shared::domain::transport::Queues;
use shared::fixtures::{CITIZEN, consented_citizen, her_entry, service};
use shared::ports_transport::{MessageProtection, OutboundItem};

/// Fargate list prices used for the bridge's row (USD, Linux/ARM, us-east-1, per hour; from
/// the AWS Fargate pricing page as quoted by vantage.sh and cloudburn.io, checked 2026-12-02).
/// No eu-north-1 figure could be read here; Stockholm lists Fargate at or slightly above these.
mod price {
    /// Per vCPU-hour.
    pub const FARGATE_ARM_VCPU_HOUR: f64 = 0.032_38;
    /// Per GB-hour.
    pub const FARGATE_ARM_GB_HOUR: f64 = 0.003_56;
}

/// The task size in template.yaml (`BridgeTaskDefinition`: Cpu 256, Memory 512, ARM64).
const TASK_VCPU: f64 = 0.25;
const TASK_GB: f64 = 0.5;
const HOURS_PER_MONTH: f64 = 730.0;

/// The bridge's figures.
#[derive(Debug, Serialize)]
pub struct Figures {
    /// Messages.
    pub n: usize,
    /// decrypt + verify + enqueue on InboundQueue, messages/s on one core.
    pub receive_per_second: f64,
    /// sign + encrypt + send to the broker, messages/s on one core.
    pub send_per_second: f64,
    /// Messages timed end to end.
    pub e2e_n: usize,
    /// peer send → AppRec received, p50, ms.
    pub e2e_p50_ms: f64,
    /// p99, ms.
    pub e2e_p99_ms: f64,
    /// The task size's price per month, USD.
    pub fargate_month_usd: f64,
}

fn ekontakt(id: &str) -> Vec<u8> {
    let xml = std::fs::read_to_string(root().join("events/kith/ekontakt.xml")).expect("events/kith/ekontakt.xml");
    xml.replace("6f1c2a10-0000-4000-8000-000000000001", id).into_bytes()
}

/// Runs all three; `n` messages for the throughput, `e2e_n` one at a time end to end.
pub async fn run(n: usize, e2e_n: usize) -> Figures {
    let stack = LocalStack::provision("benchbridge");
    let sdk = sdk_config().await;
    let store = Dynamo::new(Ddb::new(&sdk), stack.tables());
    store.put_citizen(&consented_citizen(CITIZEN, &service())).await.expect("seed citizen");
    shared::fixtures::seed_usable_activation(&store, &service()).await.expect("seed activation");
    store.put_her(&her_entry()).await.expect("seed HER-id");
    peer::declare(&["80115", "90002"]).expect("broker queues (is RabbitMQ running? make bench starts it)");
    let keys = RunKeys::new().expect("test keys");
    let profiles = ConfigProfiles::from_json(&peer::profiles_config(90002, "cpa-synthetic-1", &keys.hn)).expect("profiles");
    let us = keys.us.protection();
    let hn = keys.hn.protection();
    let sqs = Sqs::new(&sdk);

    // 1a. decrypt + verify + enqueue.
    let sealed: Vec<_> = (0..n)
        .map(|i| {
            let id = format!("6f1c2a10-0000-4000-8000-{i:012}");
            peer::message(&id, &Route::ekontakt(), hn.protect(&ekontakt(&id), &keys.us.encryption.cert_der()).expect("protect"))
        })
        .collect();
    let receive = ReceiveFromHelsenorge {
        profiles: profiles.clone(),
        protection: us.clone(),
        sink: SqsInbound::new(sqs.clone(), stack.queue("InboundQueue")),
        errors: AmqpOutbox::new(peer::settings("bench-errors")),
        clock: SystemClock,
        new_id: || uuid_like(),
        our_her_ids: vec![80115],
    };
    let began = Instant::now();
    for m in &sealed {
        assert_eq!(receive.handle(m).await, Settle::Accept, "handed to InboundQueue");
    }
    let receive_per_second = n as f64 / began.elapsed().as_secs_f64();
    sqs.purge_queue().queue_url(stack.queue("InboundQueue")).send().await.expect("purge InboundQueue");

    // 1b. sign + encrypt + send.
    let send = SendToHelsenorge {
        profiles,
        protection: us,
        sender: AmqpOutbox::new(peer::settings("bench-send")),
        clock: SystemClock,
        our_queues: Queues::conventional(80115),
        ttl_ms: None,
    };
    let apprec = std::fs::read_to_string(root().join("events/kith/apprec-ok.xml")).expect("events/kith/apprec-ok.xml");
    let items: Vec<OutboundItem> = (0..n)
        .map(|i| OutboundItem {
            receipt: String::new(),
            body: apprec.clone(),
            attributes: [("fromHerId", "80115"), ("toHerId", "90002"), ("messageFunction", "APPREC")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .chain([("messageId".to_string(), format!("bench-apprec-{i}"))])
                .collect(),
        })
        .collect();
    let began = Instant::now();
    for item in &items {
        send.send(item).await.expect("the broker accepted");
    }
    let send_per_second = n as f64 / began.elapsed().as_secs_f64();

    let latencies = end_to_end(&stack, &sdk, &keys, e2e_n).await;
    let fargate_month_usd = HOURS_PER_MONTH * (TASK_VCPU * price::FARGATE_ARM_VCPU_HOUR + TASK_GB * price::FARGATE_ARM_GB_HOUR);
    Figures {
        n,
        receive_per_second,
        send_per_second,
        e2e_n: latencies.len(),
        e2e_p50_ms: quantile_ms(&latencies, 0.5),
        e2e_p99_ms: quantile_ms(&latencies, 0.99),
        fargate_month_usd,
    }
}

fn uuid_like() -> String {
    format!("{:032x}", std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0))
}

/// One message at a time through the built bridge and inbound-message; sorted latencies.
async fn end_to_end(stack: &LocalStack, sdk: &aws_config::SdkConfig, keys: &RunKeys, n: usize) -> Vec<Duration> {
    let (signing, decryption) = (format!("{}sign", stack.prefix), format!("{}dec", stack.prefix));
    peer::put_secret(sdk, &signing, &keys.us.signing).await.expect("secret");
    peer::put_secret(sdk, &decryption, &keys.us.encryption).await.expect("secret");
    let env = peer::BridgeEnv {
        signing_secret: &signing,
        decryption_secret: &decryption,
        profiles: peer::profiles_config(90002, "cpa-synthetic-1", &keys.hn),
        inbound_queue_url: stack.queue("InboundQueue"),
        to_helsenorge_queue_url: stack.queue("ToHelsenorgeQueue"),
    };
    // moto is single-threaded: a long poll holds every other call for its whole wait, so the
    // bridge (OUTBOUND_WAIT_SECONDS=0) and the poller below short-poll; on SQS neither matters.
    let mut bridge = tokio::process::Command::new(e2e::lambda::binary("helsenorge-bridge"))
        .envs(env.vars())
        .env("OUTBOUND_WAIT_SECONDS", "0")
        .stdout(std::fs::File::create(root().join(".local/bench-bridge.log")).expect("log file"))
        .kill_on_drop(true)
        .spawn()
        .expect("start the bridge binary");
    let inbound = LocalLambda::start("inbound-message", &stack.function_env("InboundMessageFunction")).await;
    let mut replies = peer::listen("90002_async");
    let outbox = AmqpOutbox::new(peer::settings("bench-peer"));
    let sqs = Sqs::new(sdk);
    let hn = Arc::new(keys.hn.protection());
    let ours = keys.us.signing.cert_der();
    let mut latencies = Vec::with_capacity(n);
    for i in 0..n {
        let id = format!("6f1c2a10-0000-4000-9000-{i:012}");
        let m = peer::message(&id, &Route::ekontakt(), hn.protect(&ekontakt(&id), &keys.us.encryption.cert_der()).expect("protect"));
        let began = Instant::now();
        shared::ports_transport::AmqpSender::send(&outbox, "80115_async", &m).await.expect("the broker accepted");
        // Lambda's poller: the message from InboundQueue to inbound-message.
        let record = loop {
            let out = sqs
                .receive_message()
                .queue_url(stack.queue("InboundQueue"))
                .message_attribute_names("All")
                .send()
                .await
                .expect("receive");
            if let Some(r) = out.messages.unwrap_or_default().into_iter().next() {
                break r;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        let attrs: Vec<(String, String)> =
            record.message_attributes().into_iter().flatten().filter_map(|(k, v)| Some((k.clone(), v.string_value()?.to_string()))).collect();
        let event = sqs_event_with_attributes(&[("r0", record.body().unwrap_or_default().to_string(), attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect())]);
        inbound.invoke(event).await.expect("inbound-message answered");
        sqs.delete_message().queue_url(stack.queue("InboundQueue")).receipt_handle(record.receipt_handle().unwrap_or_default()).send().await.expect("delete");
        let hn = hn.clone();
        let ours = ours.clone();
        let want = format!("{id}.apprec");
        let got = peer::next_within(&mut replies, Duration::from_secs(60), move |r| {
            r.message_id.as_deref() == Some(want.as_str()) && hn.unprotect(&r.body, &ours).is_ok()
        })
        .await;
        if got.is_some() {
            latencies.push(began.elapsed());
        }
    }
    inbound.stop().await;
    let _ = bridge.kill().await;
    latencies.sort();
    latencies
}

/// Prints the rows.
pub fn print(f: &Figures) {
    println!("\n== Helsenorge bridge (real CMS, moto, local RabbitMQ; one core for the throughput) ==");
    println!("{:<58} {:>7} {:>12}", "step", "n", "per second");
    println!("{:<58} {:>7} {:>12.0}", "decrypt + verify + enqueue on InboundQueue (SendMessage)", f.n, f.receive_per_second);
    println!("{:<58} {:>7} {:>12.0}", "sign + encrypt + send to the broker (accepted)", f.n, f.send_per_second);
    println!(
        "end to end, peer send -> AppRec received and verified ({} messages one at a time): p50 {:.1} ms, p99 {:.1} ms",
        f.e2e_n, f.e2e_p50_ms, f.e2e_p99_ms
    );
    println!(
        "bridge on Fargate {TASK_VCPU} vCPU / {TASK_GB} GB arm64, 730 h: {:.2}$ a month (Linux/ARM list price, us-east-1 rates as a stand-in for eu-north-1, checked 2026-12-02)",
        f.fargate_month_usd
    );
}
