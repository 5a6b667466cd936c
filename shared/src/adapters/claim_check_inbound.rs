//! The claim check on InboundQueue (issue 18, `domain::claim_check`): the bridge puts a decrypted
//! MsgHead larger than the threshold (a citizen message with attachments) into the body store
//! under `inbound/` and hands the queue only its reference (the `claimCheck` attribute);
//! inbound-message reads both forms (`app::claimed_inbound`). R-TR-2 holds for both: the sink
//! returns `Ok` only when the object and then the SQS message are stored, so the bridge accepts
//! the AMQP delivery only then. Nothing deletes the object: the bucket's lifecycle expires it.

use crate::domain::claim_check::{CLAIM_ATTRIBUTE, CLAIMED_BODY, by_reference, object_key};
use crate::error::PortError;
use crate::ports::bodies::BodyStore;
use crate::ports_transport::{InboundItem, InboundSink};

/// The key prefix of bodies from Helsenorge (the bridge writes, inbound-message reads).
pub const INBOUND: &str = "inbound";

/// Wraps the InboundQueue adapter: bodies above `threshold` bytes go by reference.
#[derive(Debug, Clone)]
pub struct ClaimCheckInbound<S, B, U> {
    /// The queue adapter.
    pub inner: S,
    /// The body store.
    pub store: B,
    /// Bodies above this many bytes go by reference.
    pub threshold: usize,
    /// A fresh suffix per stored body (the bridge: a UUID): a message id is the sender's, so two
    /// messages with one id, or a redelivery, never overwrite a body not yet read.
    pub unique: U,
}

impl<S, B, U> InboundSink for ClaimCheckInbound<S, B, U>
where
    S: InboundSink,
    B: BodyStore,
    U: Fn() -> String + Send + Sync,
{
    /// A store failure fails the enqueue (transient or permanent as the store says): the
    /// delivery is not accepted (R-TR-2, R-TR-4).
    async fn enqueue(&self, item: &InboundItem) -> Result<(), PortError> {
        if !by_reference(item.body.len(), self.threshold) {
            return self.inner.enqueue(item).await;
        }
        let key = object_key(INBOUND, &format!("{}.{}", item.message_id, (self.unique)()));
        let claim = self.store.put(&key, item.body.as_bytes()).await?;
        let mut attributes = item.attributes.clone();
        attributes.retain(|(k, _)| k != CLAIM_ATTRIBUTE);
        attributes.push((CLAIM_ATTRIBUTE.to_string(), claim.to_string()));
        tracing::info!(message_id = %item.message_id, bytes = item.body.len(), "inbound body sent by reference (claim check)");
        let claimed = InboundItem { message_id: item.message_id.clone(), body: CLAIMED_BODY.into(), attributes };
        self.inner.enqueue(&claimed).await
    }
}
