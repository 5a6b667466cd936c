//! A bounded load run: inbound messages through the built inbound-message binary on the local
//! stack, two function instances taking batches of 10 concurrently, a tenth of the batches
//! delivered twice (SQS is at-least-once). Prints throughput, failed records, p50/p99 latency;
//! asserts nothing is lost and nothing duplicated. `LOAD_MESSAGES` sets the size (300 in
//! `make test`; `make load` runs 2,000). moto's TransactWriteItems copies the whole table, so
//! the figures are moto's, not DynamoDB's: the handler's own throughput is in `make bench`.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client as Ddb;
use aws_sdk_sqs::Client as Sqs;
use e2e::sqs::{drain, failures, kith_event};
use e2e::stack::sdk_config;
use e2e::{LocalLambda, LocalStack, quantile_ms};
use futures::StreamExt;
use shared::adapters::aws::dynamo::Dynamo;
use shared::fixtures::kith::{self, OnQueue};
use shared::fixtures::{self, CITIZEN, consented_citizen, id, service};
use shared::ports::Inspect;

/// SQS records of one batch: (message id, KITH body with its transport attributes).
type Batch = Vec<(String, OnQueue)>;

#[tokio::test]
async fn r_in_3_load_run_loses_nothing_and_duplicates_nothing() {
    let n: usize = std::env::var("LOAD_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let stack = LocalStack::provision("load");
    let sdk = sdk_config().await;
    let store = Dynamo::new(Ddb::new(&sdk), stack.tables());
    store.put_citizen(&consented_citizen(CITIZEN, &service())).await.unwrap();
    fixtures::seed_usable_activation(&store, &service()).await.unwrap();
    store.put_her(&fixtures::her_entry()).await.unwrap();
    let env = stack.function_env("InboundMessageFunction");
    let instances = [LocalLambda::start("inbound-message", &env).await, LocalLambda::start("inbound-message", &env).await];

    let messages: Batch =
        (0..n).map(|i| (format!("sqs-load-{i}"), kith::ekontakt(&format!("hn-load-{i}"), CITIZEN, &service()))).collect();
    let mut batches: Vec<Batch> = messages.chunks(10).map(<[_]>::to_vec).collect();
    let redelivered: Vec<Batch> = batches.iter().step_by(10).cloned().collect();
    batches.extend(redelivered);

    let started = Instant::now();
    let mut latencies = vec![];
    let mut failed_records = 0;
    let mut pending = batches;
    let mut rounds = 0;
    while !pending.is_empty() {
        rounds += 1;
        assert!(rounds <= 6, "every record processed within maxReceiveCount deliveries");
        let results: Vec<(Batch, Duration, Vec<String>)> = futures::stream::iter(pending.into_iter().enumerate())
            .map(|(k, batch)| {
                let f = &instances[k % instances.len()];
                async move {
                    let event: Vec<(&str, &OnQueue)> = batch.iter().map(|(i, q)| (i.as_str(), q)).collect();
                    let t = Instant::now();
                    let resp = f.invoke_within(kith_event(&event), Duration::from_secs(120)).await.expect("handler answered");
                    (batch, t.elapsed(), failures(&resp))
                }
            })
            .buffer_unordered(instances.len())
            .collect()
            .await;
        pending = vec![];
        for (batch, took, failed) in results {
            latencies.push(took);
            failed_records += failed.len();
            let again: Batch = batch.into_iter().filter(|(i, _)| failed.contains(i)).collect();
            if !again.is_empty() {
                pending.push(again);
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    latencies.sort();

    let journal = store.journal(&id(CITIZEN)).await.unwrap();
    let journaled: HashSet<&str> = journal.iter().map(|e| e.message_id.as_str()).collect();
    let inbox = store.inbox(&service().department).await.unwrap();
    let out = drain(&Sqs::new(&sdk), stack.queue("ToHelsenorgeQueue")).await;
    let answered: HashSet<String> = out.iter().filter_map(kith::apprec_of).map(|a| a.answers_message_id).collect();
    let answer_ids: HashSet<&str> = out.iter().map(|o| o.id.as_str()).collect();
    // A duplicate: a second journal entry or inbox item, or a second answer id for a message.
    let duplicates = (journal.len() - journaled.len()) + inbox.len().saturating_sub(journaled.len()) + answer_ids.len().saturating_sub(answered.len());
    println!(
        "LOAD: {n} messages in ({} batches incl. {} redelivered, 2 instances): {:.1} messages/s, {failed_records} records failed and redelivered, \
         batch latency p50 {:.1} ms p99 {:.1} ms; journaled {}, inbox {}, AppRecs {} ({} distinct ids); lost {}, duplicates {duplicates}",
        latencies.len(),
        n.div_ceil(10).div_ceil(10),
        n as f64 / secs,
        quantile_ms(&latencies, 0.5),
        quantile_ms(&latencies, 0.99),
        journal.len(),
        inbox.len(),
        out.len(),
        answer_ids.len(),
        n - journaled.len(),
    );
    assert_eq!(journaled.len(), n, "nothing lost");
    assert_eq!(journal.len(), n, "journaled once each");
    assert_eq!(inbox.len(), n, "delivered once each");
    assert_eq!(answered.len(), n, "answered each");
    assert_eq!(answer_ids.len(), n, "one answer id per message");
    for f in instances {
        assert!(!f.logs().contains("panicked"), "no panic");
        f.stop().await;
    }
}
