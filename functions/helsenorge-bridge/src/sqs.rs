//! The bridge's SQS side: InboundQueue (send one message, its transport metadata as string
//! attributes, as `app::kith_inbound::Transport` reads them) and ToHelsenorgeQueue (long poll,
//! delete after the broker accepted, R-TR-8).

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::MessageAttributeValue;
use shared::adapters::aws::classify;
use shared::error::PortError;
use shared::ports_transport::{InboundItem, InboundSink, OutboundItem, OutboundSource};

/// InboundQueue.
#[derive(Debug, Clone)]
pub struct SqsInbound {
    client: Client,
    url: String,
}

impl SqsInbound {
    /// The queue at `url`.
    pub fn new(client: Client, url: impl Into<String>) -> Self {
        Self { client, url: url.into() }
    }
}

impl InboundSink for SqsInbound {
    /// SendMessage; `Ok` once SQS has stored it (R-TR-2).
    async fn enqueue(&self, item: &InboundItem) -> Result<(), PortError> {
        let mut send = self.client.send_message().queue_url(&self.url).message_body(&item.body);
        for (name, value) in &item.attributes {
            let v = MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
                .map_err(|e| PortError::permanent("build message attribute", e))?;
            send = send.message_attributes(name, v);
        }
        send.send().await.map_err(|e| classify("enqueue on InboundQueue", e))?;
        Ok(())
    }
}

/// ToHelsenorgeQueue.
#[derive(Debug, Clone)]
pub struct SqsOutboundSource {
    client: Client,
    url: String,
    wait_seconds: i32,
}

impl SqsOutboundSource {
    /// The queue at `url`, long-polled for `wait_seconds` (0–20).
    pub fn new(client: Client, url: impl Into<String>, wait_seconds: i32) -> Self {
        Self { client, url: url.into(), wait_seconds: wait_seconds.clamp(0, 20) }
    }
}

impl OutboundSource for SqsOutboundSource {
    async fn receive(&self) -> Result<Vec<OutboundItem>, PortError> {
        let out = self
            .client
            .receive_message()
            .queue_url(&self.url)
            .max_number_of_messages(10)
            .wait_time_seconds(self.wait_seconds)
            .message_attribute_names("All")
            .send()
            .await
            .map_err(|e| classify("receive from ToHelsenorgeQueue", e))?;
        Ok(out
            .messages
            .unwrap_or_default()
            .into_iter()
            .filter_map(|m| {
                let attributes = m
                    .message_attributes
                    .unwrap_or_default()
                    .into_iter()
                    .filter_map(|(k, v)| v.string_value.map(|s| (k, s)))
                    .collect();
                Some(OutboundItem { receipt: m.receipt_handle?, body: m.body.unwrap_or_default(), attributes })
            })
            .collect())
    }

    async fn delete(&self, receipt: &str) -> Result<(), PortError> {
        self.client
            .delete_message()
            .queue_url(&self.url)
            .receipt_handle(receipt)
            .send()
            .await
            .map_err(|e| classify("delete from ToHelsenorgeQueue", e))?;
        Ok(())
    }
}
