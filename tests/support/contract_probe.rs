//! What the contract suites read back beside the ports, on the local stack: the raw items and
//! queued messages an adapter wrote (the time it stamped, an alert's history, the queues'
//! contents). Test-only: production code never reads these.

use jiff::Timestamp;
use shared::domain::dead_letter::Alert;
use shared::domain::sync::SyncWork;

use crate::LocalStack;

fn s(v: &str) -> aws_sdk_dynamodb::types::AttributeValue {
    aws_sdk_dynamodb::types::AttributeValue::S(v.into())
}

/// The time a sync chunk's marker was written with (its `finishedAt`), if it exists.
pub async fn chunk_marked_at(db: &aws_sdk_dynamodb::Client, stack: &LocalStack, run_id: &str, chunk: u32) -> Option<Timestamp> {
    let out = db
        .get_item()
        .table_name(stack.table("OperationsTable"))
        .key("pk", s(&format!("SYNC#{run_id}")))
        .key("sk", s(&format!("CHUNK#{chunk:06}")))
        .consistent_read(true)
        .send()
        .await
        .expect("get chunk marker");
    let item = out.item?;
    let at: Timestamp = item.get("finishedAt")?.as_s().ok()?.parse().ok()?;
    let expires: i64 = item.get("expires_at")?.as_n().ok()?.parse().ok()?;
    assert_eq!(expires, at.as_second() + 90 * 86_400, "the expiry follows the marker's time");
    Some(at)
}

/// The alert history kept in the Operations table for an Oslo date (`ALERTS#<date>`).
pub async fn alert_history(db: &aws_sdk_dynamodb::Client, stack: &LocalStack, day: &str) -> Vec<Alert> {
    let out = db
        .query()
        .table_name(stack.table("OperationsTable"))
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", s(&format!("ALERTS#{day}")))
        .consistent_read(true)
        .send()
        .await
        .expect("query alerts");
    out.items()
        .iter()
        .map(|i| serde_json::from_str(i.get("alert").and_then(|a| a.as_s().ok()).expect("alert attribute")).expect("an alert"))
        .collect()
}

/// Every body on a queue, received and deleted.
pub async fn queued_bodies(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<String> {
    let mut all = vec![];
    loop {
        let out = sqs.receive_message().queue_url(url).max_number_of_messages(10).send().await.expect("receive");
        let msgs = out.messages.unwrap_or_default();
        if msgs.is_empty() {
            return all;
        }
        for m in msgs {
            all.push(m.body().unwrap_or_default().to_string());
            if let Some(h) = m.receipt_handle() {
                sqs.delete_message().queue_url(url).receipt_handle(h).send().await.expect("delete");
            }
        }
    }
}

/// The alerts on the alerts queue dated `day` (Oslo), received and deleted.
pub async fn queued_alerts(sqs: &aws_sdk_sqs::Client, url: &str, day: &str) -> Vec<Alert> {
    queued_bodies(sqs, url)
        .await
        .iter()
        .map(|b| serde_json::from_str::<Alert>(b).expect("an alert"))
        .filter(|a| shared::domain::sync::run_id_for(a.at()) == day)
        .collect()
}

/// The work items on the sync work queue, received and deleted.
pub async fn queued_work(sqs: &aws_sdk_sqs::Client, url: &str) -> Vec<SyncWork> {
    queued_bodies(sqs, url).await.iter().map(|b| serde_json::from_str(b).expect("a work item")).collect()
}
