//! Dead letters end to end on moto (R-DLQ-1..5): inbound-message fails a message (a fault
//! injected by pointing it at a missing citizens table), moto's redrive moves it to the
//! dead-letter queue after 5 receives, dlq-republisher republishes it (10 times) and parks it,
//! summary-alert lists it. A second message whose fault clears after 3 republishes is processed
//! exactly once. Count in = processed + parked.

use std::collections::BTreeMap;

use aws_sdk_sqs::Client as Sqs;
use aws_sdk_sqs::types::{MessageAttributeValue, MessageSystemAttributeName};
use e2e::sqs::failures;
use e2e::stack::sdk_config;
use e2e::{LocalLambda, LocalStack};
use serde_json::{Value, json};
use shared::adapters::aws::dynamo::Dynamo;
use shared::domain::dead_letter::Alert;
use shared::fixtures::kith::{self, OnQueue};
use shared::fixtures::{self, CITIZEN, consented_citizen, service};
use shared::ports::Inspect;

struct Env {
    stack: LocalStack,
    sqs: Sqs,
    store: Dynamo,
    republisher: LocalLambda,
}

async fn env(name: &str) -> Env {
    let stack = LocalStack::provision(name);
    let sdk = sdk_config().await;
    let store = Dynamo::new(aws_sdk_dynamodb::Client::new(&sdk), stack.tables());
    store.put_citizen(&consented_citizen(CITIZEN, &service())).await.unwrap();
    fixtures::seed_usable_activation(&store, &service()).await.unwrap();
    store.put_her(&fixtures::her_entry()).await.unwrap();
    let mut env = stack.function_env("DlqRepublisherFunction");
    env.insert("REPUBLISH_BASE_DELAY_SECS".into(), "0".into());
    let republisher = LocalLambda::start("dlq-republisher", &env).await;
    Env { sqs: Sqs::new(&sdk), store, republisher, stack }
}

fn inbound_env(e: &Env, faulty: bool) -> BTreeMap<String, String> {
    let mut env = e.stack.function_env("InboundMessageFunction");
    if faulty {
        // Injected fault: every gate read fails (ResourceNotFound on the citizens table).
        env.insert("CITIZENS_TABLE".into(), format!("{}MissingTable", e.stack.prefix));
    }
    env
}

/// Puts a KITH message on the inbound queue as the bridge does: the XML body with its
/// transport attributes.
async fn send_kith(e: &Env, q: &OnQueue) {
    let mut send = e.sqs.send_message().queue_url(e.stack.queue("InboundQueue")).message_body(&q.body);
    for (k, v) in &q.attributes {
        let value = MessageAttributeValue::builder().data_type("String").string_value(v).build().unwrap();
        send = send.message_attributes(k, value);
    }
    send.send().await.unwrap();
}

/// Receives from the inbound queue and hands each message to the function as Lambda's event
/// source would; a failed one becomes visible again at once (moto's redrive moves it to the
/// dead-letter queue after 5 receives). Returns how many were processed.
async fn pump(e: &Env, inbound: &LocalLambda) -> u32 {
    let url = e.stack.queue("InboundQueue");
    let mut processed = 0;
    for _ in 0..20 {
        let out = e
            .sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .message_system_attribute_names(MessageSystemAttributeName::ApproximateReceiveCount)
            .message_attribute_names("All")
            .send()
            .await
            .unwrap();
        let msgs = out.messages.unwrap_or_default();
        if msgs.is_empty() {
            break;
        }
        for m in msgs {
            let count = m
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .cloned()
                .unwrap_or_else(|| "1".into());
            // The transport attributes as the event source passes them (a republished message has none).
            let attributes: serde_json::Map<String, Value> = m
                .message_attributes()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), json!({"stringValue": v.string_value(), "dataType": v.data_type()})))
                .collect();
            let event = json!({"Records": [{
                "messageId": m.message_id().unwrap(), "receiptHandle": m.receipt_handle().unwrap(),
                "body": m.body().unwrap(), "attributes": {"ApproximateReceiveCount": count},
                "messageAttributes": attributes, "eventSource": "aws:sqs", "awsRegion": "eu-north-1",
                "eventSourceARN": "arn:aws:sqs:eu-north-1:123456789012:InboundQueue"
            }]});
            let resp = inbound.invoke(event).await.expect("handler ran");
            if failures(&resp).is_empty() {
                e.sqs.delete_message().queue_url(url).receipt_handle(m.receipt_handle().unwrap()).send().await.unwrap();
                processed += 1;
            }
        }
    }
    processed
}

async fn alerts(e: &Env) -> Vec<Alert> {
    let url = e.stack.queue("AlertsQueue");
    let mut all = vec![];
    loop {
        let out = e.sqs.receive_message().queue_url(url).max_number_of_messages(10).send().await.unwrap();
        let msgs = out.messages.unwrap_or_default();
        if msgs.is_empty() {
            return all;
        }
        for m in msgs {
            all.push(serde_json::from_str(m.body().unwrap()).unwrap());
            e.sqs.delete_message().queue_url(url).receipt_handle(m.receipt_handle().unwrap()).send().await.unwrap();
        }
    }
}

async fn queue_depth(e: &Env, logical: &str) -> usize {
    let out = e
        .sqs
        .get_queue_attributes()
        .queue_url(e.stack.queue(logical))
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    out.attributes
        .unwrap_or_default()
        .get(&aws_sdk_sqs::types::QueueAttributeName::ApproximateNumberOfMessages)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

#[tokio::test]
async fn r_dlq_2_a_message_that_always_fails_is_republished_10_times_parked_and_summarized() {
    let e = env("always").await;
    let inbound = LocalLambda::start("inbound-message", &inbound_env(&e, true)).await;
    let message = kith::ekontakt("hn-always-fails", CITIZEN, &service());
    send_kith(&e, &message).await;
    let body = &message.body;

    let mut processed = 0;
    for _ in 0..12 {
        processed += pump(&e, &inbound).await;
        let r = e.republisher.invoke(json!({"action": "republish"})).await.expect("republisher ran");
        assert!(r["republished"].is_u64(), "{r}");
    }
    assert_eq!(processed, 0);
    let a = alerts(&e).await;
    let attempts: Vec<u32> =
        a.iter().filter_map(|x| if let Alert::Republished { attempt, .. } = x { Some(*attempt) } else { None }).collect();
    assert_eq!(attempts, (1..=10).collect::<Vec<_>>(), "republished exactly 10 times");
    let back: Vec<Option<String>> = a
        .iter()
        .filter_map(|x| if let Alert::BackOnDeadLetterQueue { error, .. } = x { Some(error.clone()) } else { None })
        .collect();
    assert_eq!(back.len(), 10, "a BackOnDeadLetterQueue alert each time it came back");
    assert!(back.iter().all(|err| err.as_deref().is_some_and(|t| t.contains("failed"))), "with the error: {back:?}");
    assert_eq!(a.iter().filter(|x| matches!(x, Alert::Parked { .. })).count(), 1);
    let listed = e.republisher.invoke(json!({"action": "list-parked"})).await.unwrap();
    assert_eq!(listed["parked"].as_array().map(Vec::len), Some(1), "parked: count in = processed (0) + parked (1)");
    assert_eq!(queue_depth(&e, "InboundQueue").await + queue_depth(&e, "InboundDeadLetterQueue").await, 0);

    let mut s_env = e.stack.function_env("SummaryAlertFunction");
    s_env.insert("SUMMARY_ALL_CLEAR".into(), "false".into());
    let summary = LocalLambda::start("summary-alert", &s_env).await;
    let out = summary.invoke(json!({"action": "summary"})).await.expect("summary ran");
    assert_eq!(out["summary"]["total"], 1, "{out}");
    assert_eq!(out["summary"]["lines"][0]["sourceQueue"], e.stack.env["InboundMessageFunction"]["INBOUND_QUEUE_NAME"]);
    assert_eq!(out["summary"]["lines"][0]["kind"], "DIALOG_INNBYGGER_EKONTAKT");
    let summaries = alerts(&e).await;
    assert!(matches!(summaries.as_slice(), [Alert::Summary { total: 1, .. }]));
    let text = serde_json::to_string(&a).unwrap();
    assert!(!text.contains(CITIZEN), "alerts carry no national id");

    // One id everywhere: the parked alert names the id that list-parked shows and send-back takes.
    let parked_id = listed["parked"][0]["messageId"].as_str().unwrap().to_string();
    assert!(a.iter().any(|x| matches!(x, Alert::Parked { message_id, .. } if *message_id == parked_id)));
    let inspected = e.republisher.invoke(json!({"action": "inspect", "messageId": parked_id})).await.unwrap();
    assert_eq!(inspected["bodyBytes"], body.len(), "the body is kept durably: {inspected}");
    assert!(!inspected.to_string().contains(CITIZEN), "inspect shows no body");
    // An unknown id is "not found" at once, and hides nothing: the right id works right after.
    let unknown = e.republisher.invoke(json!({"action": "send-back", "messageId": "no-such-id"})).await;
    assert!(unknown.is_err_and(|err| err.to_string().contains("no parked message")), "an unknown id is not found");
    // Support fixes the fault and sends it back by hand: processed once.
    inbound.stop().await;
    let fixed = LocalLambda::start("inbound-message", &inbound_env(&e, false)).await;
    let sent: Value = e.republisher.invoke(json!({"action": "send-back", "messageId": parked_id})).await.unwrap();
    assert_eq!(sent["sentBack"], true);
    let listed = e.republisher.invoke(json!({"action": "list-parked"})).await.unwrap();
    assert_eq!(listed["parked"], json!([]), "no longer parked");
    assert_eq!(pump(&e, &fixed).await, 1);
    assert_eq!(e.store.journal(&fixtures::id(CITIZEN)).await.unwrap().len(), 1);
    summary.stop().await;
    fixed.stop().await;
    e.republisher.stop().await;
}

#[tokio::test]
async fn r_dlq_1_a_message_whose_fault_clears_after_3_republishes_is_processed_exactly_once() {
    let e = env("clears").await;
    let mut inbound = LocalLambda::start("inbound-message", &inbound_env(&e, true)).await;
    send_kith(&e, &kith::ekontakt("hn-clears", CITIZEN, &service())).await;
    let mut processed = 0;
    for round in 0..8 {
        if round == 3 {
            // After the third republish the fault clears.
            inbound.stop().await;
            inbound = LocalLambda::start("inbound-message", &inbound_env(&e, false)).await;
        }
        processed += pump(&e, &inbound).await;
        e.republisher.invoke(json!({"action": "republish"})).await.unwrap();
    }
    assert_eq!(processed, 1, "processed exactly once");
    assert_eq!(e.store.journal(&fixtures::id(CITIZEN)).await.unwrap().len(), 1);
    let listed = e.republisher.invoke(json!({"action": "list-parked"})).await.unwrap();
    assert_eq!(listed["parked"], json!([]), "nothing parked");
    // Anything but a known action is refused, never taken for "republish".
    for bad in [json!({"action": 30108299920_u64}), json!([1, 2, 3]), json!({}), json!({"action": "republish", "x": 1})] {
        let refused = e.republisher.invoke(bad).await;
        assert!(refused.as_ref().is_err_and(|err| !err.to_string().contains("30108299920")), "refused without echoing the value: {refused:?}");
    }
    let republished = alerts(&e).await.iter().filter(|a| matches!(a, Alert::Republished { .. })).count();
    assert_eq!(republished, 3);
    inbound.stop().await;
    e.republisher.stop().await;
}
