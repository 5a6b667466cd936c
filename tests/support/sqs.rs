//! Event helpers for the end-to-end tests: Lambda SQS events, batch failures, draining a queue,
//! API Gateway HTTP API events.

use serde_json::{Value, json};
use shared::domain::message::{OutMessage, Outgoing, WireMessage};

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

/// One record: SQS message id, body, string message attributes.
pub type AttributedRecord<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);

/// An SQS event whose records carry string message attributes (the bridge's transport
/// metadata for KITH messages).
pub fn sqs_event_with_attributes(records: &[AttributedRecord<'_>]) -> Value {
    let mut event = sqs_event(&records.iter().map(|(id, body, _)| (*id, body.clone())).collect::<Vec<_>>());
    for (r, (_, _, attrs)) in event["Records"].as_array_mut().into_iter().flatten().zip(records) {
        r["messageAttributes"] = attrs
            .iter()
            .map(|(k, v)| (k.to_string(), json!({"stringValue": v, "dataType": "String"})))
            .collect::<serde_json::Map<_, _>>()
            .into();
    }
    event
}

/// An SQS event of KITH messages as the bridge puts them on `InboundQueue`: one record per
/// (SQS message id, body with its transport attributes).
pub fn kith_event<'a>(records: &[(&'a str, &'a shared::fixtures::kith::OnQueue)]) -> Value {
    let records: Vec<AttributedRecord<'_>> = records.iter().map(|(id, q)| (*id, q.body.clone(), q.attrs())).collect();
    sqs_event_with_attributes(&records)
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
        let out = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .send()
            .await
            .expect("receive");
        let msgs = out.messages.unwrap_or_default();
        if msgs.is_empty() {
            return all;
        }
        for m in msgs {
            all.push(outgoing(&m));
            if let Some(h) = m.receipt_handle() {
                sqs.delete_message().queue_url(url).receipt_handle(h).send().await.expect("delete");
            }
        }
    }
}

/// A queued message as the outbox sent it: JSON as is, KITH XML as a wire message with its
/// message attributes (its `messageId` attribute as the id).
fn outgoing(m: &aws_sdk_sqs::types::Message) -> Outgoing {
    let body = m.body().unwrap_or("{}");
    if !body.starts_with('<') {
        return serde_json::from_str(body).expect("an Outgoing message");
    }
    let mut attributes: Vec<(String, String)> = m
        .message_attributes()
        .map(|a| a.iter().filter_map(|(k, v)| v.string_value().map(|s| (k.clone(), s.to_string()))).collect())
        .unwrap_or_default();
    attributes.sort();
    let id = attributes.iter().find(|(k, _)| k == "messageId").map(|(_, v)| v.clone()).unwrap_or_default();
    Outgoing::new(id, OutMessage::Wire(WireMessage { body: body.to_string(), attributes }))
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
