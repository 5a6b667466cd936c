//! The claim check around the queues (`domain::claim_check`, issue 18): [`ClaimCheckOutbox`]
//! puts a rendered message larger than the threshold into the body store and hands the queue
//! only its reference (the `claimCheck` attribute); [`ClaimedSource`] gives the bridge both
//! forms back as the whole body. Generic over the ports, so the same code runs on S3 and in
//! memory. R-OUT-4: replies with attachments up to 12 MB, SQS carries 1 MiB.

use crate::domain::claim_check::{CLAIM_ATTRIBUTE, CLAIMED_BODY, ClaimRef, by_reference, object_key};
use crate::domain::message::{OutMessage, Outgoing, WireMessage};
use crate::error::PortError;
use crate::ports::HelsenorgeOutbox;
use crate::ports::bodies::BodyStore;
use crate::ports_transport::{OutboundItem, OutboundSource};

/// The key prefix of bodies toward Helsenorge (the functions write, the bridge reads).
pub const TO_HELSENORGE: &str = "to-helsenorge";

/// The claim check's configuration: `BODY_BUCKET` (template.yaml `BodyBucket`; unset = no
/// store, a body above the threshold then fails permanently) and
/// `CLAIM_CHECK_THRESHOLD_BYTES` (default [`crate::domain::claim_check::DEFAULT_THRESHOLD`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimSettings {
    /// The bucket.
    pub bucket: Option<String>,
    /// Bodies above this many bytes go by reference.
    pub threshold: usize,
}

impl ClaimSettings {
    /// From the process environment.
    pub fn from_env() -> Result<Self, PortError> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// From any lookup.
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, PortError> {
        let threshold = match var("CLAIM_CHECK_THRESHOLD_BYTES") {
            None => crate::domain::claim_check::DEFAULT_THRESHOLD,
            Some(v) => v.parse().map_err(|_| PortError::permanent("configuration", "CLAIM_CHECK_THRESHOLD_BYTES must be a number"))?,
        };
        Ok(Self { bucket: var("BODY_BUCKET"), threshold })
    }
}

/// No body store configured: nothing can go by reference.
impl<B: BodyStore> BodyStore for Option<B> {
    async fn put(&self, key: &str, body: &[u8]) -> Result<ClaimRef, PortError> {
        match self {
            Some(b) => b.put(key, body).await,
            None => Err(PortError::permanent("claim check", "BODY_BUCKET is not set")),
        }
    }

    async fn get(&self, claim: &ClaimRef) -> Result<Vec<u8>, PortError> {
        match self {
            Some(b) => b.get(claim).await,
            None => Err(PortError::permanent("claim check", "BODY_BUCKET is not set")),
        }
    }
}

/// Wraps the queue adapter toward Helsenorge: wire messages above `threshold` bytes go by
/// reference; everything else passes unchanged.
#[derive(Debug, Clone)]
pub struct ClaimCheckOutbox<H, B> {
    /// The queue adapter.
    pub inner: H,
    /// The body store.
    pub store: B,
    /// Bodies above this many bytes go by reference.
    pub threshold: usize,
}

impl<H: HelsenorgeOutbox, B: BodyStore> HelsenorgeOutbox for ClaimCheckOutbox<H, B> {
    /// A body store failure fails the whole call (the caller retries; the key is the message's
    /// id, so a retry overwrites the same object).
    async fn send(&self, messages: &[Outgoing]) -> Result<Vec<String>, PortError> {
        let mut out = Vec::with_capacity(messages.len());
        for m in messages {
            match &m.message {
                OutMessage::Wire(w) if by_reference(w.body.len(), self.threshold) => {
                    let claim = self.store.put(&object_key(TO_HELSENORGE, &m.id), w.body.as_bytes()).await?;
                    let mut attributes = w.attributes.clone();
                    attributes.retain(|(k, _)| k != CLAIM_ATTRIBUTE);
                    attributes.push((CLAIM_ATTRIBUTE.to_string(), claim.to_string()));
                    tracing::info!(message_id = %m.id, bytes = w.body.len(), "body sent by reference (claim check)");
                    out.push(Outgoing { message: OutMessage::Wire(WireMessage { body: CLAIMED_BODY.into(), attributes }), ..m.clone() });
                }
                _ => out.push(m.clone()),
            }
        }
        self.inner.send(&out).await
    }
}

/// The bridge's view of ToHelsenorgeQueue: a message carrying a reference comes back with its
/// whole body. One whose body cannot be read is left on the queue (it shows again after the
/// visibility timeout; the redrive policy parks it after `maxReceiveCount`).
#[derive(Debug, Clone)]
pub struct ClaimedSource<S, B> {
    /// The queue adapter.
    pub inner: S,
    /// The body store.
    pub store: B,
}

impl<S: OutboundSource, B: BodyStore> OutboundSource for ClaimedSource<S, B> {
    async fn receive(&self) -> Result<Vec<OutboundItem>, PortError> {
        let mut items = self.inner.receive().await?;
        let mut whole = Vec::with_capacity(items.len());
        for mut item in items.drain(..) {
            let Some(reference) = item.attribute(CLAIM_ATTRIBUTE).map(str::to_string) else {
                whole.push(item);
                continue;
            };
            let body = match ClaimRef::parse(&reference) {
                Ok(claim) => self.store.get(&claim).await,
                Err(e) => Err(PortError::permanent("claim check", e)),
            };
            match body.map(String::from_utf8) {
                Ok(Ok(text)) => {
                    item.body = text;
                    item.attributes.retain(|(k, _)| k != CLAIM_ATTRIBUTE);
                    whole.push(item);
                }
                Ok(Err(_)) => tracing::warn!(message_id = item.attribute("messageId").unwrap_or("-"), "claimed body is not UTF-8; left on the queue"),
                Err(error) => tracing::warn!(%error, message_id = item.attribute("messageId").unwrap_or("-"), "claimed body unreadable; left on the queue"),
            }
        }
        Ok(whole)
    }

    async fn delete(&self, receipt: &str) -> Result<(), PortError> {
        self.inner.delete(receipt).await
    }
}

#[cfg(test)]
#[path = "claim_check_tests.rs"]
mod tests;
