//! The status-icon use case on in-memory adapters: every icon, the deadline, the circuit
//! breaker, the last known icon, and the request parser.

use std::time::{Duration, Instant};

use jiff::SignedDuration;
use shared::adapters::memory::{AktivMode, ManualClock, MemoryDb};
use shared::app::icon::{BreakerConfig, CircuitBreaker, IconService, NoIconReason, QueryError, parse_query};
use shared::domain::consent::{AktivFacts, CitizenRecord};
use shared::domain::{IdMode, NationalIdError, StatusIcon};
use shared::fixtures::{CITIZEN, id, ts};

type Service = IconService<MemoryDb, MemoryDb, ManualClock>;

fn service(db: &MemoryDb, clock: &ManualClock, deadline_ms: u64) -> Service {
    IconService {
        aktiv: db.clone(),
        citizens: db.clone(),
        clock: clock.clone(),
        deadline: Duration::from_millis(deadline_ms),
        breaker: CircuitBreaker::new(BreakerConfig { failures_to_open: 3, cool_down: SignedDuration::from_secs(30) }),
    }
}

fn facts(selv: bool, via: bool, fullmakt: bool) -> AktivFacts {
    AktivFacts { er_digitalt_aktiv_selv: selv, er_digitalt_aktiv_via_andre: via, tildelt_fullmakt: fullmakt }
}

/// The icon the use case gives a citizen NHN answers `f` for (none: NHN does not know them).
async fn icon_of(f: Option<AktivFacts>) -> shared::app::icon::IconAnswer {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-01T10:00:00Z"));
    if let Some(f) = f {
        db.state().aktiv.insert(id(CITIZEN), f);
    }
    service(&db, &clock, 500).icons(&[id(CITIZEN)]).await.remove(0)
}

#[tokio::test]
async fn r_icon_1_withdrawn_after_consent_and_a_message_is_not_digitally_active() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-01T10:00:00Z"));
    let d = id("02013299997");
    {
        let mut s = db.state();
        s.aktiv.insert(d.clone(), facts(false, false, false));
        let mut rec = CitizenRecord::new(d.clone());
        rec.apply_sync(facts(true, false, false), ts("2026-01-01T02:00:00Z"));
        rec.last_message_at = Some(ts("2026-01-05T10:00:00Z"));
        rec.apply_sync(facts(false, false, false), ts("2026-02-01T02:00:00Z"));
        s.citizens.insert(d.clone(), rec);
    }
    assert_eq!(service(&db, &clock, 500).icons(&[d]).await[0].icon, StatusIcon::NotDigitallyActive);
}

#[tokio::test]
async fn r_icon_2_consented_without_representation_is_digitally_active() {
    assert_eq!(icon_of(Some(facts(true, false, false))).await.icon, StatusIcon::DigitallyActive);
}

#[tokio::test]
async fn r_icon_3_consented_and_represented_is_active_self_and_via_others() {
    assert_eq!(icon_of(Some(facts(true, true, false))).await.icon, StatusIcon::DigitallyActiveSelfAndViaOthers);
}

#[tokio::test]
async fn r_icon_4_represented_and_not_active_self_is_active_via_others() {
    assert_eq!(icon_of(Some(facts(false, true, false))).await.icon, StatusIcon::DigitallyActiveViaOthers);
}

#[tokio::test]
async fn r_icon_5_assigned_power_of_attorney_and_active_self() {
    assert_eq!(icon_of(Some(facts(true, false, true))).await.icon, StatusIcon::LacksConsentCompetenceActiveSelf);
}

#[tokio::test]
async fn r_icon_6_assigned_power_of_attorney_and_not_active_self() {
    assert_eq!(icon_of(Some(facts(false, true, true))).await.icon, StatusIcon::LacksConsentCompetenceNotActiveSelf);
}

#[tokio::test]
async fn r_icon_7_no_consent_is_no_icon_and_not_because_nhn_was_down() {
    let none = icon_of(None).await;
    assert_eq!(none.icon, StatusIcon::NoIcon, "no consent: no icon");
    assert_eq!(none.reason, None, "and not because NHN was down");
}

#[tokio::test]
async fn r_icon_7_a_hanging_nhn_is_answered_no_icon_within_the_deadline_with_the_last_known_icon() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-01T10:00:00Z"));
    let a = id(CITIZEN);
    {
        let mut s = db.state();
        s.aktiv_mode = AktivMode::Hang;
        let mut rec = CitizenRecord::new(a.clone());
        rec.apply_sync(facts(true, false, false), ts("2026-03-01T02:00:00Z"));
        s.citizens.insert(a.clone(), rec);
    }
    let svc = service(&db, &clock, 200);
    let started = Instant::now();
    let answer = svc.icons(std::slice::from_ref(&a)).await.remove(0);
    let took = started.elapsed();
    println!("hanging HelsenorgeAktiv answered in {took:?} with a 200 ms deadline");
    assert!(took < Duration::from_secs(2), "took {took:?}");
    assert_eq!(answer.icon, StatusIcon::NoIcon);
    assert_eq!(answer.reason, Some(NoIconReason::LookupUnavailable));
    let last = answer.last_known.expect("last known icon from the nightly sync");
    assert_eq!(last.icon, StatusIcon::DigitallyActive);
    assert_eq!(last.synced_at, ts("2026-03-01T02:00:00Z"));
}

#[tokio::test]
async fn r_icon_7_the_circuit_opens_after_repeated_failures_and_closes_after_the_cool_down() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-01T10:00:00Z"));
    let a = id(CITIZEN);
    db.state().aktiv_mode = AktivMode::Fail;
    db.state().aktiv.insert(a.clone(), facts(true, false, false));
    let svc = service(&db, &clock, 500);
    for _ in 0..3 {
        assert_eq!(svc.icons(std::slice::from_ref(&a)).await[0].reason, Some(NoIconReason::LookupUnavailable));
    }
    assert_eq!(db.state().aktiv_calls.len(), 3);
    // Open: answered at once without calling NHN.
    db.state().aktiv_mode = AktivMode::Normal;
    assert_eq!(svc.icons(std::slice::from_ref(&a)).await[0].reason, Some(NoIconReason::LookupUnavailable));
    assert_eq!(db.state().aktiv_calls.len(), 3, "no call while open");
    // After the cool-down one trial goes through and closes it.
    clock.set(ts("2026-03-01T10:00:31Z"));
    assert_eq!(svc.icons(std::slice::from_ref(&a)).await[0].icon, StatusIcon::DigitallyActive);
    assert_eq!(db.state().aktiv_calls.len(), 4);
}

#[tokio::test]
async fn r_icon_1_live_facts_without_consent_after_a_recorded_consent_show_not_digitally_active_at_once() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-01T10:00:00Z"));
    let a = id(CITIZEN);
    {
        let mut s = db.state();
        // Consent recorded by last night's sync, a message since; withdrawn this morning on
        // Helsenorge: the next sync has not run, so no withdrawal is recorded yet.
        let mut rec = CitizenRecord::new(a.clone());
        rec.apply_sync(facts(true, false, false), ts("2026-03-01T02:00:00Z"));
        rec.last_message_at = Some(ts("2026-03-01T08:00:00Z"));
        assert_eq!(rec.consent_withdrawn_at, None);
        s.citizens.insert(a.clone(), rec);
        s.aktiv.insert(a.clone(), facts(false, false, false));
    }
    let answer = service(&db, &clock, 500).icons(std::slice::from_ref(&a)).await.remove(0);
    assert_eq!(answer.icon, StatusIcon::NotDigitallyActive);
    assert_eq!(answer.reason, None);
}

#[test]
fn r_icon_7_half_open_breaker_lets_exactly_one_trial_through() {
    let breaker = CircuitBreaker::new(BreakerConfig { failures_to_open: 2, cool_down: SignedDuration::from_secs(30) });
    let t0 = ts("2026-03-01T10:00:00Z");
    let at = |secs: i64| t0.checked_add(SignedDuration::from_secs(secs)).unwrap();
    breaker.failure(t0);
    assert!(breaker.allows(t0), "one failure: still closed");
    breaker.failure(t0);
    assert!(!breaker.allows(at(29)), "open during the cool-down");
    assert!(breaker.allows(at(30)), "half-open: the trial");
    assert!(!breaker.allows(at(30)) && !breaker.allows(at(45)), "the rest keep the fast answer");
    breaker.failure(at(46));
    assert!(!breaker.allows(at(75)), "the trial failed: open for a new cool-down");
    assert!(breaker.allows(at(76)), "the next trial");
    assert!(!breaker.allows(at(77)));
    assert!(breaker.allows(at(106)), "a trial that never reported frees its slot after a cool-down");
    breaker.success();
    assert!(breaker.allows(at(107)) && breaker.allows(at(107)), "closed again");
}

#[tokio::test(start_paused = true)]
async fn r_icon_7_after_the_cool_down_one_trial_goes_to_nhn_and_concurrent_lookups_stay_no_icon() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-01T10:00:00Z"));
    let a = id(CITIZEN);
    db.state().aktiv.insert(a.clone(), facts(true, false, false));
    db.state().aktiv_mode = AktivMode::Fail;
    let svc = service(&db, &clock, 500);
    for _ in 0..3 {
        svc.icons(std::slice::from_ref(&a)).await;
    }
    assert_eq!(db.state().aktiv_calls.len(), 3, "open after three failures");
    // The cool-down ends while NHN still hangs: ten lookups arrive together.
    clock.advance(SignedDuration::from_secs(31));
    db.state().aktiv_mode = AktivMode::Hang;
    let lookups = (0..10).map(|_| svc.icons(std::slice::from_ref(&a)));
    let answers = futures::future::join_all(lookups).await;
    assert_eq!(db.state().aktiv_calls.len(), 4, "exactly one trial call went to NHN");
    assert!(answers.iter().all(|x| x[0].icon == StatusIcon::NoIcon && x[0].reason == Some(NoIconReason::LookupUnavailable)));
    // The trial timed out: open again, no call.
    db.state().aktiv_mode = AktivMode::Normal;
    svc.icons(std::slice::from_ref(&a)).await;
    assert_eq!(db.state().aktiv_calls.len(), 4, "open again after the failed trial");
    // The next cool-down: the trial succeeds and closes the circuit.
    clock.advance(SignedDuration::from_secs(31));
    assert_eq!(svc.icons(std::slice::from_ref(&a)).await[0].icon, StatusIcon::DigitallyActive);
    assert_eq!(svc.icons(std::slice::from_ref(&a)).await[0].icon, StatusIcon::DigitallyActive);
    assert_eq!(db.state().aktiv_calls.len(), 6, "closed: every lookup calls NHN");
}

#[test]
fn r_icon_7_query_parser_limits_and_never_echoes_an_id() {
    let ids: Vec<String> = (0..1000).map(|_| CITIZEN.to_string()).collect();
    let body = serde_json::json!({ "nationalIds": ids }).to_string();
    assert_eq!(parse_query(body.as_bytes(), true, IdMode::Production).unwrap().len(), 1000);
    let ids: Vec<String> = (0..1001).map(|_| CITIZEN.to_string()).collect();
    let body = serde_json::json!({ "nationalIds": ids }).to_string();
    assert_eq!(parse_query(body.as_bytes(), true, IdMode::Production), Err(QueryError::TooMany(1001)));
    let bad = serde_json::json!({ "nationalIds": [CITIZEN, "30108299921"] }).to_string();
    let err = parse_query(bad.as_bytes(), true, IdMode::Production).unwrap_err();
    assert_eq!(err, QueryError::InvalidId { position: 2, reason: NationalIdError::ControlDigit });
    assert!(!err.to_string().contains("3010829992"));
    let one = serde_json::json!({ "nationalId": CITIZEN }).to_string();
    assert_eq!(parse_query(one.as_bytes(), false, IdMode::Production).unwrap(), vec![id(CITIZEN)]);
    let malformed = parse_query(br#"{"nationalId": 30108299920}"#, false, IdMode::Production).unwrap_err();
    assert!(matches!(malformed, QueryError::Malformed(_)));
    assert!(!malformed.to_string().contains("30108299920"), "{malformed}");
    assert_eq!(parse_query(br#"{"nationalIds": []}"#, true, IdMode::Production), Err(QueryError::Empty));
}
