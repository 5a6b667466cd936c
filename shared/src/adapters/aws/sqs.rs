//! SQS adapters: the outbox toward Helsenorge and the EPJ (SendMessageBatch within SQS's
//! limits: 10 messages and 256 KiB a call).

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use super::classify;
use crate::domain::message::{Destination, Outgoing};
use crate::error::PortError;
use crate::ports::HelsenorgeOutbox;

/// A body and its string message attributes.
type BodyAndAttributes<'a> = (String, &'a [(String, String)]);

/// What goes into one SQS message: a JSON value, or a rendered wire message (KITH XML) whose
/// transport metadata become message attributes.
trait SqsBody {
    fn body_and_attributes(&self) -> Result<BodyAndAttributes<'_>, serde_json::Error>;
}

impl<T: serde::Serialize> SqsBody for T {
    fn body_and_attributes(&self) -> Result<BodyAndAttributes<'_>, serde_json::Error> {
        Ok((serde_json::to_string(self)?, &[]))
    }
}

/// An outgoing message: a [`crate::domain::message::WireMessage`] as is, anything else as JSON.
struct OutBody<'a>(&'a Outgoing);

impl OutBody<'_> {
    fn body_and_attributes(&self) -> Result<BodyAndAttributes<'_>, serde_json::Error> {
        match &self.0.message {
            crate::domain::message::OutMessage::Wire(w) => Ok((w.body.clone(), &w.attributes)),
            _ => Ok((serde_json::to_string(self.0)?, &[])),
        }
    }
}

/// The most entries one SendMessageBatch takes.
const MAX_BATCH_ENTRIES: usize = 10;
/// The most bytes (bodies and attributes) one SendMessageBatch takes: SQS refuses a larger
/// batch whole (`BatchRequestTooLong`). 256 KiB, the limit of a queue left at the old default
/// maximum message size (1 MiB is the most any queue takes).
const MAX_BATCH_BYTES: usize = 256 * 1024;

/// The size SQS counts for a message: its body, and its attributes' names, types and values.
fn sqs_size((body, attributes): &BodyAndAttributes<'_>) -> usize {
    body.len() + attributes.iter().map(|(k, v)| k.len() + "String".len() + v.len()).sum::<usize>()
}

/// Splits messages of these sizes into batches within SQS's limits, in order; a message over
/// the byte limit goes alone (SQS answers for it).
fn batches(sizes: &[usize]) -> Vec<std::ops::Range<usize>> {
    let (mut out, mut start, mut bytes) = (vec![], 0, 0);
    for (i, size) in sizes.iter().enumerate() {
        if i > start && (i - start == MAX_BATCH_ENTRIES || bytes + size > MAX_BATCH_BYTES) {
            out.push(start..i);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < sizes.len() {
        out.push(start..sizes.len());
    }
    out
}

/// SendMessageBatch of `bodies` in as few calls as SQS's limits allow; returns the positions
/// SQS did not accept. Entry ids are positions, so any message id may be carried.
async fn send_all(client: &Client, url: &str, bodies: Vec<BodyAndAttributes<'_>>, what: &'static str) -> Result<Vec<usize>, PortError> {
    let sizes: Vec<usize> = bodies.iter().map(sqs_size).collect();
    let mut failed = vec![];
    let mut bodies = bodies.into_iter().enumerate();
    for range in batches(&sizes) {
        let entries = bodies.by_ref().take(range.len()).map(|(i, b)| entry(i, b)).collect::<Result<Vec<_>, _>>()?;
        failed.extend(send_entries(client, url, entries, what).await?);
    }
    Ok(failed)
}

/// [`send_all`] of serialized items.
async fn send_batch<T: SqsBody>(client: &Client, url: &str, items: &[T], what: &'static str) -> Result<Vec<usize>, PortError> {
    let bodies = items
        .iter()
        .map(|item| item.body_and_attributes().map_err(|e| PortError::permanent(what, e)))
        .collect::<Result<Vec<_>, _>>()?;
    send_all(client, url, bodies, what).await
}

fn entry(i: usize, (body, attributes): BodyAndAttributes<'_>) -> Result<SendMessageBatchRequestEntry, PortError> {
    let mut b = SendMessageBatchRequestEntry::builder().id(i.to_string()).message_body(body);
    for (name, value) in attributes {
        let v = aws_sdk_sqs::types::MessageAttributeValue::builder()
            .data_type("String")
            .string_value(value)
            .build()
            .map_err(|e| PortError::permanent("build message attribute", e))?;
        b = b.message_attributes(name, v);
    }
    b.build().map_err(|e| PortError::permanent("build batch entry", e))
}

async fn send_entries(client: &Client, url: &str, entries: Vec<SendMessageBatchRequestEntry>, what: &'static str) -> Result<Vec<usize>, PortError> {
    let out = client
        .send_message_batch()
        .queue_url(url)
        .set_entries(Some(entries))
        .send()
        .await
        .map_err(|e| classify(what, e))?;
    Ok(out.failed.iter().filter_map(|f| f.id.parse().ok()).collect())
}

/// The ToHelsenorge queue, and the EpjResults queue for functions that answer the EPJ.
#[derive(Debug, Clone)]
pub struct SqsOutbox {
    client: Client,
    helsenorge_url: String,
    epj_url: Option<String>,
}

impl SqsOutbox {
    /// An outbox toward Helsenorge only.
    pub fn new(client: Client, helsenorge_url: impl Into<String>) -> Self {
        Self { client, helsenorge_url: helsenorge_url.into(), epj_url: None }
    }

    /// Also sends results to the EPJ on `epj_url`.
    pub fn with_epj(mut self, epj_url: impl Into<String>) -> Self {
        self.epj_url = Some(epj_url.into());
        self
    }

    async fn send_to(&self, url: &str, messages: &[&Outgoing], failed: &mut Vec<String>) -> Result<(), PortError> {
        let out: Vec<OutBody<'_>> = messages.iter().map(|m| OutBody(m)).collect();
        let bodies = out
            .iter()
            .map(|b| b.body_and_attributes().map_err(|e| PortError::permanent("encode message", e)))
            .collect::<Result<Vec<_>, _>>()?;
        for i in send_all(&self.client, url, bodies, "send message batch").await? {
            if let Some(m) = messages.get(i) {
                failed.push(m.id.clone());
            }
        }
        Ok(())
    }
}

impl HelsenorgeOutbox for SqsOutbox {
    /// SendMessageBatch within SQS's limits per destination queue; entry ids are positions,
    /// mapped back to the messages' ids for the failures.
    async fn send(&self, messages: &[Outgoing]) -> Result<Vec<String>, PortError> {
        let mut failed = vec![];
        let (to_hn, to_epj): (Vec<&Outgoing>, Vec<&Outgoing>) =
            messages.iter().partition(|m| m.message.destination() == Destination::Helsenorge);
        self.send_to(&self.helsenorge_url, &to_hn, &mut failed).await?;
        if !to_epj.is_empty() {
            let url = self
                .epj_url
                .as_deref()
                .ok_or_else(|| PortError::permanent("send to the EPJ", "no EPJ results queue configured"))?;
            self.send_to(url, &to_epj, &mut failed).await?;
        }
        Ok(failed)
    }
}

/// The consent sync's work queue.
#[derive(Debug, Clone)]
pub struct SqsChunkQueue {
    client: Client,
    url: String,
}

impl SqsChunkQueue {
    /// The work queue at `url`.
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self { client, url: url.into() }
    }
}

impl crate::ports::ChunkQueue for SqsChunkQueue {
    /// SendMessageBatch within SQS's limits (a chunk of 1000 ids is about 14 KB).
    async fn send(&self, work: &[crate::domain::sync::SyncWork]) -> Result<(), PortError> {
        let failed = send_batch(&self.client, &self.url, work, "send sync chunks").await?;
        if !failed.is_empty() {
            return Err(PortError::transient("send sync chunks", format!("{} chunks not accepted", failed.len())));
        }
        Ok(())
    }
}

/// The alerts queue (R-DLQ-3..5, sync failures).
#[derive(Debug, Clone)]
pub struct SqsAlerts {
    client: Client,
    url: String,
}

impl SqsAlerts {
    /// Alerts go to `url`.
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self { client, url: url.into() }
    }
}

impl crate::ports::AlertSink for SqsAlerts {
    async fn send(&self, alert: &crate::domain::dead_letter::Alert) -> Result<(), PortError> {
        let body = serde_json::to_string(alert).map_err(|e| PortError::permanent("encode alert", e))?;
        self.client
            .send_message()
            .queue_url(&self.url)
            .message_body(body)
            .send()
            .await
            .map_err(|e| classify("send alert", e))?;
        Ok(())
    }
}

/// Moving messages between dead-letter, source and parked queues.
#[derive(Debug, Clone)]
pub struct SqsRequeue {
    client: Client,
}

impl SqsRequeue {
    /// Over `client`.
    pub fn new(client: Client) -> Self {
        Self { client }
    }
}

const REPUBLISH_COUNT: &str = "republish-count";
const SOURCE_QUEUE: &str = "source-queue";

impl crate::ports::Requeue for SqsRequeue {
    async fn receive(&self, queue_url: &str) -> Result<Vec<crate::ports::QueuedMessage>, PortError> {
        let out = self
            .client
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .message_attribute_names("All")
            .wait_time_seconds(0)
            .send()
            .await
            .map_err(|e| classify("receive dead letters", e))?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                let attrs = m.message_attributes.unwrap_or_default();
                let republished =
                    attrs.get(REPUBLISH_COUNT).and_then(|a| a.string_value()).and_then(|v| v.parse().ok()).unwrap_or(0);
                let source_queue = attrs.get(SOURCE_QUEUE).and_then(|a| a.string_value()).map(str::to_string);
                Some(crate::ports::QueuedMessage {
                    message_id: m.message_id?,
                    receipt_handle: m.receipt_handle?,
                    body: m.body.unwrap_or_default(),
                    republished,
                    source_queue,
                })
            })
            .collect())
    }

    async fn send(&self, queue_url: &str, body: &str, republished: u32, source_queue: &str, delay_secs: u32) -> Result<String, PortError> {
        let attr = |v: String, t: &str| {
            aws_sdk_sqs::types::MessageAttributeValue::builder()
                .data_type(t)
                .string_value(v)
                .build()
                .map_err(|e| PortError::permanent("build message attribute", e))
        };
        let out = self
            .client
            .send_message()
            .queue_url(queue_url)
            .message_body(body)
            .delay_seconds(delay_secs.min(900) as i32)
            .message_attributes(REPUBLISH_COUNT, attr(republished.to_string(), "Number")?)
            .message_attributes(SOURCE_QUEUE, attr(source_queue.to_string(), "String")?)
            .send()
            .await
            .map_err(|e| classify("republish", e))?;
        out.message_id.ok_or_else(|| PortError::transient("republish", "no message id returned"))
    }

    async fn delete(&self, queue_url: &str, receipt_handle: &str) -> Result<(), PortError> {
        self.client
            .delete_message()
            .queue_url(queue_url)
            .receipt_handle(receipt_handle)
            .send()
            .await
            .map_err(|e| classify("delete dead letter", e))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_BATCH_BYTES, batches};

    #[test]
    fn batches_keep_within_ten_messages_and_the_byte_limit() {
        assert_eq!(batches(&[10; 23]), vec![0..10, 10..20, 20..23]);
        let third = MAX_BATCH_BYTES / 3;
        assert_eq!(batches(&[third, third, third, 2, third]), vec![0..3, 3..5]);
        assert_eq!(batches(&[MAX_BATCH_BYTES + 1, 5, MAX_BATCH_BYTES]), vec![0..1, 1..2, 2..3], "an oversized message goes alone");
        assert!(batches(&[]).is_empty());
    }
}
