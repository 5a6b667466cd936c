//! Work-plan assignments shown on Helsenorge and the citizen's cancellations (R-APT-1..5).
//!
//! Times are Europe/Oslo wall-clock for people and UTC instants for storage; conversion goes
//! through [`oslo`] so daylight-saving changes are handled by the time-zone database.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use serde::{Deserialize, Serialize};

use super::org::ServiceKey;

mod cancel;
pub use cancel::{CancelOutcome, CancelScope, Cancellation, RedateFlag, cancel, reapply_cancellations};

/// The text a dated assignment gets when the citizen cancels it on Helsenorge (R-APT-2).
pub const CANCELLED_TEXT: &str = "Avbestilt Helse_Norge";

/// The return message for a refused cancellation of a regular assignment (R-APT-3).
pub const REGULAR_REFUSED_TEXT: &str = "Faste avtaler kan ikke avbestilles enkeltvis. \
For å avbestille flere avtaler, velg «Avbestill flere avtaler» på Helsenorge og oppgi perioden \
du ønsker å avbestille. Tjenesten settes da på pause i perioden.";

/// The Europe/Oslo time zone (bundled, so it works on a Lambda image without tzdata).
pub fn oslo() -> TimeZone {
    jiff::tz::get!("Europe/Oslo")
}

/// An Oslo wall-clock time as an instant. In the autumn's repeated hour the earlier instant is
/// taken; a time in the spring's skipped hour is moved forward (jiff's "compatible" rule).
pub fn oslo_instant(local: DateTime) -> Result<Timestamp, jiff::Error> {
    Ok(local.to_zoned_datetime(oslo())?.timestamp())
}

/// An instant as Oslo wall-clock time.
pub fn to_oslo(at: Timestamp) -> ZonedDateTime {
    at.to_zoned_datetime(oslo())
}

/// The EPJ's id of an assignment (oppdrag).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AssignmentId(pub String);

/// When an assignment takes place (R-APT-1).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Schedule {
    /// A dated visit: shown as "assigned" with time, text and employee.
    #[serde(rename_all = "camelCase")]
    Dated {
        /// Start, as an instant.
        start: Timestamp,
        /// The assigned employee's display name (shown to the citizen).
        employee: String,
    },
    /// A regular, recurring visit without a date: shown as "regular", no employee.
    Regular,
}

impl std::fmt::Debug for Schedule {
    /// The employee's name shows only its size.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dated { start, employee } => {
                f.debug_struct("Dated").field("start", start).field("employee", &super::masked::Masked(employee)).finish()
            }
            Self::Regular => f.write_str("Regular"),
        }
    }
}

/// The status of an assignment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum AssignmentStatus {
    /// On the plan.
    Assigned,
    /// Lapsed (utgår) because of a cancellation.
    #[serde(rename_all = "camelCase")]
    Lapsed {
        /// The lapse text (`Avbestilt Helse_Norge`).
        text: String,
        /// The Helsenorge message id of the cancellation.
        cancellation: String,
    },
    /// A regular assignment paused for the periods the citizen cancelled (R-APT-4); it carries
    /// on outside them.
    Paused {
        /// The pauses, one per period cancellation.
        pauses: Vec<Pause>,
    },
}

/// One period a regular assignment is paused for (R-APT-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pause {
    /// The cancelled period.
    pub period: Period,
    /// The Helsenorge message id of the period cancellation.
    pub cancellation: String,
}

/// An assignment on the work plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    /// The EPJ's id.
    pub id: AssignmentId,
    /// The service it belongs to.
    pub service: ServiceKey,
    /// When.
    pub schedule: Schedule,
    /// The text shown.
    pub text: String,
    /// Assigned or lapsed.
    pub status: AssignmentStatus,
}

/// What Helsenorge shows for an assignment (R-APT-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "shownAs", rename_all = "kebab-case")]
pub enum Shown<'a> {
    /// Dated: time, text and employee.
    Assigned {
        /// Start in Oslo time.
        start: String,
        /// Text.
        text: &'a str,
        /// Employee.
        employee: &'a str,
    },
    /// Regular: text only, never an employee.
    Regular {
        /// Text.
        text: &'a str,
    },
    /// Lapsed (cancelled).
    Lapsed {
        /// The lapse text.
        text: &'a str,
    },
    /// Regular, paused for cancelled periods (R-APT-4): text and the paused Oslo days.
    Paused {
        /// Text.
        text: &'a str,
        /// Each pause as `first day – last day` (Oslo dates, both included).
        paused: Vec<String>,
    },
}

impl Assignment {
    /// R-APT-1: how the assignment is shown on Helsenorge.
    pub fn shown(&self) -> Shown<'_> {
        match (&self.status, &self.schedule) {
            (AssignmentStatus::Lapsed { text, .. }, _) => Shown::Lapsed { text },
            (AssignmentStatus::Assigned, Schedule::Dated { start, employee }) => Shown::Assigned {
                start: to_oslo(*start).strftime("%Y-%m-%d %H:%M").to_string(),
                text: &self.text,
                employee,
            },
            (AssignmentStatus::Assigned, Schedule::Regular) => Shown::Regular { text: &self.text },
            (AssignmentStatus::Paused { pauses }, _) => Shown::Paused {
                text: &self.text,
                paused: pauses.iter().map(|p| p.period.oslo_days_text()).collect(),
            },
        }
    }

    fn lapse(&mut self, cancellation: &str) {
        self.status =
            AssignmentStatus::Lapsed { text: CANCELLED_TEXT.to_string(), cancellation: cancellation.to_string() };
    }

    fn start(&self) -> Option<Timestamp> {
        match self.schedule {
            Schedule::Dated { start, .. } => Some(start),
            Schedule::Regular => None,
        }
    }
}

/// Why a period is not acceptable (R-APT-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    /// The end is before the start.
    #[error("the period ends before it starts")]
    Reversed,
    /// The start and the end are the same instant.
    #[error("the period is empty")]
    Empty,
    /// A bound is not a representable Oslo time.
    #[error("the period's dates are out of range")]
    OutOfRange,
}

/// A half-open period `[from, to)` of instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawPeriod")]
pub struct Period {
    from: Timestamp,
    to: Timestamp,
}

#[derive(Deserialize)]
struct RawPeriod {
    from: Timestamp,
    to: Timestamp,
}

impl TryFrom<RawPeriod> for Period {
    type Error = PeriodError;
    fn try_from(r: RawPeriod) -> Result<Self, PeriodError> {
        Period::new(r.from, r.to)
    }
}

impl Period {
    /// A period from `from` (inclusive) to `to` (exclusive); reversed or empty is refused.
    pub fn new(from: Timestamp, to: Timestamp) -> Result<Self, PeriodError> {
        if to < from {
            return Err(PeriodError::Reversed);
        }
        if to == from {
            return Err(PeriodError::Empty);
        }
        Ok(Self { from, to })
    }

    /// The Oslo days `first..=last` as a period: from midnight of `first` to midnight after
    /// `last`, Oslo time (a day across a DST change is 23 or 25 hours long).
    pub fn oslo_days(first: Date, last: Date) -> Result<Self, PeriodError> {
        if last < first {
            return Err(PeriodError::Reversed);
        }
        let end = last.tomorrow().map_err(|_| PeriodError::OutOfRange)?;
        let from = oslo_instant(first.to_datetime(jiff::civil::Time::midnight())).map_err(|_| PeriodError::OutOfRange)?;
        let to = oslo_instant(end.to_datetime(jiff::civil::Time::midnight())).map_err(|_| PeriodError::OutOfRange)?;
        Self::new(from, to)
    }

    /// Start (inclusive).
    pub fn from(&self) -> Timestamp {
        self.from
    }

    /// End (exclusive).
    pub fn to(&self) -> Timestamp {
        self.to
    }

    /// Whether `at` lies in the period.
    pub fn contains(&self, at: Timestamp) -> bool {
        self.from <= at && at < self.to
    }

    /// `first – last` as Oslo dates, both included (the end is exclusive).
    fn oslo_days_text(&self) -> String {
        let last = self.to.checked_sub(jiff::SignedDuration::from_nanos(1)).unwrap_or(self.to);
        format!("{} – {}", to_oslo(self.from).date(), to_oslo(last).date())
    }
}

#[cfg(test)]
mod tests;
