//! Work-plan assignments shown on Helsenorge and the citizen's cancellations (R-APT-1..5).
//!
//! Times are Europe/Oslo wall-clock for people and UTC instants for storage; conversion goes
//! through [`oslo`] so daylight-saving changes are handled by the time-zone database.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ZonedDateTime};
use serde::{Deserialize, Serialize};

use super::org::ServiceKey;

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    /// [`REGULAR_REFUSED_TEXT`] back (also to inbox, journal and dialog).
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

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;
    use proptest::prelude::*;

    fn key() -> ServiceKey {
        ServiceKey::parse("115", "HS").unwrap()
    }

    fn dated(id: &str, start: Timestamp) -> Assignment {
        Assignment {
            id: AssignmentId(id.into()),
            service: key(),
            schedule: Schedule::Dated { start, employee: "Kari".into() },
            text: "Morgenstell".into(),
            status: AssignmentStatus::Assigned,
        }
    }

    fn regular(id: &str) -> Assignment {
        Assignment {
            id: AssignmentId(id.into()),
            service: key(),
            schedule: Schedule::Regular,
            text: "Fast tilsyn".into(),
            status: AssignmentStatus::Assigned,
        }
    }

    fn at(local: &str) -> Timestamp {
        oslo_instant(local.parse().unwrap()).unwrap()
    }

    fn one(msg: &str, a: &Assignment) -> Cancellation {
        Cancellation {
            message_id: msg.into(),
            service: key(),
            scope: CancelScope::One { assignment: a.id.clone(), start: a.start() },
            received_at: at("2026-03-01T08:00"),
        }
    }

    #[test]
    fn r_apt_1_dated_shows_employee_regular_does_not() {
        let d = dated("a1", at("2026-03-02T09:30"));
        assert_eq!(
            d.shown(),
            Shown::Assigned { start: "2026-03-02 09:30".into(), text: "Morgenstell", employee: "Kari" }
        );
        let json = serde_json::to_value(regular("r1").shown()).unwrap();
        assert_eq!(json["shownAs"], "regular");
        assert!(json.get("employee").is_none());
    }

    #[test]
    fn r_apt_2_cancel_one_dated_lapses_it_with_the_text() {
        let mut plan = vec![dated("a1", at("2026-03-02T09:30")), dated("a2", at("2026-03-03T09:30"))];
        let c = one("m1", &plan[0].clone());
        assert_eq!(cancel(&mut plan, &c), CancelOutcome::Lapsed(AssignmentId("a1".into())));
        assert_eq!(
            plan[0].status,
            AssignmentStatus::Lapsed { text: CANCELLED_TEXT.into(), cancellation: "m1".into() }
        );
        assert_eq!(plan[1].status, AssignmentStatus::Assigned);
        assert_eq!(cancel(&mut plan, &c), CancelOutcome::AlreadyApplied, "redelivery");
    }

    #[test]
    fn r_apt_3_cancel_one_regular_is_refused_and_nothing_changes() {
        let mut plan = vec![regular("r1")];
        let before = plan.clone();
        let c = one("m1", &plan[0].clone());
        assert_eq!(cancel(&mut plan, &c), CancelOutcome::RegularRefused(AssignmentId("r1".into())));
        assert_eq!(plan, before);
        assert!(REGULAR_REFUSED_TEXT.contains("flere avtaler"));
    }

    #[test]
    fn r_apt_4_cancel_period_lapses_dated_and_pauses_regular_assignments() {
        let mut plan = vec![
            dated("before", at("2026-03-01T23:59")),
            dated("first", at("2026-03-02T00:00")),
            dated("last", at("2026-03-04T23:59")),
            dated("after", at("2026-03-05T00:00")),
            regular("r1"),
        ];
        let period = Period::oslo_days(date(2026, 3, 2), date(2026, 3, 4)).unwrap();
        let c = Cancellation {
            message_id: "m2".into(),
            service: key(),
            scope: CancelScope::Period { period },
            received_at: at("2026-03-01T08:00"),
        };
        let CancelOutcome::Paused { lapsed, paused, .. } = cancel(&mut plan, &c) else { panic!("paused") };
        assert_eq!(lapsed, vec![AssignmentId("first".into()), AssignmentId("last".into())]);
        assert_eq!(plan[0].status, AssignmentStatus::Assigned);
        assert_eq!(plan[3].status, AssignmentStatus::Assigned);
        assert_eq!(paused, vec![AssignmentId("r1".into())], "the regular visit pauses too");
        assert_eq!(plan[4].status, AssignmentStatus::Paused { pauses: vec![Pause { period, cancellation: "m2".into() }] });
        assert_eq!(
            serde_json::to_value(plan[4].shown()).unwrap(),
            serde_json::json!({"shownAs": "paused", "text": "Fast tilsyn", "paused": ["2026-03-02 – 2026-03-04"]})
        );
        let again = cancel(&mut plan, &c);
        assert_eq!(
            again,
            CancelOutcome::Paused { period, lapsed: lapsed.clone(), paused: paused.clone() },
            "a redelivery computes the same writes"
        );
        assert_eq!(plan[4].status, AssignmentStatus::Paused { pauses: vec![Pause { period, cancellation: "m2".into() }] });
    }

    #[test]
    fn r_apt_4_reversed_or_empty_periods_are_rejected() {
        assert_eq!(Period::oslo_days(date(2026, 3, 4), date(2026, 3, 2)), Err(PeriodError::Reversed));
        let t = at("2026-03-02T10:00");
        assert_eq!(Period::new(t, t), Err(PeriodError::Empty));
        let bad = serde_json::from_str::<Period>(r#"{"from":"2026-03-05T00:00:00Z","to":"2026-03-01T00:00:00Z"}"#);
        assert!(bad.is_err());
    }

    #[test]
    fn r_apt_4_oslo_days_across_dst_changes() {
        // Spring forward 2026-03-29: that day has 23 hours; autumn back 2026-10-25: 25 hours.
        let spring = Period::oslo_days(date(2026, 3, 29), date(2026, 3, 29)).unwrap();
        assert_eq!(spring.to().duration_since(spring.from()).as_hours(), 23);
        let autumn = Period::oslo_days(date(2026, 10, 25), date(2026, 10, 25)).unwrap();
        assert_eq!(autumn.to().duration_since(autumn.from()).as_hours(), 25);
        assert_eq!(autumn.from().to_string(), "2026-10-24T22:00:00Z");
        // 02:30 on spring-forward day does not exist in Oslo; it is moved forward, not lost.
        let skipped = at("2026-03-29T02:30");
        assert!(spring.contains(skipped));
    }

    #[test]
    fn r_apt_5_redating_reapplies_or_flags_kept_cancellations() {
        let mut plan = vec![dated("a1", at("2026-03-02T09:30")), dated("a2", at("2026-03-03T09:30"))];
        let c1 = one("m1", &plan[0].clone());
        let c2 = one("m2", &plan[1].clone());
        cancel(&mut plan, &c1);
        cancel(&mut plan, &c2);
        // The EPJ re-dates: a fresh plan without lapsed marks; a2 moved to another day.
        let mut redated = vec![dated("a1", at("2026-03-02T09:30")), dated("a2", at("2026-03-06T09:30"))];
        let flags = reapply_cancellations(&mut redated, &[c1, c2]);
        assert!(matches!(redated[0].status, AssignmentStatus::Lapsed { .. }));
        assert_eq!(redated[1].status, AssignmentStatus::Assigned, "moved: not guessed");
        assert_eq!(flags, vec![RedateFlag { assignment: AssignmentId("a2".into()), cancellation: "m2".into() }]);
    }

    proptest! {
        /// R-APT-5: whatever re-dating does, no kept cancellation is lost: each one is either
        /// applied again (its assignment lapsed), flagged for staff, or its assignment is gone.
        #[test]
        fn r_apt_5_cancellations_never_lost_across_redating(
            starts in prop::collection::vec(0i64..(24 * 30), 1..12),
            cancel_mask in prop::collection::vec(any::<bool>(), 12),
            moves in prop::collection::vec(prop::option::of(-48i64..48), 12),
            keep in prop::collection::vec(any::<bool>(), 12),
            period in prop::option::of((0i64..(24 * 30), 1i64..72)),
        ) {
            let base = at("2026-03-01T00:00");
            let hour = |h: i64| base.checked_add(jiff::SignedDuration::from_hours(h)).unwrap();
            let mut plan: Vec<Assignment> =
                starts.iter().enumerate().map(|(i, h)| dated(&format!("a{i}"), hour(*h))).collect();
            let mut kept = vec![];
            for (i, a) in plan.clone().iter().enumerate() {
                if cancel_mask[i] {
                    let c = one(&format!("m{i}"), a);
                    cancel(&mut plan, &c);
                    kept.push(c);
                }
            }
            if let Some((from, len)) = period {
                let p = Period::new(hour(from), hour(from + len)).unwrap();
                let c = Cancellation { message_id: "mp".into(), service: key(),
                    scope: CancelScope::Period { period: p }, received_at: base };
                cancel(&mut plan, &c);
                kept.push(c);
            }
            // Re-date: fresh statuses, some assignments moved, some removed.
            let mut redated: Vec<Assignment> = starts.iter().enumerate()
                .filter(|(i, _)| keep[*i])
                .map(|(i, h)| dated(&format!("a{i}"), hour(h + moves[i].unwrap_or(0))))
                .collect();
            let flags = reapply_cancellations(&mut redated, &kept);
            for c in &kept {
                match &c.scope {
                    CancelScope::One { assignment, .. } => {
                        if let Some(a) = redated.iter().find(|a| &a.id == assignment) {
                            let lapsed = matches!(&a.status, AssignmentStatus::Lapsed { .. });
                            let flagged = flags.iter().any(|f| &f.assignment == assignment && f.cancellation == c.message_id);
                            prop_assert!(lapsed || flagged, "cancellation {} lost", c.message_id);
                        }
                    }
                    CancelScope::Period { period } => {
                        for a in &redated {
                            if a.start().is_some_and(|s| period.contains(s)) {
                                prop_assert!(matches!(a.status, AssignmentStatus::Lapsed { .. }), "period cancellation lost");
                            }
                        }
                    }
                }
            }
        }
    }
}
