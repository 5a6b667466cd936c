//! The inbound use case on in-memory adapters: every rule it enforces, fast.

use jiff::SignedDuration;
use serde_json::json;
use shared::adapters::memory::{ManualClock, MemoryDb};
use shared::app::pipeline::{Answered, Pipeline};
use shared::domain::reply::OutboundMessage;
use shared::app::inbound::{InboundError, InboundService, Outcome, SEND_LEASE};
use shared::domain::appointment::{AssignmentStatus, CANCELLED_TEXT, REGULAR_REFUSED_TEXT};
use shared::domain::message::{Author, EntryKind, InboundEnvelope, OutMessage};
use shared::domain::receipt::{AppRecStatus, KithErrorCode, ReceiptFact};
use shared::domain::{IdMode, ServiceKey};
use shared::error::Retryable;
use shared::fixtures::{self, CITIZEN, REPRESENTATIVE, consented_citizen, id, service, ts, usable_activation};
use shared::ports::Inspect;

type Service = InboundService<MemoryDb, MemoryDb, MemoryDb, MemoryDb, MemoryDb, MemoryDb, ManualClock>;

fn setup() -> (Service, MemoryDb, ManualClock) {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-01T10:00:05Z"));
    {
        let mut s = db.state();
        s.citizens.insert(id(CITIZEN), consented_citizen(CITIZEN, &service()));
        s.activations.insert(service(), usable_activation(&service()));
    }
    let svc = InboundService {
        gate: db.clone(),
        appointments: db.clone(),
        outbound: db.clone(),
        pipeline: Pipeline {
            messages: db.clone(),
            outbox: db.clone(),
            dead_letters: db.clone(),
            clock: clock.clone(),
            source_queue: "InboundQueue".into(),
        },
        id_mode: IdMode::Production,
    };
    (svc, db, clock)
}

/// Processes one body the way the handler does: process, then send what is pending.
async fn run(svc: &Service, message: &InboundEnvelope) -> Result<Outcome, InboundError> {
    let outcome = svc.process_envelope(message.clone(), &|o| Some(o)).await?;
    if let Some(p) = outcome.pending() {
        let unsent = svc.pipeline.send_pending(&[p]).await?;
        assert!(unsent.is_empty());
    }
    Ok(outcome)
}

fn apprecs(db: &MemoryDb) -> Vec<shared::domain::AppRec> {
    db.state()
        .sent
        .iter()
        .filter_map(|o| match &o.message {
            OutMessage::Apprec(a) => Some(a.clone()),
            _ => None,
        })
        .collect()
}

/// Domain input, written as JSON for brevity (the queue itself carries KITH XML only).
fn envelope(message_id: &str, message: serde_json::Value) -> InboundEnvelope {
    let v = json!({"version": 1, "messageId": message_id, "sentAt": "2026-03-01T10:00:00Z", "message": message});
    serde_json::from_value(v).expect("valid domain input")
}

#[tokio::test]
async fn r_in_1_admitted_message_is_journaled_and_delivered_to_the_inbox_graded_aj() {
    let (svc, db, _) = setup();
    let out = run(&svc, &fixtures::dialog("hn-1", CITIZEN, &service())).await.unwrap();
    assert!(matches!(out, Outcome::Delivered(_)));
    let journal = db.journal(&id(CITIZEN)).await.unwrap();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].grading, "AJ");
    assert_eq!(journal[0].author, Author::Citizen);
    let inbox = db.inbox(&service().department).await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].grading, "AJ");
    assert_eq!(apprecs(&db), vec![shared::domain::AppRec::ok("hn-1")]);
    assert!(db.state().processed["hn-1"].sent);
    assert!(db.state().citizens[&id(CITIZEN)].last_message_at.is_some(), "history for R-ICON-1");
}

#[tokio::test]
async fn r_in_2_each_gate_rejection_answers_with_its_code_and_delivers_nothing() {
    let other = ServiceKey::parse("116", "HS").unwrap();
    type Prepare = Box<dyn Fn(&MemoryDb)>;
    let cases: Vec<(&str, Prepare, ServiceKey, KithErrorCode)> = vec![
        ("unknown", Box::new(|db: &MemoryDb| { db.state().citizens.clear(); }), service(), KithErrorCode::E35),
        (
            "no-consent",
            Box::new(|db: &MemoryDb| {
                let mut s = db.state();
                let c = s.citizens.get_mut(&id(CITIZEN)).unwrap();
                c.apply_sync(Default::default(), ts("2026-02-01T02:00:00Z"));
            }),
            service(),
            KithErrorCode::E35,
        ),
        ("not-received", Box::new(|_: &MemoryDb| {}), other.clone(), KithErrorCode::E35),
        ("not-activated", Box::new(|db: &MemoryDb| { db.state().activations.clear(); }), service(), KithErrorCode::E21),
        (
            "not-synced",
            Box::new(|db: &MemoryDb| {
                db.state().activations.get_mut(&service()).unwrap().synced_at = None;
            }),
            service(),
            KithErrorCode::E21,
        ),
    ];
    for (name, prepare, svc_key, code) in cases {
        let (svc, db, _) = setup();
        prepare(&db);
        let out = run(&svc, &fixtures::dialog(&format!("hn-{name}"), CITIZEN, &svc_key)).await.unwrap();
        assert!(matches!(out, Outcome::Rejected(_, c) if c == code), "{name}: {out:?}");
        let recs = apprecs(&db);
        assert_eq!(recs.len(), 1, "{name}: one receipt");
        assert_eq!(recs[0].status, AppRecStatus::Rejected);
        assert_eq!(recs[0].errors[0].code, code, "{name}");
        assert!(!recs[0].errors[0].reason.is_empty());
        assert!(db.state().journal.is_empty() && db.state().inbox.is_empty(), "{name}: nothing delivered");
    }
}

#[tokio::test]
async fn r_in_3_redelivered_message_is_journaled_once() {
    let (svc, db, _) = setup();
    let body = fixtures::dialog("hn-dup", CITIZEN, &service());
    assert!(matches!(run(&svc, &body).await.unwrap(), Outcome::Delivered(_)));
    for _ in 0..5 {
        assert_eq!(run(&svc, &body).await.unwrap(), Outcome::Duplicate);
    }
    assert_eq!(db.journal(&id(CITIZEN)).await.unwrap().len(), 1);
    assert_eq!(db.inbox(&service().department).await.unwrap().len(), 1);
    assert_eq!(apprecs(&db).len(), 1);
}

#[tokio::test]
async fn r_in_3_concurrent_deliveries_yield_one_of_everything() {
    let (svc, db, _) = setup();
    let body = fixtures::dialog("hn-conc", CITIZEN, &service());
    let results = futures::future::join_all((0..20).map(|_| run(&svc, &body))).await;
    let delivered = results.iter().filter(|r| matches!(r, Ok(Outcome::Delivered(_)))).count();
    assert_eq!(delivered, 1);
    for r in &results {
        match r {
            Ok(Outcome::Delivered(_)) | Ok(Outcome::Duplicate) => {}
            Err(e) => assert!(e.is_retryable(), "a loser is retried later, never dropped: {e}"),
            Ok(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(db.journal(&id(CITIZEN)).await.unwrap().len(), 1);
    assert_eq!(apprecs(&db).len(), 1);
}

#[tokio::test]
async fn r_in_3_crash_before_the_receipt_resends_it_after_the_lease_once() {
    let (svc, db, clock) = setup();
    let body = fixtures::dialog("hn-crash", CITIZEN, &service());
    // First delivery writes, then "crashes" before sending.
    assert!(matches!(svc.process_envelope(body.clone(), &|o| Some(o)).await.unwrap(), Outcome::Delivered(_)));
    // Redelivered inside the lease: another delivery may still be sending; try again later.
    assert!(matches!(svc.process_envelope(body.clone(), &|o| Some(o)).await, Err(InboundError::InProgress)));
    clock.set(ts("2026-03-01T10:00:05Z").checked_add(SEND_LEASE + SignedDuration::from_secs(1)).unwrap());
    assert!(matches!(run(&svc, &body).await.unwrap(), Outcome::Resend(_)));
    assert_eq!(run(&svc, &body).await.unwrap(), Outcome::Duplicate);
    assert_eq!(apprecs(&db).len(), 1);
    assert_eq!(db.journal(&id(CITIZEN)).await.unwrap().len(), 1);
}

#[tokio::test]
async fn r_cit_4_representative_message_is_journaled_on_the_citizen_with_its_author() {
    let (svc, db, _) = setup();
    let body = envelope(
        "hn-rep",
        json!({"kind": "dialog-message", "citizen": CITIZEN,
               "sender": {"role": "representative", "representative": REPRESENTATIVE},
               "service": service(), "subject": "Fra fullmektig", "body": "Hei"}),
    );
    assert!(matches!(run(&svc, &body).await.unwrap(), Outcome::Delivered(_)));
    let journal = db.journal(&id(CITIZEN)).await.unwrap();
    assert_eq!(journal[0].citizen, id(CITIZEN));
    assert_eq!(journal[0].author, Author::Representative { representative: id(REPRESENTATIVE) });
    assert!(db.journal(&id(REPRESENTATIVE)).await.unwrap().is_empty());
}

/// A dialog message written by `representative` for `citizen`.
fn from_representative(message_id: &str, citizen: &str, representative: &str) -> InboundEnvelope {
    envelope(
        message_id,
        json!({"kind": "dialog-message", "citizen": citizen,
               "sender": {"role": "representative", "representative": representative},
               "service": service(), "subject": "Fra fullmektig", "body": "Hei"}),
    )
}

#[tokio::test]
async fn r_cit_4_representative_is_taken_as_helsenorge_asserts_it_without_reading_an_age() {
    let (svc, db, _) = setup();
    // The id's date part reads as a 2015 birth under the old century table; Helsenorge checked
    // power of attorney and age against the population register, so the role stands.
    let body = from_representative("hn-rep-young", CITIZEN, fixtures::REPRESENTATIVE_READ_AS_MINOR);
    assert!(matches!(run(&svc, &body).await.unwrap(), Outcome::Delivered(_)));
    let journal = db.journal(&id(CITIZEN)).await.unwrap();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].author, Author::Representative { representative: id(fixtures::REPRESENTATIVE_READ_AS_MINOR) });
    assert_eq!(apprecs(&db)[0].status, AppRecStatus::Ok);
}

#[tokio::test]
async fn r_cit_5_parent_writing_for_a_child_under_12_is_journaled_on_the_child() {
    let (svc, db, _) = setup();
    {
        // The child is not active themself; the parents are (erDigitaltAktivViaAndre).
        let mut child = shared::domain::CitizenRecord::new(id(fixtures::CHILD));
        child.record_card.insert(service());
        let via_parents = shared::domain::AktivFacts { er_digitalt_aktiv_via_andre: true, ..Default::default() };
        child.apply_sync(via_parents, ts("2026-01-02T02:00:00Z"));
        db.state().citizens.insert(id(fixtures::CHILD), child);
    }
    let body = from_representative("hn-parent", fixtures::CHILD, REPRESENTATIVE);
    assert!(matches!(run(&svc, &body).await.unwrap(), Outcome::Delivered(_)));
    let journal = db.journal(&id(fixtures::CHILD)).await.unwrap();
    assert_eq!(journal.len(), 1, "journaled on the child");
    assert_eq!(journal[0].citizen, id(fixtures::CHILD));
    assert_eq!(journal[0].author, Author::Representative { representative: id(REPRESENTATIVE) });
    assert!(db.journal(&id(REPRESENTATIVE)).await.unwrap().is_empty(), "not on the parent");
}

#[tokio::test]
async fn r_cit_6_invalid_national_id_is_rejected_with_e10_without_echo() {
    let (svc, db, _) = setup();
    for (n, bad) in ["12345678901", "3010829992", "30108299921", "3010829992x"].iter().enumerate() {
        let out = run(&svc, &fixtures::dialog(&format!("hn-bad-{n}"), bad, &service())).await.unwrap();
        assert!(matches!(out, Outcome::Rejected(_, KithErrorCode::E10)), "{bad}");
    }
    for rec in apprecs(&db) {
        assert!(!rec.errors[0].reason.contains("3010829992"), "{}", rec.errors[0].reason);
    }
    assert!(db.state().journal.is_empty());
}

fn seed_plan(db: &MemoryDb) {
    let mut s = db.state();
    let plan = [
        fixtures::dated("a1", &service(), ts("2026-03-02T08:30:00Z")),
        fixtures::dated("a2", &service(), ts("2026-03-03T08:30:00Z")),
        fixtures::dated("a3", &service(), ts("2026-03-06T08:30:00Z")),
        fixtures::regular("r1", &service()),
    ];
    s.plans.insert((id(CITIZEN), service()), plan.into_iter().map(|a| (a.id.0.clone(), a)).collect());
}

#[tokio::test]
async fn r_apt_2_cancelling_one_dated_assignment_lapses_it_and_notifies_the_inbox() {
    let (svc, db, _) = setup();
    seed_plan(&db);
    let body = envelope(
        "hn-c1",
        json!({"kind": "cancel-appointment", "citizen": CITIZEN, "sender": {"role": "citizen"},
               "service": service(), "assignment": "a1"}),
    );
    assert!(matches!(run(&svc, &body).await.unwrap(), Outcome::Delivered(_)));
    let s = db.state();
    let a1 = &s.plans[&(id(CITIZEN), service())]["a1"];
    assert_eq!(a1.status, AssignmentStatus::Lapsed { text: CANCELLED_TEXT.into(), cancellation: "hn-c1".into() });
    assert_eq!(s.plans[&(id(CITIZEN), service())]["a2"].status, AssignmentStatus::Assigned);
    assert_eq!(s.inbox[&service().department][0].kind, EntryKind::Cancellation);
    assert_eq!(s.cancellations[&(id(CITIZEN), service())].len(), 1, "kept (R-APT-5)");
}

#[tokio::test]
async fn r_apt_3_cancelling_a_regular_assignment_is_refused_with_a_return_message() {
    let (svc, db, _) = setup();
    seed_plan(&db);
    let before = db.state().plans.clone();
    let body = envelope(
        "hn-c2",
        json!({"kind": "cancel-appointment", "citizen": CITIZEN, "sender": {"role": "citizen"},
               "service": service(), "assignment": "r1"}),
    );
    assert!(matches!(run(&svc, &body).await.unwrap(), Outcome::Delivered(_)));
    let s = db.state();
    assert_eq!(s.plans, before, "nothing cancelled");
    let returned: Vec<_> = s
        .sent
        .iter()
        .filter_map(|o| match &o.message {
            OutMessage::DialogMessage { body, citizen, .. } => Some((body.clone(), citizen.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(returned, vec![(REGULAR_REFUSED_TEXT.to_string(), id(CITIZEN))], "return message to the citizen");
    assert!(s.journal[&id(CITIZEN)].iter().any(|e| e.kind == EntryKind::ReturnMessage), "in the journal");
    assert!(s.inbox[&service().department].iter().any(|i| i.kind == EntryKind::ReturnMessage), "in the inbox");
}

#[tokio::test]
async fn r_apt_4_cancelling_a_period_pauses_the_service_and_lapses_its_assignments() {
    let (svc, db, _) = setup();
    seed_plan(&db);
    let body = envelope(
        "hn-c3",
        json!({"kind": "cancel-period", "citizen": CITIZEN, "sender": {"role": "citizen"},
               "service": service(), "from": "2026-03-02", "to": "2026-03-04"}),
    );
    assert!(matches!(run(&svc, &body).await.unwrap(), Outcome::Delivered(_)));
    {
        let s = db.state();
        let plan = &s.plans[&(id(CITIZEN), service())];
        assert!(matches!(plan["a1"].status, AssignmentStatus::Lapsed { .. }));
        assert!(matches!(plan["a2"].status, AssignmentStatus::Lapsed { .. }));
        assert_eq!(plan["a3"].status, AssignmentStatus::Assigned);
        assert!(matches!(&plan["r1"].status, AssignmentStatus::Paused { pauses } if pauses[0].cancellation == "hn-c3"), "the regular visit pauses too");
    }
    let reversed = envelope(
        "hn-c4",
        json!({"kind": "cancel-period", "citizen": CITIZEN, "sender": {"role": "citizen"},
               "service": service(), "from": "2026-03-04", "to": "2026-03-02"}),
    );
    assert!(matches!(run(&svc, &reversed).await.unwrap(), Outcome::Rejected(_, KithErrorCode::E10)));
}

#[tokio::test]
async fn r_apt_5_redating_keeps_the_cancellation() {
    let (svc, db, _) = setup();
    seed_plan(&db);
    let body = envelope(
        "hn-c5",
        json!({"kind": "cancel-appointment", "citizen": CITIZEN, "sender": {"role": "citizen"},
               "service": service(), "assignment": "a2"}),
    );
    run(&svc, &body).await.unwrap();
    // The EPJ re-dates: a fresh plan, a2 at the same time.
    let fresh = vec![
        fixtures::dated("a1", &service(), ts("2026-03-02T08:30:00Z")),
        fixtures::dated("a2", &service(), ts("2026-03-03T08:30:00Z")),
    ];
    let flags = shared::app::appointments::redate(&db, &db, &id(CITIZEN), &service(), fresh, ts("2026-03-01T12:00:00Z")).await.unwrap();
    assert!(flags.is_empty());
    let s = db.state();
    assert!(matches!(s.plans[&(id(CITIZEN), service())]["a2"].status, AssignmentStatus::Lapsed { .. }));
}

#[tokio::test]
async fn r_out_3_apprec_in_updates_the_outbound_status_and_unknown_is_recorded() {
    let (svc, db, _) = setup();
    db.state().outbound.insert(
        "out-1".into(),
        OutboundMessage {
            message_id: "out-1".into(),
            citizen: id(CITIZEN),
            service: service(),
            staff_id: "s1".into(),
            sent_at: ts("2026-03-01T09:00:00Z"),
            receipt: ReceiptFact::Awaiting,
        },
    );
    let ok = envelope("hn-r1", json!({"kind": "apprec", "answersMessageId": "out-1", "status": "ok"}));
    assert_eq!(run(&svc, &ok).await.unwrap(), Outcome::ReceiptApplied);
    assert!(matches!(db.state().outbound["out-1"].receipt, ReceiptFact::Ok { .. }));
    let unknown = envelope("hn-r2", json!({"kind": "apprec", "answersMessageId": "out-404", "status": "ok"}));
    assert_eq!(run(&svc, &unknown).await.unwrap(), Outcome::ReceiptForUnknownMessage);
    assert!(db.state().dead_letters.contains_key("hn-r2"));
    assert!(apprecs(&db).is_empty(), "receipts are never answered with receipts");
}
