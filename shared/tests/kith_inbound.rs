//! inbound-message's KITH edge on in-memory adapters: the synthetic samples in `events/kith/`
//! end delivered, rejected with the right 8221 code, answered or applied; every answer is an
//! AppRec 1.1 document with transport attributes.

use shared::adapters::her_directory::MemoryHerDirectory;
use shared::adapters::memory::{ManualClock, MemoryDb};
use shared::app::inbound::{InboundService, Outcome};
use shared::app::kith_inbound::{KithInboundService, KithOutcome, Transport};
use shared::app::pipeline::{Answered, Pipeline};
use shared::domain::IdMode;
use shared::domain::message::{Author, OutMessage, WireMessage};
use shared::fixtures::{CITIZEN, REPRESENTATIVE, consented_citizen, dated, id, service, ts, usable_activation};
use shared::kith::codes::{AppRecStatusCode, ErrorCode};
use shared::kith::msghead::{KithDocument, read_document};
use shared::kith::{AppRecDoc, ReadLimits};
use shared::ports::Inspect;

type Svc = KithInboundService<MemoryDb, MemoryDb, MemoryDb, MemoryDb, MemoryDb, MemoryDb, ManualClock, MemoryHerDirectory>;

fn setup() -> (Svc, MemoryDb) {
    let db = MemoryDb::new();
    {
        let mut s = db.state();
        s.citizens.insert(id(CITIZEN), consented_citizen(CITIZEN, &service()));
        s.activations.insert(service(), usable_activation(&service()));
        let a = dated("A-1001", &service(), ts("2026-11-24T08:00:00Z"));
        s.plans.insert((id(CITIZEN), service()), [(a.id.0.clone(), a)].into_iter().collect());
    }
    let inbound = InboundService {
        gate: db.clone(),
        appointments: db.clone(),
        outbound: db.clone(),
        pipeline: Pipeline {
            messages: db.clone(),
            outbox: db.clone(),
            dead_letters: db.clone(),
            clock: ManualClock::at(ts("2026-11-23T10:00:05Z")),
            source_queue: "InboundQueue".into(),
        },
        id_mode: IdMode::Production,
    };
    let directory = MemoryHerDirectory {
        entries: vec![shared::fixtures::her_entry()],
    };
    (KithInboundService { inbound, directory }, db)
}

fn sample(name: &str) -> String {
    std::fs::read_to_string(format!("{}/../events/kith/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

async fn run(svc: &Svc, body: &str, t: &Transport) -> KithOutcome {
    let out = svc.process(body, t).await.unwrap();
    if let Some(p) = out.pending() {
        assert!(svc.inbound.pipeline.send_pending(&[p]).await.unwrap().is_empty());
    }
    out
}

fn wire(db: &MemoryDb) -> Vec<WireMessage> {
    db.state().sent.iter().filter_map(|o| match &o.message { OutMessage::Wire(w) => Some(w.clone()), _ => None }).collect()
}

fn last_apprec(db: &MemoryDb) -> (AppRecDoc, Vec<(String, String)>) {
    let w = wire(db).pop().expect("an answer went out");
    match read_document(w.body.as_bytes(), ReadLimits::INBOUND).unwrap() {
        KithDocument::AppRec(a) => (*a, w.attributes),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn r_in_1_ekontakt_is_journaled_and_answered_with_an_apprec_ok() {
    let (svc, db) = setup();
    let out = run(&svc, &sample("ekontakt.xml"), &Transport::default()).await;
    assert!(matches!(out, KithOutcome::Domain(Outcome::Delivered(_))), "{out:?}");
    let journal = db.journal(&id(CITIZEN)).await.unwrap();
    assert_eq!((journal[0].subject.as_str(), journal[0].body.as_str()), ("Spørsmål om besøk", "Kan dere komme en time senere i morgen?"));
    let (rec, attrs) = last_apprec(&db);
    assert_eq!((rec.status, rec.original_id.as_str()), (AppRecStatusCode::Ok, "6f1c2a10-0000-4000-8000-000000000001"));
    assert_eq!(rec.sender.most_specific_her(), Some("80115"), "we answer as the receiver");
    assert!(attrs.contains(&("toHerId".into(), "90002".into())) && attrs.contains(&("messageFunction".into(), "APPREC".into())));
}

#[tokio::test]
async fn r_in_3_a_redelivered_ekontakt_is_not_delivered_twice() {
    let (svc, db) = setup();
    run(&svc, &sample("ekontakt.xml"), &Transport::default()).await;
    let again = run(&svc, &sample("ekontakt.xml"), &Transport::default()).await;
    assert_eq!(again, KithOutcome::Domain(Outcome::Duplicate));
    assert_eq!(db.journal(&id(CITIZEN)).await.unwrap().len(), 1);
}

#[tokio::test]
async fn r_cit_4_representative_from_pasientrelasjon_is_journaled_on_the_citizen() {
    let (svc, db) = setup();
    let out = run(&svc, &sample("ekontakt-representative.xml"), &Transport::default()).await;
    assert!(matches!(out, KithOutcome::Domain(Outcome::Delivered(_))), "{out:?}");
    let journal = db.journal(&id(CITIZEN)).await.unwrap();
    assert_eq!(journal[0].author, Author::Representative { representative: id(REPRESENTATIVE) });
}

#[tokio::test]
async fn r_in_2_transport_attributes_that_disagree_are_a_rejection() {
    let (svc, db) = setup();
    let t = Transport::from_attributes([("toHerId", "99999"), ("messageFunction", "DIALOG_INNBYGGER_EKONTAKT")]);
    let out = run(&svc, &sample("ekontakt.xml"), &t).await;
    assert!(matches!(out, KithOutcome::Rejected(_, ErrorCode::E21)), "{out:?}");
    let (rec, _) = last_apprec(&db);
    assert_eq!(rec.status, AppRecStatusCode::Rejected);
    assert!(rec.errors[0].1.contains("toHerId") && !rec.errors[0].1.contains("99999"), "{:?}", rec.errors);
    assert!(db.journal(&id(CITIZEN)).await.unwrap().is_empty());
}

#[tokio::test]
async fn r_in_2_unmapped_her_id_unknown_function_and_bad_patient_are_coded() {
    let (svc, db) = setup();
    let cases = [
        (sample("ekontakt.xml").replace("<Id>80115</Id>", "<Id>80999</Id>").replace("80115", "x"), ErrorCode::E21),
        (sample("ekontakt.xml").replace("DIALOG_INNBYGGER_EKONTAKT\" DN", "DIALOG_INNBYGGER_KOORDINATOR\" DN"), ErrorCode::T10),
        (sample("ekontakt.xml").replace("30108299920", "30108299921"), ErrorCode::E31),
        (sample("ekontakt.xml").replace("V=\"FNR\"", "V=\"HPR\""), ErrorCode::E30),
        (sample("ekontakt.xml").replace("http://www.kith.no/xmlstds/dialog/2013-01-23", "http://www.kith.no/xmlstds/dialog/2006-10-11"), ErrorCode::T10),
        (sample("ekontakt.xml").replace("<MsgHead xmlns=\"http://www.kith.no/xmlstds/msghead/2006-05-24\">", "<MsgHead>"), ErrorCode::T10),
        (sample("ekontakt.xml").replace("</MsgHead>", ""), ErrorCode::T01),
    ];
    for (i, (body, code)) in cases.into_iter().enumerate() {
        let body = body.replace("000000000001", &format!("00000000010{i}"));
        let out = run(&svc, &body, &Transport::default()).await;
        assert!(matches!(&out, KithOutcome::Rejected(_, c) if *c == code), "case {i}: {out:?}");
        let (rec, _) = last_apprec(&db);
        assert!(!rec.errors[0].1.is_empty() && !rec.errors[0].1.contains("3010829992"), "case {i}: {:?}", rec.errors);
    }
}

#[tokio::test]
async fn r_in_2_communication_test_is_answered_ok_without_delivery() {
    let (svc, db) = setup();
    let out = run(&svc, &sample("test.xml"), &Transport::default()).await;
    assert!(matches!(out, KithOutcome::Answered(_)), "{out:?}");
    assert_eq!(last_apprec(&db).0.status, AppRecStatusCode::Ok);
}

#[tokio::test]
async fn r_apt_2_avtaleavbestilling_cancels_the_appointment_by_uid() {
    let (svc, db) = setup();
    let out = run(&svc, &sample("avtaleavbestilling.xml"), &Transport::default()).await;
    assert!(matches!(out, KithOutcome::Domain(Outcome::Delivered(_))), "{out:?}");
    assert_eq!(last_apprec(&db).0.status, AppRecStatusCode::Ok);
}

#[tokio::test]
async fn r_out_3_an_apprec_for_an_unknown_message_is_recorded_not_answered() {
    let (svc, db) = setup();
    let out = run(&svc, &sample("apprec-ok.xml"), &Transport::default()).await;
    assert_eq!(out, KithOutcome::Domain(Outcome::ReceiptForUnknownMessage));
    assert!(wire(&db).is_empty(), "a receipt is never answered");
}

#[tokio::test]
async fn r_in_2_a_body_without_any_id_is_a_dead_letter() {
    let (svc, _) = setup();
    assert!(svc.process("not xml at all", &Transport::default()).await.is_err());
    let out = run(&svc, "<MsgHead><MsgId>hn-broken-1</MsgId>", &Transport::default()).await;
    assert!(matches!(out, KithOutcome::Rejected(_, ErrorCode::T01)), "{out:?}");
}

/// `DIALOG_INNBYGGER_TIMERESERVASJON` takes no AppRec (Helsenorge's page on the process): a
/// cancellation is applied and answered with nothing; a refused one is recorded for support.
#[tokio::test]
async fn r_apt_2_timereservasjon_cancels_without_an_apprec_and_a_refusal_is_recorded_for_support() {
    let (svc, db) = setup();
    let as_timereservasjon = |q: shared::fixtures::kith::OnQueue| {
        q.body.replace("DIALOG_INNBYGGER_AVTALEAVBESTILLING", "DIALOG_INNBYGGER_TIMERESERVASJON")
    };
    let cancel = as_timereservasjon(shared::fixtures::kith::cancel_appointment("hn-tr-1", CITIZEN, &service(), "A-1001"));
    let out = run(&svc, &cancel, &Transport::default()).await;
    assert!(matches!(out, KithOutcome::Domain(Outcome::Delivered(_))), "{out:?}");
    assert!(matches!(db.state().plans[&(id(CITIZEN), service())]["A-1001"].status, shared::domain::appointment::AssignmentStatus::Lapsed { .. }));
    assert_eq!(db.journal(&id(CITIZEN)).await.unwrap().len(), 1);
    assert!(wire(&db).is_empty(), "no AppRec for this process");

    let unknown = as_timereservasjon(shared::fixtures::kith::cancel_appointment("hn-tr-2", CITIZEN, &service(), "NO-SUCH"));
    let out = run(&svc, &unknown, &Transport::default()).await;
    assert!(matches!(out, KithOutcome::Domain(Outcome::Rejected(..))), "{out:?}");
    assert!(wire(&db).is_empty(), "no AppRec for a refusal either");
    let recorded = db.state().dead_letters.get("hn-tr-2").cloned().expect("recorded for support");
    assert_eq!(recorded.kind.as_deref(), Some("DIALOG_INNBYGGER_TIMERESERVASJON"));
    assert!(!recorded.error.contains(CITIZEN));
    assert_eq!(run(&svc, &unknown, &Transport::default()).await, KithOutcome::Domain(Outcome::Duplicate), "recorded once");
}
