//! SQS helpers for the end-to-end tests: Lambda SQS events, batch failures, draining a queue.

use serde_json::{Value, json};
use shared::domain::message::Outgoing;

/// An SQS event as Lambda delivers it, one record per (SQS message id, body).
pub fn sqs_event(records: &[(&str, String)]) -> Value {
    let records: Vec<Value> = records
        .iter()
        .map(|(id, body)| {
            json!({
                "messageId": id, "receiptHandle": "rh", "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {}, "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:eu-north-1:123456789012:queue", "awsRegion": "eu-north-1"
            })
        })
        .collect();
    json!({ "Records": records })
}

/// The SQS ids a partial batch response names.
pub fn failures(response: &Value) -> Vec<String> {
    response["batchItemFailures"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["itemIdentifier"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// Everything on a queue of outgoing messages, received and deleted.
pub async fn drain(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<Outgoing> {
    let mut all = vec![];
    loop {
        let out = sqs.receive_message().queue_url(url).max_number_of_messages(10).send().await.expect("receive");
        let msgs = out.messages.unwrap_or_default();
        if msgs.is_empty() {
            return all;
        }
        for m in msgs {
            all.push(serde_json::from_str(m.body().unwrap_or("{}")).expect("an Outgoing message"));
            if let Some(h) = m.receipt_handle() {
                sqs.delete_message().queue_url(url).receipt_handle(h).send().await.expect("delete");
            }
        }
    }
}
