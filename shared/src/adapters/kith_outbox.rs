//! The outbox toward Helsenorge in KITH XML: staff replies (still in their domain form when
//! outbound-reply records them) are rendered as MsgHead + Dialogmelding just before they are
//! sent; what is already rendered ([`crate::domain::message::WireMessage`]) and what goes to the
//! EPJ pass unchanged. A resend renders the same message id and content again.

use crate::app::kith_edge::Reply;
use crate::domain::message::{OutMessage, Outgoing};
use crate::error::PortError;
use crate::kith::Organisation;
use crate::ports::{Clock, HelsenorgeOutbox, HerDirectory};

/// Renders, then hands to `inner`.
#[derive(Debug, Clone)]
pub struct KithOutbox<H, R, C> {
    /// The queue adapter.
    pub inner: H,
    /// Our HER-ids.
    pub directory: R,
    /// Time for `GenDate`.
    pub clock: C,
    /// Helsenorge as the receiver (its HER-ids from the CPA).
    pub helsenorge: Organisation,
}

impl<H: HelsenorgeOutbox, R: HerDirectory, C: Clock> HelsenorgeOutbox for KithOutbox<H, R, C> {
    async fn send(&self, messages: &[Outgoing]) -> Result<Vec<String>, PortError> {
        let mut rendered = Vec::with_capacity(messages.len());
        for m in messages {
            rendered.push(match &m.message {
                OutMessage::DialogMessage { message_id, in_reply_to, citizen, service, subject, body, attachments } => {
                    // A service without a HER-id is a configuration error: permanent, recorded.
                    let ours = self
                        .directory
                        .her_of(service)
                        .await?
                        .ok_or_else(|| PortError::permanent("render reply", "the service has no HER-id in the EPJ data"))?;
                    let reply = Reply { message_id, in_reply_to: in_reply_to.as_deref(), citizen, subject, body, attachments };
                    let mut out =
                        reply.render(&ours, &self.helsenorge, self.clock.now()).map_err(|e| PortError::permanent("render reply", e))?;
                    out.id = m.id.clone();
                    out
                }
                _ => m.clone(),
            });
        }
        self.inner.send(&rendered).await
    }
}
