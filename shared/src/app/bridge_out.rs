//! The bridge's sending side (issue 18): a KITH message from ToHelsenorgeQueue is signed with our
//! key, encrypted for the receiver and sent with the properties Helsenorge.Messaging sets
//! (`Amqp/AmqpCore.cs`, `SendAsync`); the SQS message is deleted only after the broker accepted
//! it (R-TR-8). Anything else keeps it: SQS shows it again after its visibility timeout, and its
//! redrive policy parks it on the dead-letter queue after `maxReceiveCount`.

use crate::domain::transport::{Queues, SIGNED_AND_ENVELOPED, TransportMessage, format_time};
use crate::error::{PortError, Retryable};
use crate::ports::Clock;
use crate::ports_transport::{AmqpSender, CollaborationProfiles, KeyUsage, MessageProtection, OutboundItem, OutboundSource};

/// Why an outbound message was kept on ToHelsenorgeQueue.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    /// It may go through later (broker or registry unreachable, released).
    #[error("sending is not possible now")]
    Transient(#[source] PortError),
    /// It cannot go as it is (no profile or certificate, refused by the broker, attributes
    /// missing): kept until the redrive policy parks it, an operator looks at it.
    #[error("the message cannot be sent: {0}")]
    Refused(String),
}

impl From<PortError> for OutboundError {
    fn from(e: PortError) -> Self {
        if e.is_retryable() { Self::Transient(e) } else { Self::Refused(e.to_string()) }
    }
}

/// What one pass over ToHelsenorgeQueue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PumpReport {
    /// Sent and deleted.
    pub sent: usize,
    /// Kept on the queue.
    pub kept: usize,
}

/// The sending use case, generic over its ports.
pub struct SendToHelsenorge<P, C, A, K> {
    /// Counterparts' profiles.
    pub profiles: P,
    /// CMS.
    pub protection: C,
    /// The AMQP sender.
    pub sender: A,
    /// Now.
    pub clock: K,
    /// Our queues: `reply-to` is our asynchronous queue.
    pub our_queues: Queues,
    /// `header.ttl` for asynchronous messages (the library's default: none).
    pub ttl_ms: Option<u32>,
}

impl<P, C, A, K> SendToHelsenorge<P, C, A, K>
where
    P: CollaborationProfiles,
    C: MessageProtection,
    A: AmqpSender,
    K: Clock,
{
    /// One pass: receive up to 10, send each, delete only those the broker accepted (R-TR-8).
    pub async fn pump(&self, source: &impl OutboundSource) -> Result<PumpReport, PortError> {
        let mut report = PumpReport::default();
        for item in source.receive().await? {
            match self.send(&item).await {
                Ok(()) => {
                    // A failed delete shows the message again: sent twice with the same message
                    // id, which the receiver deduplicates (R-IN-3 on Helsenorge's side).
                    source.delete(&item.receipt).await?;
                    report.sent += 1;
                }
                Err(error) => {
                    tracing::warn!(%error, message_id = item.attribute("messageId").unwrap_or("-"), "outbound message kept on the queue");
                    report.kept += 1;
                }
            }
        }
        Ok(report)
    }

    /// Signs, encrypts and sends one message; `Ok` only when the broker accepted it.
    pub async fn send(&self, item: &OutboundItem) -> Result<(), OutboundError> {
        let need = |name: &str| item.attribute(name).map(str::to_string).ok_or_else(|| OutboundError::Refused(format!("attribute {name} missing")));
        let her = |name: &str| need(name)?.parse::<u64>().map_err(|_| OutboundError::Refused(format!("attribute {name} is not a HER-id")));
        let (ours, theirs) = (her("fromHerId")?, her("toHerId")?);
        let (message_id, function) = (need("messageId")?, need("messageFunction")?);
        let cpa = item.attribute("cpaId");
        let profile = self
            .profiles
            .profile(ours, theirs, cpa)
            .await?
            .ok_or_else(|| OutboundError::Refused(format!("no collaboration profile for HER-id {theirs}")))?;
        let cert = profile.encryption.as_ref().ok_or_else(|| OutboundError::Refused(format!("no encryption certificate for HER-id {theirs}")))?;
        let problems = self.protection.check(cert, KeyUsage::KeyEncipherment, self.clock.now());
        if !problems.is_empty() {
            return Err(OutboundError::Refused(format!("encryption certificate of HER-id {theirs}: {problems:?}")));
        }
        let body = self.protection.protect(item.body.as_bytes(), cert).map_err(|e| OutboundError::Refused(e.to_string()))?;
        let mut m = TransportMessage {
            message_id: Some(message_id.clone()),
            to: Some(profile.queues.asynchronous.clone()),
            subject: Some(function),
            reply_to: Some(self.our_queues.asynchronous.clone()),
            correlation_id: Some(item.attribute("correlationId").map(str::to_string).unwrap_or(message_id)),
            content_type: Some(SIGNED_AND_ENVELOPED.to_string()),
            ttl_ms: self.ttl_ms,
            body,
            ..TransportMessage::default()
        };
        m.set_app("fromHerId", ours.to_string());
        m.set_app("toHerId", theirs.to_string());
        let now = self.clock.now();
        m.set_app("applicationTimeStamp", format_time(now));
        m.set_app("enqueuedTimeUtc", now.strftime("%Y-%m-%dT%H:%M:%S").to_string());
        if let Some(c) = profile.cpa_id.as_deref().or(cpa) {
            m.set_app("cpaId", c);
        }
        self.sender.send(&profile.queues.asynchronous, &m).await?;
        tracing::info!(to = theirs, "outbound message accepted by the broker");
        Ok(())
    }
}
