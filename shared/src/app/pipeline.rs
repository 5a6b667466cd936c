//! What every SQS-driven use case shares: record a message's effects and its answer once,
//! keyed by a business id (R-IN-3), send the answers of a batch in batched calls, report only
//! the failed records, and record each failure for support and the republisher (R-DLQ-4).

use std::future::Future;

use jiff::{SignedDuration, Timestamp};

use super::RecordIn;
use crate::domain::dead_letter::{ErrorClass, RecordedError};
use crate::domain::message::{OutMessage, Outgoing};
use crate::domain::receipt::{ReceiptFact, SEND_FAILED_TEXT};
use crate::error::{PortError, Retryable};
use crate::ports::{Clock, DeadLetterLog, Delivery, HelsenorgeOutbox, MessageStore, Processed, Recorded};

/// How long a first processing may take before a redelivery of the same id may send its answer
/// (the first attempt is then taken as dead). Longer than the functions' 30 s timeout, shorter
/// than the queues' 180 s visibility timeout.
pub const SEND_LEASE: SignedDuration = SignedDuration::from_secs(90);

/// Why a record could not be processed now.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// A store or queue failed.
    #[error(transparent)]
    Port(#[from] PortError),
    /// The body cannot be answered (no usable id); recorded as a dead letter.
    #[error("unreadable message: {0}")]
    Unreadable(String),
    /// The same id is being processed by another delivery right now; retry later.
    #[error("the message is being processed by another delivery")]
    InProgress,
    /// Its answers could not all be sent; retry later.
    #[error("the answer could not be sent yet")]
    NotSent,
    /// Processing this record panicked (a defect): only this record fails, recorded for
    /// support; the panic's text is not kept (it could quote the message).
    #[error("processing the record panicked")]
    Panicked,
}

impl Retryable for ProcessError {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Port(e) => e.is_retryable(),
            Self::Unreadable(_) | Self::Panicked => false,
            Self::InProgress | Self::NotSent => true,
        }
    }
}

/// The answers of one message, to be sent in the batch's outbox call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// The idempotency key.
    pub message_id: String,
    /// What to send.
    pub outgoing: Vec<Outgoing>,
    /// Sent once before without confirmation (a resend after a failure).
    pub resend: bool,
}

impl Pending {
    /// The ids of the outbound messages (staff replies, return messages) among the answers:
    /// what carries a receipt status (R-OUT-3).
    fn outbound_ids(&self) -> impl Iterator<Item = String> + '_ {
        self.outgoing.iter().filter_map(|o| match &o.message {
            OutMessage::DialogMessage { message_id, .. } => Some(message_id.clone()),
            _ => None,
        })
    }
}

/// What recording a delivery found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// Written now; its answers are pending.
    New(Pending),
    /// Done and answered before: nothing to do.
    Duplicate,
    /// Done before, but its answers were never confirmed sent: send them again.
    Resend(Pending),
}

/// A use case's outcome for one record.
pub trait Answered {
    /// The answers still to send, if any.
    fn pending(&self) -> Option<&Pending>;
    /// A short label for logs and metrics.
    fn label(&self) -> &'static str;
}

/// The shared pipeline over a message store, an outbox, a dead-letter log and a clock.
pub struct Pipeline<M, H, D, C> {
    /// Idempotency records and the business writes.
    pub messages: M,
    /// Toward Helsenorge and the EPJ.
    pub outbox: H,
    /// Dead-letter records.
    pub dead_letters: D,
    /// Time.
    pub clock: C,
    /// The source queue's name, for dead-letter records.
    pub source_queue: String,
}

impl<M: MessageStore, H: HelsenorgeOutbox, D: DeadLetterLog, C: Clock> Pipeline<M, H, D, C> {
    /// R-IN-3: one atomic write keyed by the delivery's id; a redelivery sees what was done.
    pub async fn record(&self, d: Delivery) -> Result<Written, ProcessError> {
        let now = self.clock.now();
        match self.messages.record(&d).await? {
            Recorded::New => Ok(Written::New(Pending { message_id: d.message_id, outgoing: d.outgoing, resend: false })),
            Recorded::Existing(p) => self.existing(p, now),
        }
    }

    /// R-IN-3: what an existing idempotency record means for a redelivery (found by the write,
    /// or read with the gate's facts).
    pub fn existing(&self, p: Processed, now: Timestamp) -> Result<Written, ProcessError> {
        match p {
            p if p.sent => Ok(Written::Duplicate),
            // The first delivery died before its answer was confirmed sent: send it now.
            p if now.duration_since(p.processed_at) > SEND_LEASE => {
                Ok(Written::Resend(Pending { message_id: p.message_id, outgoing: p.outgoing, resend: true }))
            }
            // Another delivery is processing it right now: let SQS bring it back later.
            _ => Err(ProcessError::InProgress),
        }
    }

    /// Sends the answers of a batch in as few calls as possible and marks the messages whose
    /// answers all went out. Returns the ids of those not fully sent. R-OUT-3: the outbound
    /// messages among answers not sent show "send error" until a resend goes out.
    pub async fn send_pending(&self, pending: &[&Pending]) -> Result<Vec<String>, PortError> {
        let result = self.try_send(pending).await;
        let unsent = |p: &&&Pending| result.as_ref().map_or(true, |ids| ids.contains(&p.message_id));
        let failed: Vec<String> = pending.iter().filter(unsent).flat_map(|p| p.outbound_ids()).collect();
        let resent: Vec<String> =
            pending.iter().filter(|p| p.resend && !unsent(p)).flat_map(|p| p.outbound_ids()).collect();
        let failed_fact = ReceiptFact::SendFailed { at: self.clock.now(), reason: SEND_FAILED_TEXT.into() };
        for (ids, fact) in [(failed, failed_fact), (resent, ReceiptFact::Awaiting)] {
            if ids.is_empty() {
                continue;
            }
            // Best effort: the record is retried either way, and the next attempt notes again.
            if let Err(e) = self.messages.note_send(&ids, &fact).await {
                tracing::warn!(error = %RecordedError::scrub(&error_chain(&e)), messages = ids.len(), "send state not noted");
            }
        }
        result
    }

    async fn try_send(&self, pending: &[&Pending]) -> Result<Vec<String>, PortError> {
        if pending.is_empty() {
            return Ok(vec![]);
        }
        let all: Vec<Outgoing> = pending.iter().flat_map(|p| p.outgoing.iter().cloned()).collect();
        // A record with nothing to send (a process that takes no AppRec) is done once written:
        // it is marked like any other, so a redelivery finds it a duplicate.
        let failed = if all.is_empty() { vec![] } else { self.outbox.send(&all).await? };
        let (sent, unsent): (Vec<&&Pending>, Vec<&&Pending>) =
            pending.iter().partition(|p| p.outgoing.iter().all(|o| !failed.contains(&o.id)));
        let sent_ids: Vec<String> = sent.iter().map(|p| p.message_id.clone()).collect();
        if !sent_ids.is_empty() {
            self.messages.mark_sent(&sent_ids, self.clock.now()).await?;
        }
        Ok(unsent.iter().map(|p| p.message_id.clone()).collect())
    }

    /// Records a failed record for support and the republisher (R-DLQ-4).
    pub async fn record_failure(
        &self,
        message_id: &str,
        kind: Option<String>,
        receive_count: u32,
        error: &ProcessError,
    ) -> Result<(), PortError> {
        let failed = FailedRecord { message_id, source_queue: &self.source_queue, kind, receive_count };
        record_failure(&self.dead_letters, &self.clock, failed, error.is_retryable(), &error_chain(error)).await
    }

    /// Processes a batch with bounded concurrency, one span per record carrying its message id
    /// (never a national id or a body), sends all answers in batched calls, and returns the SQS
    /// message ids of the records that failed (for `ReportBatchItemFailures`).
    pub async fn handle_batch<'a, F, Fut, O>(&self, records: &'a [RecordIn], concurrency: usize, process: F) -> Vec<String>
    where
        F: Fn(&'a RecordIn) -> Fut,
        Fut: Future<Output = Result<O, ProcessError>> + 'a,
        O: Answered,
    {
        let results = each_record(records, concurrency, process).await;
        let mut failed: Vec<String> = vec![];
        let mut pending: Vec<(&RecordIn, &Pending)> = vec![];
        for (r, result) in &results {
            match result {
                Ok(outcome) => {
                    tracing::info!(message_id = %r.sqs_message_id, outcome = outcome.label(), "processed");
                    if let Some(p) = outcome.pending() {
                        pending.push((r, p));
                    }
                }
                Err(e) => {
                    self.fail(r, e).await;
                    failed.push(r.sqs_message_id.clone());
                }
            }
        }
        let to_send: Vec<&Pending> = pending.iter().map(|(_, p)| *p).collect();
        let unsent = match self.send_pending(&to_send).await {
            Ok(ids) => ids,
            Err(e) => {
                // Nothing is lost: the answers stay recorded as unsent and go out on redelivery.
                let e = RecordedError::scrub(&error_chain(&e));
                tracing::warn!(error = %e, records = to_send.len(), "answers not sent");
                to_send.iter().map(|p| p.message_id.clone()).collect()
            }
        };
        for (r, p) in &pending {
            if unsent.contains(&p.message_id) {
                self.fail(r, &ProcessError::NotSent).await;
                failed.push(r.sqs_message_id.clone());
            }
        }
        failed
    }

    /// Logs a failed record (scrubbed) and records it for support; best effort.
    async fn fail(&self, r: &RecordIn, e: &ProcessError) {
        let failed = FailedRecord { message_id: &r.sqs_message_id, source_queue: &self.source_queue, kind: crate::kith::sniff::function_of(&r.body).map(|f| f.code().to_string()), receive_count: r.receive_count };
        fail_record(&self.dead_letters, &self.clock, failed, e).await;
    }
}

/// Runs `process` on every record with bounded concurrency, one span per record carrying its
/// message id (never a national id or a body). A panic in one record's processing fails that
/// record only ([`ProcessError::Panicked`]), not the batch.
pub async fn each_record<'a, F, Fut, O>(records: &'a [RecordIn], concurrency: usize, process: F) -> Vec<(&'a RecordIn, Result<O, ProcessError>)>
where
    F: Fn(&'a RecordIn) -> Fut,
    Fut: Future<Output = Result<O, ProcessError>> + 'a,
{
    use futures::{FutureExt, StreamExt};
    use tracing::Instrument;

    futures::stream::iter(records)
        .map(|r| {
            let span = tracing::info_span!("record", message_id = %r.sqs_message_id, receive_count = r.receive_count);
            let fut = std::panic::AssertUnwindSafe(process(r)).catch_unwind();
            async move { (r, fut.await.unwrap_or(Err(ProcessError::Panicked))) }.instrument(span)
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await
}

/// Logs a failed record (scrubbed, with its error chain) and records it for support and the
/// republisher through [`record_failure`]; best effort: a failure to record is logged.
pub async fn fail_record<D: DeadLetterLog, C: Clock>(dead_letters: &D, clock: &C, failed: FailedRecord<'_>, e: &ProcessError) {
    let error = RecordedError::scrub(&error_chain(e));
    tracing::warn!(message_id = %failed.message_id, retryable = e.is_retryable(), error = %error, "record failed");
    let message_id = failed.message_id;
    if let Err(log_err) = record_failure(dead_letters, clock, failed, e.is_retryable(), &error_chain(e)).await {
        let log_err = RecordedError::scrub(&error_chain(&log_err));
        tracing::error!(message_id = %message_id, error = %log_err, "could not record the failure");
    }
}

/// An error with its sources, for the dead-letter record (scrubbed by the caller).
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        text.push_str(": ");
        text.push_str(&s.to_string());
        src = s.source();
    }
    text
}

/// A record that failed, as the SQS-driven functions know it.
#[derive(Debug, Clone)]
pub struct FailedRecord<'a> {
    /// SQS message id.
    pub message_id: &'a str,
    /// The queue it came from.
    pub source_queue: &'a str,
    /// Its kind, when readable.
    pub kind: Option<String>,
    /// SQS's receive count.
    pub receive_count: u32,
}

/// The one helper every SQS-driven function records its failed records with (R-DLQ-4): id,
/// queue, kind, receive count, error class and a scrubbed, bounded error text.
pub async fn record_failure<D: DeadLetterLog, C: Clock>(
    dead_letters: &D,
    clock: &C,
    failed: FailedRecord<'_>,
    retryable: bool,
    error: &str,
) -> Result<(), PortError> {
    dead_letters
        .record(&RecordedError {
            message_id: failed.message_id.to_string(),
            source_queue: failed.source_queue.to_string(),
            kind: failed.kind,
            receive_count: failed.receive_count,
            class: if retryable { ErrorClass::Transient } else { ErrorClass::Permanent },
            error: RecordedError::scrub(error),
            at: clock.now(),
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::{ManualClock, MemoryDb};
    use crate::ports::DeadLetterLog;

    struct Done;

    impl Answered for Done {
        fn pending(&self) -> Option<&Pending> {
            None
        }

        fn label(&self) -> &'static str {
            "done"
        }
    }

    #[tokio::test]
    async fn a_panic_in_one_record_fails_that_record_only_and_is_recorded() {
        let db = MemoryDb::new();
        let clock = ManualClock::at("2026-03-01T10:00:00Z".parse().unwrap());
        let pipeline = Pipeline { messages: db.clone(), outbox: db.clone(), dead_letters: db.clone(), clock, source_queue: "InboundQueue".into() };
        let records: Vec<RecordIn> = ["r1", "r2", "r3"]
            .iter()
            .map(|id| RecordIn { sqs_message_id: (*id).into(), body: "{}".into(), receive_count: 1 })
            .collect();
        let failed = pipeline
            .handle_batch(&records, 2, |r| async move {
                if r.sqs_message_id == "r2" {
                    panic!("a defect while processing r2");
                }
                Ok::<_, ProcessError>(Done)
            })
            .await;
        assert_eq!(failed, vec!["r2".to_string()]);
        let recorded = db.recorded("r2").await.unwrap().expect("recorded for support");
        assert_eq!(recorded.error, "processing the record panicked");
        assert!(db.recorded("r1").await.unwrap().is_none());
    }
}
