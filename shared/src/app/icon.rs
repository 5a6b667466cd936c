//! The status-icon use case: NHN's HelsenorgeAktiv facts combined with local history give the
//! icon after a citizen's name (R-ICON-1..7). It never hangs: the whole lookup has a deadline,
//! and a circuit breaker stops calling NHN for a cool-down after repeated failures, so lookups
//! then answer `no-icon` at once, with the last icon known from the nightly sync.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::Serialize;

use crate::domain::consent::{AktivFacts, CitizenRecord};
use crate::domain::icon::{LocalHistory, StatusIcon, Tooltip, status_icon};
use crate::domain::NationalId;
use crate::ports::{AktivClient, CitizenReader, Clock};

/// HelsenorgeAktiv takes at most this many ids per call.
pub const MAX_IDS_PER_CALL: usize = crate::domain::consent::AKTIV_MAX_IDS_PER_CALL;

/// Why an answer is `no-icon` for a reason other than the citizen's own state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoIconReason {
    /// R-ICON-7: NHN could not be reached in time (error, timeout or open circuit).
    LookupUnavailable,
}

/// The last icon known from the nightly sync, shown when NHN is unreachable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LastKnown {
    /// The icon the synced facts give.
    pub icon: StatusIcon,
    /// When the sync ran.
    pub synced_at: Timestamp,
}

/// One citizen's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IconAnswer {
    /// The icon (kebab-case).
    pub icon: StatusIcon,
    /// Its tooltip.
    pub tooltip: Tooltip,
    /// Set when the icon is `no-icon` because NHN was unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<NoIconReason>,
    /// The last known icon from the nightly sync, when NHN was unavailable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_known: Option<LastKnown>,
}

impl IconAnswer {
    fn of(icon: StatusIcon) -> Self {
        Self { icon, tooltip: icon.tooltip(), reason: None, last_known: None }
    }
}

/// Circuit-breaker settings.
#[derive(Debug, Clone, Copy)]
pub struct BreakerConfig {
    /// Consecutive failures that open the circuit.
    pub failures_to_open: u32,
    /// How long it stays open before one trial call is let through.
    pub cool_down: SignedDuration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self { failures_to_open: 3, cool_down: SignedDuration::from_secs(30) }
    }
}

#[derive(Debug, Default)]
struct BreakerState {
    consecutive_failures: u32,
    open_until: Option<Timestamp>,
    /// Half-open: a trial call is out; until when it holds the slot (if its caller vanishes
    /// without reporting, the slot frees itself after another cool-down).
    trial_until: Option<Timestamp>,
}

/// R-ICON-7: a small circuit breaker: closed; open for a cool-down after N consecutive
/// failures; then half-open: exactly one trial call goes through while every other call keeps
/// the fast "no icon"; the trial's success closes it, its failure opens it again.
#[derive(Debug)]
pub struct CircuitBreaker {
    config: BreakerConfig,
    state: Mutex<BreakerState>,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(config: BreakerConfig) -> Self {
        Self { config, state: Mutex::new(BreakerState::default()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BreakerState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether a call may go out now. After the cool-down the first caller takes the trial
    /// slot; the others are refused until the trial reports back.
    pub fn allows(&self, now: Timestamp) -> bool {
        let mut s = self.lock();
        match s.open_until {
            None => true,
            Some(until) if now < until => false,
            Some(_) if s.trial_until.is_some_and(|t| now < t) => false,
            Some(_) => {
                s.trial_until = Some(now.checked_add(self.config.cool_down).unwrap_or(now));
                true
            }
        }
    }

    /// Records a successful call: closed.
    pub fn success(&self) {
        *self.lock() = BreakerState::default();
    }

    /// Records a failed call: open after N in a row, and again at once when the trial fails.
    pub fn failure(&self, now: Timestamp) {
        let mut s = self.lock();
        s.consecutive_failures += 1;
        if s.consecutive_failures >= self.config.failures_to_open || s.trial_until.is_some() {
            s.open_until = now.checked_add(self.config.cool_down).ok();
            s.trial_until = None;
        }
    }
}

/// The status-icon use case.
pub struct IconService<A, R, C> {
    /// NHN's HelsenorgeAktiv.
    pub aktiv: A,
    /// Local history (citizens table).
    pub citizens: R,
    /// Time.
    pub clock: C,
    /// The deadline on the whole lookup (R-ICON-7).
    pub deadline: Duration,
    /// Stops calling NHN after repeated failures.
    pub breaker: CircuitBreaker,
}

impl<A: AktivClient, R: CitizenReader, C: Clock> IconService<A, R, C> {
    /// R-ICON-1..7: one answer per id, in order, within the deadline whatever NHN does.
    /// At most [`MAX_IDS_PER_CALL`] ids (the caller checks and refuses more).
    pub async fn icons(&self, ids: &[NationalId]) -> Vec<IconAnswer> {
        let now = self.clock.now();
        let lookup = async {
            if !self.breaker.allows(now) {
                return None; // open circuit: answer at once
            }
            match self.aktiv.lookup(ids).await {
                Ok(facts) => {
                    self.breaker.success();
                    Some(facts)
                }
                Err(e) => {
                    tracing::warn!(error = %crate::domain::dead_letter::RecordedError::scrub(&e.to_string()), ids = ids.len(), "HelsenorgeAktiv lookup failed");
                    self.breaker.failure(self.clock.now());
                    None
                }
            }
        };
        // Both bounded by the deadline and run together: the whole lookup takes at most it, and
        // a hanging NHN still leaves the local history for the last known icon.
        let history = tokio::time::timeout(self.deadline, self.citizens.citizens_with_history(ids));
        let (facts, history) =
            futures::future::join(tokio::time::timeout(self.deadline, lookup), history).await;
        let facts = facts.unwrap_or_else(|_| {
            tracing::warn!(ids = ids.len(), deadline_ms = self.deadline.as_millis() as u64, "HelsenorgeAktiv timed out");
            self.breaker.failure(self.clock.now());
            None
        });
        let history = match history {
            Ok(Ok(h)) => h,
            Ok(Err(e)) => {
                tracing::warn!(error = %crate::domain::dead_letter::RecordedError::scrub(&e.to_string()), "local history unavailable");
                HashMap::new()
            }
            Err(_) => {
                tracing::warn!("local history timed out");
                HashMap::new()
            }
        };
        answers(ids, facts, &history)
    }
}

/// Combines the facts (None when NHN was unavailable) with the local records.
pub fn answers(
    ids: &[NationalId],
    facts: Option<Vec<(NationalId, AktivFacts)>>,
    history: &HashMap<NationalId, CitizenRecord>,
) -> Vec<IconAnswer> {
    match facts {
        Some(facts) => {
            let by_id: HashMap<&NationalId, AktivFacts> = facts.iter().map(|(id, f)| (id, *f)).collect();
            ids.iter()
                .map(|id| {
                    let local = history.get(id).map(LocalHistory::of).unwrap_or_default();
                    // NHN not answering for one id means no consent for it (R-ICON-7).
                    let f = by_id.get(id).copied().unwrap_or_default();
                    IconAnswer::of(status_icon(Some(f), local))
                })
                .collect()
        }
        None => ids
            .iter()
            .map(|id| IconAnswer {
                reason: Some(NoIconReason::LookupUnavailable),
                last_known: history.get(id).and_then(|r| {
                    r.synced_at.map(|at| LastKnown {
                        icon: status_icon(Some(r.aktiv), LocalHistory::of(r)),
                        synced_at: at,
                    })
                }),
                ..IconAnswer::of(status_icon(None, LocalHistory::default()))
            })
            .collect(),
    }
}

/// Why an icon request is refused (the function answers 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Not the request's JSON shape.
    #[error("the request body is not valid: {0}")]
    Malformed(String),
    /// More ids than one request may carry.
    #[error("at most 1000 national ids per request, got {0}")]
    TooMany(usize),
    /// No ids.
    #[error("no national ids in the request")]
    Empty,
    /// An id is invalid; says which (by position) and why, never the id.
    #[error("national id number {position} is invalid: {reason}")]
    InvalidId {
        /// 1-based position in the request.
        position: usize,
        /// The broken rule.
        reason: crate::domain::NationalIdError,
    },
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct One {
    national_id: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Many {
    national_ids: Vec<String>,
}

/// Parses `{"nationalId": "…"}` (one) or `{"nationalIds": ["…", …]}` (many, at most 1000).
/// Ids travel in the body, never in the URL (URLs end up in access logs).
pub fn parse_query(body: &[u8], many: bool, mode: crate::domain::IdMode) -> Result<Vec<NationalId>, QueryError> {
    let raw = if many {
        serde_json::from_slice::<Many>(body).map_err(|e| QueryError::Malformed(crate::domain::message::describe_json_error(&e)))?.national_ids
    } else {
        vec![serde_json::from_slice::<One>(body).map_err(|e| QueryError::Malformed(crate::domain::message::describe_json_error(&e)))?.national_id]
    };
    if raw.len() > MAX_IDS_PER_CALL {
        return Err(QueryError::TooMany(raw.len()));
    }
    if raw.is_empty() {
        return Err(QueryError::Empty);
    }
    raw.iter()
        .enumerate()
        .map(|(i, s)| NationalId::parse(s, mode).map_err(|reason| QueryError::InvalidId { position: i + 1, reason }))
        .collect()
}
