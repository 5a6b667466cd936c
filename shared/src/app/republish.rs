//! Dead letters (R-DLQ-1..5): republish what lands on a dead-letter queue to its source queue
//! with a republish counter and a growing delay, at most 10 times, then park it; alert each
//! step; summarize what is parked.
//!
//! Moving is receive → send → delete: send first, delete after, so a crash between the two
//! leaves at most a duplicate, which the consumers' idempotency (keyed by business id) absorbs.
//! SQS's StartMessageMoveTask cannot carry a counter (and the local emulator lacks it), so the
//! move is done by hand.

use crate::domain::dead_letter::{Alert, ParkedRecord, RepublishDecision, republish_decision, summarize};
use crate::domain::message::envelope_head;
use crate::error::PortError;
use crate::ports::{AlertSink, Clock, DeadLetterLog, ParkedStore, QueuedMessage, Requeue};

/// A dead-letter queue and the queue its messages came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedrivePair {
    /// The dead-letter queue's URL.
    pub dead_letter_url: String,
    /// The source queue's URL.
    pub source_url: String,
}

impl RedrivePair {
    /// The source queue's name (the URL's last segment), as recorded in dead letters.
    pub fn source_name(&self) -> &str {
        self.source_url.rsplit('/').next().unwrap_or(&self.source_url)
    }
}

/// Parses `REDRIVE_PAIRS`: `dlqUrl=sourceUrl,dlqUrl=sourceUrl`.
pub fn parse_pairs(text: &str) -> Vec<RedrivePair> {
    text.split(',')
        .filter_map(|p| p.split_once('='))
        .map(|(d, s)| RedrivePair { dead_letter_url: d.trim().into(), source_url: s.trim().into() })
        .filter(|p| !p.dead_letter_url.is_empty() && !p.source_url.is_empty())
        .collect()
}

/// What one republisher run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepublishReport {
    /// Put back on their source queues.
    pub republished: u32,
    /// Moved to the parked queue.
    pub parked: u32,
}

/// The republisher and the summary.
pub struct RepublishService<Q, D, P, L, C> {
    /// The queues.
    pub queues: Q,
    /// Recorded errors.
    pub dead_letters: D,
    /// Parked records.
    pub parked: P,
    /// Alerts.
    pub alerts: L,
    /// Time.
    pub clock: C,
    /// Dead-letter queues and their sources.
    pub pairs: Vec<RedrivePair>,
    /// The parked queue's URL.
    pub parked_url: String,
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
        let kind = envelope_head(&m.body).kind;
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
                // Kept under its id on the parked queue: the id an operator sends back.
                let parked_id = self.queues.send(&self.parked_url, &m.body, m.republished, &source, 0).await?;
                self.parked
                    .park(&ParkedRecord {
                        message_id: parked_id,
                        source_queue: source.clone(),
                        kind: kind.clone(),
                        republished: m.republished,
                        last_error: error.clone(),
                        parked_at: now,
                    })
                    .await?;
                self.queues.delete(&pair.dead_letter_url, &m.receipt_handle).await?;
                tracing::warn!(message_id = %m.message_id, republished = m.republished, "message parked");
                self.alerts
                    .send(&Alert::Parked { message_id: m.message_id.clone(), source_queue: source, kind, error, at: now })
                    .await?;
            }
        }
        Ok(decision)
    }

    /// An operator sends a parked message back to its source queue after a fix (counter reset).
    /// Returns false when no parked message has that id.
    pub async fn send_back(&self, message_id: &str) -> Result<bool, PortError> {
        loop {
            let batch = self.queues.receive(&self.parked_url).await?;
            if batch.is_empty() {
                return Ok(false);
            }
            for m in batch {
                if m.message_id != message_id {
                    continue; // stays parked; visible again after the visibility timeout
                }
                let source = m.source_queue.clone().unwrap_or_default();
                let pair = self.pairs.iter().find(|p| p.source_name() == source);
                let Some(pair) = pair else {
                    return Err(PortError::permanent("send back", "the parked message names no known source queue"));
                };
                self.queues.send(&pair.source_url, &m.body, 0, &source, 0).await?;
                self.queues.delete(&self.parked_url, &m.receipt_handle).await?;
                self.parked.unpark(message_id).await?;
                tracing::info!(message_id, "parked message sent back by hand");
                return Ok(true);
            }
        }
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
