//! Tests of `appointment`.

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
