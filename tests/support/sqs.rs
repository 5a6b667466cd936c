//! Event helpers for the end-to-end tests: Lambda SQS events, batch failures, draining a queue,
//! API Gateway HTTP API events.

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

/// An API Gateway HTTP API (payload 2.0) POST event with a raw body.
pub fn http_event(path: &str, body: &str) -> Value {
    json!({
        "version": "2.0",
        "routeKey": format!("POST {path}"),
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"content-type": "application/json"},
        "requestContext": {
            "accountId": "123456789012", "apiId": "local", "domainName": "local", "domainPrefix": "local",
            "http": {"method": "POST", "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "epj"},
            "requestId": "r1", "routeKey": format!("POST {path}"), "stage": "$default",
            "time": "23/Nov/2026:10:00:00 +0000", "timeEpoch": 1795430000000i64
        },
        "body": body,
        "isBase64Encoded": false
    })
}
