//! SQS adapters: the outbox toward Helsenorge and the EPJ (SendMessageBatch, 10 a call).

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use super::classify;
use crate::domain::message::{Destination, Outgoing};
use crate::error::PortError;
use crate::ports::HelsenorgeOutbox;

/// SendMessageBatch of `bodies` (at most 10, each a JSON value); returns the positions SQS
/// did not accept. Entry ids are positions, so any message id may be carried.
async fn send_batch<T: serde::Serialize>(client: &Client, url: &str, items: &[T], what: &'static str) -> Result<Vec<usize>, PortError> {
    let mut entries = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let body = serde_json::to_string(item).map_err(|e| PortError::permanent(what, e))?;
        entries.push(
            SendMessageBatchRequestEntry::builder()
                .id(i.to_string())
                .message_body(body)
                .build()
                .map_err(|e| PortError::permanent("build batch entry", e))?,
        );
    }
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
        for chunk in messages.chunks(10) {
            for i in send_batch(&self.client, url, chunk, "send message batch").await? {
                if let Some(m) = chunk.get(i) {
                    failed.push(m.id.clone());
                }
            }
        }
        Ok(())
    }
}

impl HelsenorgeOutbox for SqsOutbox {
    /// SendMessageBatch in chunks of 10 per destination queue; entry ids are positions, mapped
    /// back to the messages' ids for the failures.
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
    /// SendMessageBatch, 5 work items (a chunk: at most 1000 ids) a call (well under SQS's 1 MiB).
    async fn send(&self, work: &[crate::domain::sync::SyncWork]) -> Result<(), PortError> {
        for batch in work.chunks(5) {
            let failed = send_batch(&self.client, &self.url, batch, "send sync chunks").await?;
            if !failed.is_empty() {
                return Err(PortError::transient("send sync chunks", format!("{} chunks not accepted", failed.len())));
            }
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
