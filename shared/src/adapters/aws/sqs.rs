//! SQS adapters: the outbox toward Helsenorge (SendMessageBatch, 10 a call).

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;

use super::classify;
use crate::domain::message::Outgoing;
use crate::error::PortError;
use crate::ports::HelsenorgeOutbox;

/// The ToHelsenorge queue.
#[derive(Debug, Clone)]
pub struct SqsOutbox {
    client: Client,
    queue_url: String,
}

impl SqsOutbox {
    /// An outbox on `queue_url`.
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self { client, queue_url: queue_url.into() }
    }
}

impl HelsenorgeOutbox for SqsOutbox {
    /// SendMessageBatch in chunks of 10; entry ids are positions, mapped back to message ids.
    async fn send(&self, messages: &[Outgoing]) -> Result<Vec<String>, PortError> {
        let mut failed = vec![];
        for chunk in messages.chunks(10) {
            let mut entries = Vec::with_capacity(chunk.len());
            for (i, m) in chunk.iter().enumerate() {
                let body = serde_json::to_string(m).map_err(|e| PortError::permanent("encode outgoing", e))?;
                entries.push(
                    SendMessageBatchRequestEntry::builder()
                        .id(i.to_string())
                        .message_body(body)
                        .build()
                        .map_err(|e| PortError::permanent("build batch entry", e))?,
                );
            }
            let out = self
                .client
                .send_message_batch()
                .queue_url(&self.queue_url)
                .set_entries(Some(entries))
                .send()
                .await
                .map_err(|e| classify("send toward Helsenorge", e))?;
            for f in out.failed {
                if let Some(m) = f.id.parse::<usize>().ok().and_then(|i| chunk.get(i)) {
                    failed.push(m.id.clone());
                }
            }
        }
        Ok(failed)
    }
}
