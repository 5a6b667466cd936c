//! Faults on the real AWS path: inbound-message's built binary under the runtime-API emulator,
//! its SDK calls going through a fault-injecting proxy in front of moto (throttling, 5xx, a
//! request lost in flight), and the function process killed and restarted mid-batch. SQS
//! redelivery is played by the test: a record reported failed (or a batch that never answered)
//! is delivered again. After the faults clear: in = delivered + rejected, no duplicates.
//!
//! Faults after the transaction commits (answer send, mark-sent) are answered by the send lease
//! (90 s), so they are covered on in-memory adapters with a moved clock (shared/tests/faults.rs).

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use aws_sdk_dynamodb::Client as Ddb;
use aws_sdk_sqs::Client as Sqs;
use e2e::proxy::{Fault, FaultProxy};
use e2e::sqs::{drain, failures, kith_event};
use e2e::stack::{endpoint, sdk_config};
use e2e::{LocalLambda, LocalStack};
use shared::adapters::aws::dynamo::Dynamo;
use shared::domain::receipt::AppRecStatus;
use shared::fixtures::kith::{self, OnQueue};
use shared::fixtures::{self, CITIZEN, consented_citizen, id, service};
use shared::ports::Inspect;

struct World {
    stack: LocalStack,
    proxy: FaultProxy,
    store: Dynamo,
    sqs: Sqs,
    env: BTreeMap<String, String>,
}

async fn world(name: &str) -> World {
    let stack = LocalStack::provision(name);
    let sdk = sdk_config().await;
    let store = Dynamo::new(Ddb::new(&sdk), stack.tables());
    store.put_citizen(&consented_citizen(CITIZEN, &service())).await.unwrap();
    fixtures::seed_usable_activation(&store, &service()).await.unwrap();
    store.put_her(&fixtures::her_entry()).await.unwrap();
    let proxy = FaultProxy::start(&endpoint()).await;
    let mut env = stack.function_env("InboundMessageFunction");
    env.insert("AWS_ENDPOINT_URL".into(), proxy.url());
    World { stack, proxy, store, sqs: Sqs::new(&sdk), env }
}

/// Ten messages: nine for the consented citizen, one for a citizen nobody knows (rejected).
fn bodies(tag: &str) -> Vec<(String, OnQueue)> {
    (0..10)
        .map(|i| {
            let who = if i == 9 { fixtures::CITIZEN_2032 } else { CITIZEN };
            (format!("sqs-{tag}-{i}"), kith::ekontakt(&format!("hn-{tag}-{i}"), who, &service()))
        })
        .collect()
}

/// Delivers the batch, then redelivers what failed (up to 6 times, as maxReceiveCount 5 + the
/// republisher would), with the fault active only for the first delivery's calls.
async fn deliver_until_done(f: &LocalLambda, batch: &[(String, OnQueue)]) -> u32 {
    let mut pending: Vec<(String, OnQueue)> = batch.to_vec();
    let mut deliveries = 0;
    while !pending.is_empty() && deliveries < 6 {
        deliveries += 1;
        let event: Vec<(&str, &OnQueue)> = pending.iter().map(|(i, q)| (i.as_str(), q)).collect();
        let resp = f.invoke_within(kith_event(&event), Duration::from_secs(60)).await.expect("handler answered");
        let failed: HashSet<String> = failures(&resp).into_iter().collect();
        pending.retain(|(i, _)| failed.contains(i));
    }
    assert!(pending.is_empty(), "every record processed after the faults cleared");
    deliveries
}

/// (delivered, rejected, duplicates) for the messages tagged `tag`.
async fn count(w: &World, tag: &str) -> (usize, usize, usize) {
    let prefix = format!("hn-{tag}-");
    let journal = w.store.journal(&id(CITIZEN)).await.unwrap();
    let mine: Vec<&str> = journal.iter().map(|e| e.message_id.as_str()).filter(|m| m.starts_with(&prefix)).collect();
    let delivered: HashSet<&str> = mine.iter().copied().collect();
    let out = drain(&w.sqs, w.stack.queue("ToHelsenorgeQueue")).await;
    let recs: Vec<_> = out
        .iter()
        .filter_map(|o| kith::apprec_of(o).filter(|a| a.answers_message_id.starts_with(&prefix)).map(|a| (o.id.clone(), a)))
        .collect();
    let rejected = recs.iter().filter(|(_, a)| a.status == AppRecStatus::Rejected).count();
    let answered: HashSet<&str> = recs.iter().map(|(_, a)| a.answers_message_id.as_str()).collect();
    let answer_ids: HashSet<&str> = recs.iter().map(|(i, _)| i.as_str()).collect();
    assert_eq!(answered.len(), 10, "every message answered once");
    let duplicates = (mine.len() - delivered.len()) + (recs.len() - answer_ids.len());
    (delivered.len(), rejected, duplicates)
}

#[tokio::test]
async fn r_in_3_throttling_and_5xx_at_every_pre_commit_call_lose_nothing() {
    let w = world("faults-aws").await;
    let f = LocalLambda::start("inbound-message", &w.env).await;
    // 30 beat the SDK's 3 attempts for each of the batch's 10 concurrent calls: the calls fail
    // and their records with them; 2 are absorbed by the SDK's own retries.
    let rows = [
        ("BatchGetItem", Fault::Throttle, 30),
        ("BatchGetItem", Fault::ServerError, 30),
        // The message item's conditional PutItem (#16 item 8; the rejected message's too).
        ("PutItem", Fault::Throttle, 30),
        ("PutItem", Fault::ServerError, 30),
        ("SendMessageBatch", Fault::Throttle, 2),
        ("SendMessageBatch", Fault::ServerError, 2),
        ("BatchWriteItem", Fault::ServerError, 2),
    ];
    println!("\nAWS fault table — inbound-message binary, 10 messages per row (9 admitted, 1 rejected)");
    println!("{:<20} {:<12} {:>6} {:>9} {:>11} {:>10} {:>9} {:>11}", "operation", "fault", "times", "injected", "deliveries", "delivered", "rejected", "duplicates");
    for (n, (op, fault, times)) in rows.into_iter().enumerate() {
        let tag = format!("row{n}");
        let before = w.proxy.injected().get(op).copied().unwrap_or(0);
        w.proxy.fail(op, fault, times);
        let deliveries = deliver_until_done(&f, &bodies(&tag)).await;
        w.proxy.clear();
        let injected = w.proxy.injected().get(op).copied().unwrap_or(0) - before;
        let (delivered, rejected, duplicates) = count(&w, &tag).await;
        println!("{op:<20} {:<12} {times:>6} {injected:>9} {deliveries:>11} {delivered:>10} {rejected:>9} {duplicates:>11}", format!("{fault:?}"));
        assert!(injected > 0, "{op}: the fault was reached");
        assert_eq!(delivered + rejected, 10, "{op} {fault:?}: in = delivered + rejected");
        assert_eq!((delivered, rejected, duplicates), (9, 1, 0), "{op} {fault:?}");
        if times > 3 {
            assert!(deliveries > 1, "{op}: the fault failed records, which came back");
        }
    }
    assert!(f.logs().lines().all(|l| !l.contains("panicked")), "no panic");
    f.stop().await;
}

#[tokio::test]
async fn r_in_3_function_killed_mid_batch_and_restarted_processes_each_message_once() {
    let w = world("faults-restart").await;
    let batch = bodies("restart");
    let event: Vec<(&str, &OnQueue)> = batch.iter().map(|(i, q)| (i.as_str(), q)).collect();

    // The batch's writes are lost in flight; the function is killed before it answers.
    w.proxy.fail("TransactWriteItems", Fault::Blackhole, 1000);
    w.proxy.fail("PutItem", Fault::Blackhole, 1000);
    let first = LocalLambda::start("inbound-message", &w.env).await;
    let answered = first.try_invoke_within(kith_event(&event), Duration::from_secs(3)).await;
    assert!(answered.is_none(), "the first invocation hangs on its writes");
    first.stop().await;
    w.proxy.clear();

    // A fresh process takes the redelivered batch.
    let second = LocalLambda::start("inbound-message", &w.env).await;
    let resp = second.invoke(kith_event(&event)).await.expect("handler answered");
    assert!(failures(&resp).is_empty(), "{resp}");
    // And SQS delivers it once more (at least once): nothing new happens.
    let resp = second.invoke(kith_event(&event)).await.expect("handler answered");
    assert!(failures(&resp).is_empty(), "{resp}");
    let (delivered, rejected, duplicates) = count(&w, "restart").await;
    println!("restart mid-batch: in 10, delivered {delivered}, rejected {rejected}, duplicates {duplicates}, lost-in-flight requests {:?}", w.proxy.injected());
    assert_eq!((delivered, rejected, duplicates), (9, 1, 0));
    second.stop().await;
}
