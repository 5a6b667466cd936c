//! The claim check for recorded answers (R-OUT-4): a reply's attachments (up to 12 MB, base64)
//! do not fit the idempotency record (DynamoDB items hold 400 KB), so [`ClaimedAnswers`] moves
//! them to the body store before the record is written and the record keeps the references
//! (`Attachment::stored`); [`AttachmentsBack`] reads them back before a resend is rendered. The
//! first send uses the delivery as built, with its content.

use jiff::Timestamp;
use crate::domain::claim_check::{by_reference, object_key};
use crate::domain::message::{OutMessage, Outgoing};
use crate::domain::receipt::ReceiptFact;
use crate::domain::reply::Base64Content;
use crate::error::PortError;
use crate::ports::bodies::BodyStore;
use crate::ports::{Delivery, HelsenorgeOutbox, MessageStore, Recorded};

use super::claim_check::TO_HELSENORGE;

/// The message store, with large attachments of recorded answers held by reference.
#[derive(Debug, Clone)]
pub struct ClaimedAnswers<M, B> {
    /// The message store.
    pub inner: M,
    /// The body store.
    pub store: B,
    /// When a reply's attachments (base64 text) exceed this many bytes, all go by reference.
    pub threshold: usize,
}

impl<M: MessageStore, B: BodyStore> MessageStore for ClaimedAnswers<M, B> {
    /// Stores the attachments first (key: the reply's id and the attachment's position, so a
    /// redelivery overwrites the same objects), then writes the record with the references.
    async fn record(&self, delivery: &Delivery) -> Result<Recorded, PortError> {
        let mut d = delivery.clone();
        for o in &mut d.outgoing {
            if let OutMessage::DialogMessage { message_id, attachments, .. } = &mut o.message {
                let total: usize = attachments.iter().map(|a| a.content.0.len()).sum();
                if !by_reference(total, self.threshold) {
                    continue;
                }
                for (i, a) in attachments.iter_mut().enumerate() {
                    let key = object_key(TO_HELSENORGE, &format!("{message_id}.attachment-{}", i + 1));
                    a.stored = Some(self.store.put(&key, a.content.0.as_bytes()).await?);
                    a.content = Base64Content(String::new());
                }
            }
        }
        self.inner.record(&d).await
    }

    async fn mark_sent(&self, message_ids: &[String], at: Timestamp) -> Result<(), PortError> {
        self.inner.mark_sent(message_ids, at).await
    }

    async fn note_send(&self, outbound_ids: &[String], fact: &ReceiptFact) -> Result<(), PortError> {
        self.inner.note_send(outbound_ids, fact).await
    }
}

/// The outbox, with attachments held by reference read back before rendering.
#[derive(Debug, Clone)]
pub struct AttachmentsBack<H, B> {
    /// The outbox that renders and sends.
    pub inner: H,
    /// The body store.
    pub store: B,
}

impl<H: HelsenorgeOutbox, B: BodyStore> HelsenorgeOutbox for AttachmentsBack<H, B> {
    /// A body that cannot be read fails the call (retried; the redrive policy parks it).
    async fn send(&self, messages: &[Outgoing]) -> Result<Vec<String>, PortError> {
        let mut whole: Vec<Outgoing> = messages.to_vec();
        for o in &mut whole {
            if let OutMessage::DialogMessage { attachments, .. } = &mut o.message {
                for a in attachments.iter_mut() {
                    if let Some(claim) = a.stored.take() {
                        let bytes = self.store.get(&claim).await?;
                        a.content = Base64Content(String::from_utf8(bytes).map_err(|e| PortError::permanent("claimed attachment", e))?);
                    }
                }
            }
        }
        self.inner.send(&whole).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryDb;
    use crate::adapters::memory_bodies::MemoryBodies;
    use crate::domain::reply::Attachment;

    fn reply(content: &str) -> Outgoing {
        Outgoing::new(
            "r-1.message",
            OutMessage::DialogMessage {
                message_id: "r-1".into(),
                in_reply_to: None,
                citizen: crate::fixtures::id(crate::fixtures::CITIZEN),
                service: crate::fixtures::service(),
                subject: "s".into(),
                body: "b".into(),
                attachments: vec![Attachment { name: "a.pdf".into(), media_type: "application/pdf".into(), content: Base64Content(content.into()), stored: None }],
            },
        )
    }

    fn attachment(o: &Outgoing) -> &Attachment {
        let OutMessage::DialogMessage { attachments, .. } = &o.message else { panic!("a dialog message") };
        &attachments[0]
    }

    #[tokio::test]
    async fn r_out_4_the_recorded_answer_keeps_a_large_attachment_by_reference_and_a_resend_reads_it_back() {
        let (db, bodies) = (MemoryDb::new(), MemoryBodies::new("bodies"));
        let answers = ClaimedAnswers { inner: db.clone(), store: bodies.clone(), threshold: 10 };
        let at = crate::fixtures::ts("2026-12-02T10:00:00Z");
        answers.record(&Delivery::answers_only("reply#r-1", vec![reply("JVBERi0xLjQK")], at)).await.unwrap();
        let recorded = db.state().processed["reply#r-1"].outgoing[0].clone();
        assert_eq!(attachment(&recorded).content, Base64Content(String::new()), "no content in the record");
        assert_eq!(attachment(&recorded).stored.as_ref().map(|c| c.key.as_str()), Some("to-helsenorge/r-1.attachment-1"));

        let out = MemoryDb::new();
        AttachmentsBack { inner: out.clone(), store: bodies }.send(&[recorded]).await.unwrap();
        assert_eq!(out.state().sent, vec![reply("JVBERi0xLjQK")], "the resend carries the content again");

        let small = MemoryDb::new();
        ClaimedAnswers { inner: small.clone(), store: MemoryBodies::new("b"), threshold: 100 }
            .record(&Delivery::answers_only("reply#r-2", vec![reply("JVBERi0xLjQK")], at))
            .await
            .unwrap();
        assert_eq!(small.state().processed["reply#r-2"].outgoing, vec![reply("JVBERi0xLjQK")], "small ones stay inline");
    }
}
