//! Cancellations: one assignment (R-APT-2/3), a period (R-APT-4), and re-applying the kept ones
//! after the EPJ re-dates the plan (R-APT-5).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{Assignment, AssignmentId, AssignmentStatus, Pause, Period, Schedule};
use crate::domain::org::ServiceKey;

/// What a cancellation asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "scope", rename_all = "kebab-case")]
pub enum CancelScope {
    /// One assignment (R-APT-2/3). `start` is its start when the cancellation was received,
    /// so a later re-dating can be recognised (R-APT-5).
    #[serde(rename_all = "camelCase")]
    One {
        /// The assignment.
        assignment: AssignmentId,
        /// Its start when cancelled (None for a regular one).
        #[serde(default)]
        start: Option<Timestamp>,
    },
    /// Every appointment in a period; the service pauses (R-APT-4).
    Period {
        /// The period.
        period: Period,
    },
}

/// A cancellation, kept as its own record so re-dating cannot lose it (R-APT-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cancellation {
    /// The Helsenorge message id that carried it.
    pub message_id: String,
    /// The service it concerns.
    pub service: ServiceKey,
    /// What it cancels.
    pub scope: CancelScope,
    /// When it was received.
    pub received_at: Timestamp,
}

/// The result of applying a cancellation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CancelOutcome {
    /// R-APT-2: the dated assignment lapsed; notify the department inbox.
    Lapsed(AssignmentId),
    /// R-APT-3: a regular assignment cannot be cancelled alone; nothing changed; send
    /// [`super::REGULAR_REFUSED_TEXT`] back (also to inbox, journal and dialog).
    RegularRefused(AssignmentId),
    /// R-APT-4: the service pauses for the period: the dated assignments in it lapsed and the
    /// regular ones are paused for it.
    Paused {
        /// The period.
        period: Period,
        /// Dated assignments that lapsed (including those this same cancellation lapsed before,
        /// so a redelivery computes the same writes).
        lapsed: Vec<AssignmentId>,
        /// Regular assignments paused for the period.
        paused: Vec<AssignmentId>,
    },
    /// The assignment is not on the plan (or belongs to another service).
    UnknownAssignment,
    /// Already lapsed by this same cancellation (a redelivery): nothing more to do.
    AlreadyApplied,
}

/// R-APT-2..4: applies `c` to the citizen's plan for its service. A period pauses the whole
/// service: dated assignments in it lapse, regular ones pause for it (R-APT-4).
pub fn cancel(plan: &mut [Assignment], c: &Cancellation) -> CancelOutcome {
    match &c.scope {
        CancelScope::One { assignment, .. } => {
            let Some(a) = plan.iter_mut().find(|a| &a.id == assignment && a.service == c.service) else {
                return CancelOutcome::UnknownAssignment;
            };
            match (&a.schedule, &a.status) {
                (_, AssignmentStatus::Lapsed { cancellation, .. }) if cancellation == &c.message_id => {
                    CancelOutcome::AlreadyApplied
                }
                (Schedule::Regular, _) => CancelOutcome::RegularRefused(a.id.clone()),
                (Schedule::Dated { .. }, _) => {
                    a.lapse(&c.message_id);
                    CancelOutcome::Lapsed(a.id.clone())
                }
            }
        }
        CancelScope::Period { period } => {
            let (mut lapsed, mut paused) = (vec![], vec![]);
            for a in plan.iter_mut().filter(|a| a.service == c.service) {
                match (a.start(), &mut a.status) {
                    (Some(start), status) if period.contains(start) => match status {
                        AssignmentStatus::Assigned => {
                            a.lapse(&c.message_id);
                            lapsed.push(a.id.clone());
                        }
                        AssignmentStatus::Lapsed { cancellation, .. } if cancellation == &c.message_id => {
                            lapsed.push(a.id.clone());
                        }
                        _ => {}
                    },
                    (Some(_), _) => {}
                    // A regular visit recurs through the period: it pauses for it.
                    (None, AssignmentStatus::Paused { pauses }) => {
                        if !pauses.iter().any(|p| p.cancellation == c.message_id) {
                            pauses.push(Pause { period: *period, cancellation: c.message_id.clone() });
                        }
                        paused.push(a.id.clone());
                    }
                    (None, _) => {
                        a.status = AssignmentStatus::Paused {
                            pauses: vec![Pause { period: *period, cancellation: c.message_id.clone() }],
                        };
                        paused.push(a.id.clone());
                    }
                }
            }
            CancelOutcome::Paused { period: *period, lapsed, paused }
        }
    }
}

/// A cancellation that re-dating made uncertain: staff must decide (R-APT-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedateFlag {
    /// The assignment that moved.
    pub assignment: AssignmentId,
    /// The cancellation's message id.
    pub cancellation: String,
}

/// R-APT-5, doing better than the anchor: after the plan is re-dated (replaced by `plan`),
/// re-applies the kept cancellations. A cancelled assignment still at its cancelled time lapses
/// again; one that moved to another time is flagged for staff instead of silently losing the
/// cancellation; period cancellations lapse whatever now falls in their period.
pub fn reapply_cancellations(plan: &mut [Assignment], kept: &[Cancellation]) -> Vec<RedateFlag> {
    let mut flags = vec![];
    for c in kept {
        match &c.scope {
            CancelScope::One { assignment, start } => {
                let Some(a) = plan.iter_mut().find(|a| &a.id == assignment && a.service == c.service) else {
                    continue; // no longer on the plan: nothing to mark
                };
                if a.start().is_some() && a.start() == *start {
                    a.lapse(&c.message_id);
                } else {
                    flags.push(RedateFlag { assignment: a.id.clone(), cancellation: c.message_id.clone() });
                }
            }
            CancelScope::Period { .. } => {
                cancel(plan, c);
            }
        }
    }
    flags
}
