//! Dead letters: republish at most 10 times with a growing delay, then park, and the alerts
//! that tell support about it (R-DLQ-1..5). Alerts carry ids, kinds, counts and errors: never
//! a national id or a message body.

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// R-DLQ-2: after this many republishes without success the message is parked.
pub const MAX_REPUBLISHES: u32 = 10;

/// SQS's largest per-message delay.
const MAX_DELAY_SECS: u32 = 900;

/// What to do with a message found on a dead-letter queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepublishDecision {
    /// R-DLQ-1/3: put it back on its source queue as republish number `attempt` (1-based),
    /// delayed by `delay_secs`.
    Republish {
        /// This republish's number, 1..=10.
        attempt: u32,
        /// Delay before it becomes visible again.
        delay_secs: u32,
    },
    /// R-DLQ-2: 10 republishes failed; move it out of the ordinary flow.
    Park,
}

/// Decides from how many times the message was already republished.
pub fn republish_decision(republished_so_far: u32) -> RepublishDecision {
    if republished_so_far >= MAX_REPUBLISHES {
        return RepublishDecision::Park;
    }
    let attempt = republished_so_far + 1;
    // 30 s, 60 s, 120 s, ... capped at SQS's 15 minutes.
    let delay_secs = 30u32.saturating_mul(1 << republished_so_far.min(10)).min(MAX_DELAY_SECS);
    RepublishDecision::Republish { attempt, delay_secs }
}

/// How a failure is classified when it is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorClass {
    /// Throttling, timeouts, 5xx: SQS retries it.
    Transient,
    /// The message itself is bad and names no one to answer.
    Permanent,
}

/// The error recorded for a failed record: enough for support, nothing personal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedError {
    /// The SQS (or Helsenorge) message id.
    pub message_id: String,
    /// The queue it came from (name, not URL).
    pub source_queue: String,
    /// The message kind, when it could be read (`dialog-message`, `apprec`, ...).
    pub kind: Option<String>,
    /// SQS's receive count when it failed.
    pub receive_count: u32,
    /// Transient or permanent.
    pub class: ErrorClass,
    /// A short error text (at most 200 characters; never a body or a national id).
    pub error: String,
    /// When it was recorded.
    pub at: Timestamp,
}

impl RecordedError {
    /// The longest error text kept.
    pub const MAX_ERROR_LEN: usize = 200;

    /// Shortens `error` to [`Self::MAX_ERROR_LEN`] characters and drops any run of 11 digits,
    /// which could be a national id, as a last line of defence.
    pub fn scrub(error: &str) -> String {
        let mut out = String::with_capacity(error.len().min(Self::MAX_ERROR_LEN));
        let mut digits = String::new();
        let flush = |digits: &mut String, out: &mut String| {
            if digits.len() >= 11 {
                out.push_str("[number]");
            } else {
                out.push_str(digits);
            }
            digits.clear();
        };
        for ch in error.chars() {
            if ch.is_ascii_digit() {
                digits.push(ch);
            } else {
                flush(&mut digits, &mut out);
                out.push(if ch.is_control() { ' ' } else { ch });
            }
        }
        flush(&mut digits, &mut out);
        out.chars().take(Self::MAX_ERROR_LEN).collect()
    }
}

/// One line of a summary: what is parked for a (source queue, kind).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SummaryLine {
    /// Source queue.
    pub source_queue: String,
    /// Message kind.
    pub kind: Option<String>,
    /// How many are parked.
    pub count: u32,
    /// When the oldest was parked.
    pub oldest_parked_at: Timestamp,
    /// Their republish counts.
    pub republish_counts: Vec<u32>,
    /// The last recorded errors (a few).
    pub last_errors: Vec<String>,
}

/// The alerts for support and the EPJ (R-DLQ-3..5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Alert {
    /// R-DLQ-3: put back on the ordinary receive queue; will be tried again.
    #[serde(rename_all = "camelCase")]
    Republished {
        /// Message id.
        message_id: String,
        /// Source queue.
        source_queue: String,
        /// Kind.
        kind: Option<String>,
        /// This republish's number (1..=10).
        attempt: u32,
        /// When.
        at: Timestamp,
    },
    /// R-DLQ-4: a republished message landed on the dead-letter queue again; the error attached.
    #[serde(rename_all = "camelCase")]
    BackOnDeadLetterQueue {
        /// Message id.
        message_id: String,
        /// Source queue.
        source_queue: String,
        /// Kind.
        kind: Option<String>,
        /// Republishes so far.
        republished: u32,
        /// The recorded error.
        error: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// R-DLQ-2: moved to the parked queue after 10 republishes.
    #[serde(rename_all = "camelCase")]
    Parked {
        /// Message id.
        message_id: String,
        /// Source queue.
        source_queue: String,
        /// Kind.
        kind: Option<String>,
        /// The recorded error.
        error: Option<String>,
        /// When.
        at: Timestamp,
    },
    /// R-DLQ-2: support sent a parked message back to its source queue after a fix.
    #[serde(rename_all = "camelCase")]
    SentBack {
        /// Message id (as parked).
        message_id: String,
        /// The queue it went back to.
        source_queue: String,
        /// When.
        at: Timestamp,
    },
    /// R-DLQ-2: support resolved a parked message another way; its body is no longer kept.
    #[serde(rename_all = "camelCase")]
    Resolved {
        /// Message id (as parked).
        message_id: String,
        /// The queue it came from.
        source_queue: String,
        /// When.
        at: Timestamp,
    },
    /// R-DLQ-5: what sits parked.
    #[serde(rename_all = "camelCase")]
    Summary {
        /// Per (source queue, kind).
        lines: Vec<SummaryLine>,
        /// Total parked.
        total: u32,
        /// When.
        at: Timestamp,
    },
    /// A consent-sync chunk failed after its retries; its citizens keep yesterday's state
    /// until the next night (R-CIT-3). The rest of the sync goes on.
    #[serde(rename_all = "camelCase")]
    SyncChunkFailed {
        /// The run (the Oslo date of the night).
        run_id: String,
        /// The chunk's number.
        chunk: u32,
        /// How many citizens it held (never who).
        citizens: u32,
        /// The error.
        error: String,
        /// When.
        at: Timestamp,
    },
}

impl Alert {
    /// When it happened: the time the use case took from its clock, the one adapters stamp
    /// the alert's records with (never their own system clock).
    pub fn at(&self) -> Timestamp {
        match self {
            Self::Republished { at, .. }
            | Self::BackOnDeadLetterQueue { at, .. }
            | Self::Parked { at, .. }
            | Self::SentBack { at, .. }
            | Self::Resolved { at, .. }
            | Self::Summary { at, .. }
            | Self::SyncChunkFailed { at, .. } => *at,
        }
    }
}

/// A message parked after 10 failed republishes (R-DLQ-2), as listed for support (no body).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ParkedRecord {
    /// Its message id: the id of the dead letter it was parked from, the same id in the
    /// `parked` alert, in `list-parked` and in `send-back`/`resolve`.
    pub message_id: String,
    /// The queue it belongs to (name).
    pub source_queue: String,
    /// Its kind, if readable.
    pub kind: Option<String>,
    /// Republishes it went through.
    pub republished: u32,
    /// The last recorded error.
    pub last_error: Option<String>,
    /// When it was parked.
    pub parked_at: Timestamp,
}

/// R-DLQ-2: a parked message as kept: out of the ordinary flow, not gone. Its body is kept
/// durably (encrypted at rest) until support sends it back or resolves it; `Debug` shows only
/// the body's length (it carries health data).
#[derive(Clone, PartialEq, Eq)]
pub struct ParkedMessage {
    /// What support sees.
    pub record: ParkedRecord,
    /// The message body, untouched.
    pub body: String,
}

crate::domain::masked::masked_debug!(ParkedMessage { record } masking { body });

/// R-DLQ-5: the summary of what is parked, per (source queue, kind); `None` when nothing is
/// parked (no alert), unless `all_clear` asks for an empty summary.
pub fn summarize(parked: &[ParkedRecord], now: Timestamp, all_clear: bool) -> Option<Alert> {
    if parked.is_empty() && !all_clear {
        return None;
    }
    let mut groups: std::collections::BTreeMap<(String, Option<String>), Vec<&ParkedRecord>> = Default::default();
    for p in parked {
        groups.entry((p.source_queue.clone(), p.kind.clone())).or_default().push(p);
    }
    let lines = groups
        .into_iter()
        .map(|((source_queue, kind), mut ps)| {
            ps.sort_by_key(|p| p.parked_at);
            SummaryLine {
                source_queue,
                kind,
                count: ps.len() as u32,
                oldest_parked_at: ps[0].parked_at,
                republish_counts: ps.iter().map(|p| p.republished).collect(),
                last_errors: ps.iter().rev().filter_map(|p| p.last_error.clone()).take(3).collect(),
            }
        })
        .collect();
    Some(Alert::Summary { lines, total: parked.len() as u32, at: now })
}

/// The delay before a republish, as a duration.
pub fn delay(decision: RepublishDecision) -> SignedDuration {
    match decision {
        RepublishDecision::Republish { delay_secs, .. } => SignedDuration::from_secs(i64::from(delay_secs)),
        RepublishDecision::Park => SignedDuration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_dlq_2_at_most_ten_republishes_then_park() {
        let attempts: Vec<_> = (0..=11).map(republish_decision).collect();
        for (n, d) in attempts.iter().enumerate().take(10) {
            let RepublishDecision::Republish { attempt, .. } = d else { panic!("republish {n}") };
            assert_eq!(*attempt as usize, n + 1);
        }
        assert_eq!(attempts[10], RepublishDecision::Park);
        assert_eq!(attempts[11], RepublishDecision::Park);
    }

    #[test]
    fn r_dlq_1_delay_grows_and_stays_within_sqs_limits() {
        let delays: Vec<u32> = (0..10)
            .map(|n| match republish_decision(n) {
                RepublishDecision::Republish { delay_secs, .. } => delay_secs,
                RepublishDecision::Park => unreachable!(),
            })
            .collect();
        assert!(delays.windows(2).all(|w| w[0] <= w[1]), "{delays:?}");
        assert_eq!(delays[0], 30);
        assert!(delays.iter().all(|d| *d <= 900));
        assert_eq!(delay(republish_decision(0)), SignedDuration::from_secs(30));
    }

    #[test]
    fn r_dlq_4_recorded_errors_are_scrubbed_of_numbers_and_bounded() {
        let e = RecordedError::scrub("bad id 02013299997 in\nmessage 123");
        assert_eq!(e, "bad id [number] in message 123");
        assert_eq!(RecordedError::scrub(&"x".repeat(500)).len(), 200);
    }

    #[test]
    fn r_dlq_5_summary_groups_by_queue_and_kind_and_is_silent_when_nothing_is_parked() {
        let at = |s: &str| s.parse::<Timestamp>().unwrap();
        let p = |id: &str, q: &str, k: &str, t: &str| ParkedRecord {
            message_id: id.into(),
            source_queue: q.into(),
            kind: Some(k.into()),
            republished: 10,
            last_error: Some(format!("error {id}")),
            parked_at: at(t),
        };
        assert_eq!(summarize(&[], at("2026-03-01T07:00:00Z"), false), None);
        assert!(matches!(summarize(&[], at("2026-03-01T07:00:00Z"), true), Some(Alert::Summary { total: 0, .. })));
        let parked = [
            p("m2", "InboundQueue", "dialog-message", "2026-03-01T02:00:00Z"),
            p("m1", "InboundQueue", "dialog-message", "2026-02-28T02:00:00Z"),
            p("m3", "OutboundQueue", "reply", "2026-03-01T03:00:00Z"),
        ];
        let Some(Alert::Summary { lines, total, .. }) = summarize(&parked, at("2026-03-01T07:00:00Z"), false) else {
            panic!("summary")
        };
        assert_eq!(total, 3);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].count, 2);
        assert_eq!(lines[0].oldest_parked_at, at("2026-02-28T02:00:00Z"));
        assert_eq!(lines[0].last_errors[0], "error m2");
    }

    #[test]
    fn r_dlq_3_alerts_are_tagged_and_carry_no_body() {
        let a = Alert::Republished {
            message_id: "m1".into(),
            source_queue: "InboundQueue".into(),
            kind: Some("dialog-message".into()),
            attempt: 1,
            at: "2026-03-01T00:00:00Z".parse().unwrap(),
        };
        let v = serde_json::to_value(&a).unwrap();
        assert_eq!(v["type"], "republished");
        assert_eq!(v["messageId"], "m1");
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert!(keys.iter().all(|k| !k.contains("body") && !k.contains("national")));
    }
}
