//! Dead letters (R-DLQ-1..5): republish what lands on a dead-letter queue to its source queue
//! with a republish counter and a growing delay, at most 10 times, then park it; alert each
//! step; summarize what is parked.
//!
//! Moving is receive → send → delete: send first, delete after, so a crash between the two
//! leaves at most a duplicate, which the consumers' idempotency (keyed by business id) absorbs.
//! SQS's StartMessageMoveTask cannot carry a counter (and the local emulator lacks it), so the
//! move is done by hand.
//!
//! Parked messages are kept in the [`ParkedStore`] (the Operations table, encrypted, no expiry)
//! with their bodies, under the id of the dead letter they were parked from: one id in the
//! `parked` alert, `list-parked`, `inspect`, `send-back` and `resolve` (issue #20).

use serde::{Deserialize, Serialize};

use crate::domain::dead_letter::{Alert, ParkedMessage, ParkedRecord, RepublishDecision, republish_decision, summarize};
use crate::error::PortError;
use crate::ports::{AlertSink, Clock, DeadLetterLog, ParkedStore, QueuedMessage, Requeue};

pub use crate::config::{RedrivePair, parse_pairs};

/// What one republisher run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RepublishReport {
    /// Put back on their source queues.
    pub republished: u32,
    /// Parked.
    pub parked: u32,
}

/// What the republisher is asked to do: the schedule sends `{"action":"republish"}`; operators
/// send the others. Anything else (no `action`, an unknown one, unknown fields) is refused.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum DeadLetterAction {
    /// R-DLQ-1..4: empty the dead-letter queues. (Variants without fields are written `{}` so
    /// that serde refuses unknown fields on them too.)
    Republish {},
    /// List what is parked (no bodies).
    ListParked {},
    /// One parked message's record and body size (no body).
    Inspect {
        /// As listed.
        message_id: String,
    },
    /// Send a parked message back to its source queue after a fix (counter reset).
    SendBack {
        /// As listed.
        message_id: String,
    },
    /// Support resolved a parked message another way: stop keeping it.
    Resolve {
        /// As listed.
        message_id: String,
    },
}

/// The answer to a [`DeadLetterAction`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged, rename_all_fields = "camelCase")]
pub enum DeadLetterAnswer {
    /// To `republish`.
    Republished(RepublishReport),
    /// To `list-parked`.
    Parked {
        /// Oldest first.
        parked: Vec<ParkedRecord>,
    },
    /// To `inspect`.
    Inspected {
        /// The record.
        parked: ParkedRecord,
        /// The kept body's size in bytes.
        body_bytes: usize,
    },
    /// To `send-back`.
    SentBack {
        /// Always true.
        sent_back: bool,
        /// The queue it went back to.
        source_queue: String,
    },
    /// To `resolve`.
    Resolved {
        /// Always true.
        resolved: bool,
    },
}

/// An operator action that cannot be done.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    /// No parked message has that id (nothing else was touched). The id is not repeated: an
    /// operator may have pasted anything.
    #[error("no parked message has that id")]
    NotParked,
    /// The parked message names a queue this republisher does not know.
    #[error("the parked message names the source queue {0}, which REDRIVE_PAIRS does not list")]
    UnknownSource(String),
    /// A port failed.
    #[error(transparent)]
    Port(#[from] PortError),
}

/// The republisher and the operator actions on parked messages.
pub struct RepublishService<Q, D, P, L, C> {
    /// The queues.
    pub queues: Q,
    /// Recorded errors.
    pub dead_letters: D,
    /// Parked messages.
    pub parked: P,
    /// Alerts.
    pub alerts: L,
    /// Time.
    pub clock: C,
    /// Dead-letter queues and their sources.
    pub pairs: Vec<RedrivePair>,
    /// The first republish's delay, doubled each time (30 s in production; 0 in tests).
    pub base_delay_secs: u32,
    /// At most this many messages per run (the function's time budget).
    pub max_messages: u32,
}

impl<Q, D, P, L, C> RepublishService<Q, D, P, L, C>
where
    Q: Requeue,
    D: DeadLetterLog,
    P: ParkedStore,
    L: AlertSink,
    C: Clock,
{
    /// Does what `action` asks.
    pub async fn handle(&self, action: DeadLetterAction) -> Result<DeadLetterAnswer, ActionError> {
        Ok(match action {
            DeadLetterAction::Republish {} => DeadLetterAnswer::Republished(self.republish().await?),
            DeadLetterAction::ListParked {} => DeadLetterAnswer::Parked { parked: self.parked.parked().await? },
            DeadLetterAction::Inspect { message_id } => {
                let m = self.parked.parked_message(&message_id).await?.ok_or(ActionError::NotParked)?;
                DeadLetterAnswer::Inspected { body_bytes: m.body.len(), parked: m.record }
            }
            DeadLetterAction::SendBack { message_id } => {
                DeadLetterAnswer::SentBack { sent_back: true, source_queue: self.send_back(&message_id).await? }
            }
            DeadLetterAction::Resolve { message_id } => {
                self.resolve(&message_id).await?;
                DeadLetterAnswer::Resolved { resolved: true }
            }
        })
    }

    /// R-DLQ-1..4: empties every dead-letter queue (up to `max_messages`).
    pub async fn republish(&self) -> Result<RepublishReport, PortError> {
        let mut report = RepublishReport::default();
        for pair in &self.pairs {
            loop {
                if report.republished + report.parked >= self.max_messages {
                    return Ok(report);
                }
                let batch = self.queues.receive(&pair.dead_letter_url).await?;
                if batch.is_empty() {
                    break;
                }
                for m in batch {
                    match self.one(pair, &m).await? {
                        RepublishDecision::Republish { .. } => report.republished += 1,
                        RepublishDecision::Park => report.parked += 1,
                    }
                }
            }
        }
        tracing::info!(republished = report.republished, parked = report.parked, "dead-letter queues emptied");
        Ok(report)
    }

    async fn one(&self, pair: &RedrivePair, m: &QueuedMessage) -> Result<RepublishDecision, PortError> {
        let now = self.clock.now();
        let kind = crate::kith::sniff::function_of(&m.body).map(|f| f.code().to_string());
        let source = pair.source_name().to_string();
        let error = self.dead_letters.recorded(&m.message_id).await?.map(|e| e.error);
        if m.republished > 0 {
            // R-DLQ-4: a republished message came back; support must look, the error attached.
            self.alerts
                .send(&Alert::BackOnDeadLetterQueue {
                    message_id: m.message_id.clone(),
                    source_queue: source.clone(),
                    kind: kind.clone(),
                    republished: m.republished,
                    error: error.clone(),
                    at: now,
                })
                .await?;
        }
        let decision = republish_decision(m.republished);
        match decision {
            RepublishDecision::Republish { attempt, delay_secs } => {
                let delay = self.base_delay_secs.saturating_mul(delay_secs) / 30;
                self.queues.send(&pair.source_url, &m.body, attempt, &source, delay.min(900)).await?;
                self.queues.delete(&pair.dead_letter_url, &m.receipt_handle).await?;
                // R-DLQ-3: back on the ordinary receive queue; it will be tried again.
                self.alerts
                    .send(&Alert::Republished { message_id: m.message_id.clone(), source_queue: source, kind, attempt, at: now })
                    .await?;
            }
            RepublishDecision::Park => {
                // R-DLQ-2: kept with its body under the dead letter's id (park is idempotent), and
                // only then deleted from the dead-letter queue.
                let record = ParkedRecord {
                    message_id: m.message_id.clone(),
                    source_queue: source.clone(),
                    kind: kind.clone(),
                    republished: m.republished,
                    last_error: error.clone(),
                    parked_at: now,
                };
                self.parked.park(&ParkedMessage { record, body: m.body.clone() }).await?;
                self.queues.delete(&pair.dead_letter_url, &m.receipt_handle).await?;
                tracing::warn!(message_id = %m.message_id, republished = m.republished, "message parked");
                self.alerts
                    .send(&Alert::Parked { message_id: m.message_id.clone(), source_queue: source, kind, error, at: now })
                    .await?;
            }
        }
        Ok(decision)
    }

    /// R-DLQ-2: an operator sends a parked message back to its source queue after a fix (counter
    /// reset): send first, then stop keeping it (a crash in between leaves a duplicate, which the
    /// consumers' idempotency absorbs). Returns the source queue's name. An unknown id touches
    /// nothing.
    pub async fn send_back(&self, message_id: &str) -> Result<String, ActionError> {
        let m = self.parked.parked_message(message_id).await?.ok_or(ActionError::NotParked)?;
        let source = m.record.source_queue.clone();
        let pair = self.pairs.iter().find(|p| p.source_name() == source).ok_or_else(|| ActionError::UnknownSource(source.clone()))?;
        self.queues.send(&pair.source_url, &m.body, 0, &source, 0).await?;
        self.parked.unpark(message_id).await?;
        tracing::info!(message_id, "parked message sent back by hand");
        let at = self.clock.now();
        self.alerts.send(&Alert::SentBack { message_id: message_id.into(), source_queue: source.clone(), at }).await?;
        Ok(source)
    }

    /// R-DLQ-2: support resolved a parked message another way; it is no longer kept.
    pub async fn resolve(&self, message_id: &str) -> Result<(), ActionError> {
        let m = self.parked.parked_message(message_id).await?.ok_or(ActionError::NotParked)?;
        self.parked.unpark(message_id).await?;
        tracing::info!(message_id, "parked message resolved by hand");
        let at = self.clock.now();
        self.alerts.send(&Alert::Resolved { message_id: message_id.into(), source_queue: m.record.source_queue, at }).await?;
        Ok(())
    }
}

/// R-DLQ-5: the summary of what is parked, sent as an alert; no alert when nothing is parked
/// (unless `all_clear`).
pub async fn summary<P: ParkedStore, L: AlertSink, C: Clock>(
    parked: &P,
    alerts: &L,
    clock: &C,
    all_clear: bool,
) -> Result<Option<Alert>, PortError> {
    let parked = parked.parked().await?;
    let alert = summarize(&parked, clock.now(), all_clear);
    if let Some(a) = &alert {
        alerts.send(a).await?;
        tracing::info!(parked = parked.len(), "summary alert sent");
    }
    Ok(alert)
}
