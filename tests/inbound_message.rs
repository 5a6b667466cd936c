//! inbound-message end to end: the built function binary under the runtime-API emulator, on
//! moto provisioned from template.yaml (a fresh set of tables and queues per test).

use std::collections::BTreeMap;

use aws_sdk_dynamodb::Client as Ddb;
use aws_sdk_sqs::Client as Sqs;
use e2e::counting::CallCounter;
use e2e::sqs::{drain, failures, kith_event};
use e2e::stack::sdk_config;
use e2e::{LocalLambda, LocalStack};
use serde_json::Value;
use shared::adapters::aws::dynamo::Dynamo;
use shared::adapters::aws::sqs::SqsOutbox;
use shared::adapters::her_directory::CachedHerDirectory;
use shared::adapters::memory::SystemClock;
use shared::app::RecordIn;
use shared::app::inbound::InboundService;
use shared::app::kith_inbound::{KithInboundService, Transport};
use shared::app::pipeline::Pipeline;
use shared::domain::appointment::{AssignmentStatus, CANCELLED_TEXT};
use shared::domain::message::{Outgoing, OutMessage};
use shared::domain::receipt::{AppRecStatus, KithErrorCode, ReceiptFact};
use shared::domain::{IdMode, ServiceKey};
use shared::fixtures::kith;
use shared::fixtures::{self, CITIZEN, consented_citizen, id, service, ts};
use shared::kith::AppRecStatusCode;
use shared::kith::msghead::{KithDocument, read_document};
use shared::kith::ReadLimits;
use shared::ports::{ActivationStore, AppointmentStore, Inspect};

struct Env {
    stack: LocalStack,
    store: Dynamo,
    sqs: Sqs,
    lambda: LocalLambda,
}

async fn env(name: &str) -> Env {
    let stack = LocalStack::provision(name);
    let sdk = sdk_config().await;
    let store = Dynamo::new(Ddb::new(&sdk), stack.tables());
    store.put_citizen(&consented_citizen(CITIZEN, &service())).await.unwrap();
    fixtures::seed_usable_activation(&store, &service()).await.unwrap();
    store.put_her(&shared::fixtures::her_entry()).await.unwrap();
    let lambda = LocalLambda::start("inbound-message", &stack.function_env("InboundMessageFunction")).await;
    Env { store, sqs: Sqs::new(&sdk), lambda, stack }
}

/// Everything on the ToHelsenorge queue, drained.
async fn to_helsenorge(e: &Env) -> Vec<Outgoing> {
    drain(&e.sqs, e.stack.queue("ToHelsenorgeQueue")).await
}

/// The AppRecs sent (KITH AppRec documents), read back into the domain's.
fn apprecs(out: &[Outgoing]) -> Vec<shared::domain::AppRec> {
    out.iter().filter_map(kith::apprec_of).collect()
}

/// The `RefToParent` of each MsgHead sent (a dialog message in a conversation).
fn replies_to(out: &[Outgoing]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match &o.message {
            OutMessage::Wire(w) => match read_document(w.body.as_bytes(), ReadLimits::INBOUND) {
                Ok(KithDocument::MsgHead(m)) => m.conversation.map(|(parent, _)| parent),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn r_in_1_admitted_message_is_journaled_delivered_and_answered_ok() {
    let e = env("admit").await;
    let message = kith::ekontakt("hn-e2e-1", CITIZEN, &service());
    let resp = e.lambda.invoke(kith_event(&[("sqs-1", &message)])).await.expect("handler succeeded");
    assert!(failures(&resp).is_empty(), "{resp}");
    let journal = e.store.journal(&id(CITIZEN)).await.unwrap();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].grading, "AJ");
    assert_eq!(e.store.inbox(&service().department).await.unwrap().len(), 1);
    let recs = apprecs(&to_helsenorge(&e).await);
    assert_eq!(recs, vec![shared::domain::AppRec::ok("hn-e2e-1")]);
    e.lambda.stop().await;
}

#[tokio::test]
async fn r_in_2_each_rejection_reason_is_answered_with_its_code_and_nothing_is_delivered() {
    let e = env("reject").await;
    // A second citizen without consent, a service not received, a service not activated.
    let mut no_consent = consented_citizen(fixtures::CITIZEN_2032, &service());
    no_consent.apply_sync(Default::default(), ts("2026-02-01T02:00:00Z"));
    e.store.put_citizen(&no_consent).await.unwrap();
    let not_received = ServiceKey::parse("116", "HS").unwrap();
    let not_synced = ServiceKey::parse("117", "HS").unwrap();
    let mut c = consented_citizen(CITIZEN, &service());
    c.record_card.insert(not_synced.clone());
    e.store.put_citizen(&c).await.unwrap();
    e.store.activate(&fixtures::activated(&not_synced)).await.unwrap();
    let not_activated = ServiceKey::parse("1151", "HS").unwrap();
    let mut c2 = c.clone();
    c2.record_card.insert(not_activated.clone());
    e.store.put_citizen(&c2).await.unwrap();
    for s in [&not_received, &not_synced, &not_activated] {
        e.store.put_her(&kith::her_entry_for(s)).await.unwrap();
    }

    // An invalid national id is refused at the KITH edge (8221 E31), which the domain reads as E10.
    let cases = [
        ("hn-unknown", kith::ekontakt("hn-unknown", fixtures::REPRESENTATIVE, &service()), KithErrorCode::E35),
        ("hn-noconsent", kith::ekontakt("hn-noconsent", fixtures::CITIZEN_2032, &service()), KithErrorCode::E35),
        ("hn-notrecv", kith::ekontakt("hn-notrecv", CITIZEN, &not_received), KithErrorCode::E35),
        ("hn-notact", kith::ekontakt("hn-notact", CITIZEN, &not_activated), KithErrorCode::E21),
        ("hn-notsync", kith::ekontakt("hn-notsync", CITIZEN, &not_synced), KithErrorCode::E21),
        ("hn-badid", kith::ekontakt("hn-badid", "12345678901", &service()), KithErrorCode::E10),
    ];
    let records: Vec<(&str, &kith::OnQueue)> = cases.iter().map(|(id, q, _)| (*id, q)).collect();
    let resp = e.lambda.invoke(kith_event(&records)).await.expect("handler succeeded");
    assert!(failures(&resp).is_empty(), "{resp}");
    let recs: BTreeMap<String, _> =
        apprecs(&to_helsenorge(&e).await).into_iter().map(|a| (a.answers_message_id.clone(), a)).collect();
    assert_eq!(recs.len(), cases.len(), "one receipt each");
    for (mid, _, code) in &cases {
        let rec = &recs[*mid];
        assert_eq!(rec.status, AppRecStatus::Rejected, "{mid}");
        assert_eq!(rec.errors[0].code, *code, "{mid}");
    }
    assert!(e.store.journal(&id(CITIZEN)).await.unwrap().is_empty(), "nothing journaled");
    for dept in ["115", "116", "117", "1151"] {
        assert!(e.store.inbox(&dept.parse().unwrap()).await.unwrap().is_empty(), "nothing in inbox {dept}");
    }
    e.lambda.stop().await;
}

#[tokio::test]
async fn r_in_3_same_message_delivered_5_times_concurrently_yields_one_of_everything() {
    let e = env("dup").await;
    let second = LocalLambda::start("inbound-message", &e.stack.function_env("InboundMessageFunction")).await;
    let body = kith::ekontakt("hn-dup", CITIZEN, &service());
    // Three copies in one batch (processed concurrently) and two in a batch on a second instance.
    let b1 = kith_event(&[("s1", &body), ("s2", &body), ("s3", &body)]);
    let b2 = kith_event(&[("s4", &body), ("s5", &body)]);
    let (r1, r2) = tokio::join!(e.lambda.invoke(b1), second.invoke(b2));
    let failed: Vec<String> = failures(&r1.unwrap()).into_iter().chain(failures(&r2.unwrap())).collect();
    assert!(failed.len() <= 4, "at least one delivery succeeded");
    assert_eq!(e.store.journal(&id(CITIZEN)).await.unwrap().len(), 1, "one journal entry");
    assert_eq!(e.store.inbox(&service().department).await.unwrap().len(), 1, "one inbox item");
    // The copies that were told to retry come back later (as SQS would) and are absorbed.
    let retry: Vec<(&str, &kith::OnQueue)> = failed.iter().map(|id| (id.as_str(), &body)).collect();
    if !retry.is_empty() {
        let resp = e.lambda.invoke(kith_event(&retry)).await.unwrap();
        assert!(failures(&resp).len() <= retry.len());
    }
    assert_eq!(apprecs(&to_helsenorge(&e).await).len(), 1, "one receipt");
    assert_eq!(e.store.journal(&id(CITIZEN)).await.unwrap().len(), 1);
    second.stop().await;
    e.lambda.stop().await;
}

#[tokio::test]
async fn batch_with_one_poison_record_reports_only_that_record_and_records_it() {
    let e = env("poison").await;
    let good = kith::ekontakt("hn-good", CITIZEN, &service());
    let poison = kith::OnQueue { body: "Dette er ikke XML og har ingen MsgId".into(), attributes: vec![] };
    let resp = e
        .lambda
        .invoke(kith_event(&[("ok-1", &good), ("poison-1", &poison)]))
        .await
        .expect("handler succeeded");
    assert_eq!(failures(&resp), vec!["poison-1".to_string()]);
    let dl = e.store.dead_letter("poison-1").await.unwrap().expect("recorded for the republisher");
    assert_eq!(dl.source_queue, e.stack.env["InboundMessageFunction"]["INBOUND_QUEUE_NAME"]);
    assert_eq!(e.store.journal(&id(CITIZEN)).await.unwrap().len(), 1, "the good one is delivered");
    e.lambda.stop().await;
}

#[tokio::test]
async fn r_apt_5_cancellations_on_the_appointment_table_survive_redating() {
    let e = env("cancel").await;
    let plan = vec![
        fixtures::dated("a1", &service(), ts("2026-03-02T08:30:00Z")),
        fixtures::dated("a2", &service(), ts("2026-03-03T08:30:00Z")),
        fixtures::dated("a3", &service(), ts("2026-03-10T08:30:00Z")),
        fixtures::regular("r1", &service()),
    ];
    e.store.replace_plan(&id(CITIZEN), &service(), 0, &plan).await.unwrap();
    let day = |d: &str| d.parse().unwrap();
    let events = [
        ("c1", kith::cancel_appointment("hn-c1", CITIZEN, &service(), "a1")),
        ("c2", kith::cancel_appointment("hn-c2", CITIZEN, &service(), "r1")),
        ("c3", kith::cancel_period("hn-c3", CITIZEN, &service(), day("2026-03-03"), day("2026-03-04"))),
    ];
    let records: Vec<(&str, &kith::OnQueue)> = events.iter().map(|(i, q)| (*i, q)).collect();
    let resp = e.lambda.invoke(kith_event(&records)).await.unwrap();
    assert!(failures(&resp).is_empty(), "{resp}");

    let now: BTreeMap<String, _> =
        e.store.plan(&id(CITIZEN), &service()).await.unwrap().assignments.into_iter().map(|a| (a.id.0.clone(), a)).collect();
    assert_eq!(now["a1"].status, AssignmentStatus::Lapsed { text: CANCELLED_TEXT.into(), cancellation: "hn-c1".into() });
    assert!(matches!(now["a2"].status, AssignmentStatus::Lapsed { .. }), "period lapses a2");
    assert_eq!(now["a3"].status, AssignmentStatus::Assigned);
    assert!(
        matches!(&now["r1"].status, AssignmentStatus::Paused { pauses } if pauses.len() == 1 && pauses[0].cancellation == "hn-c3"),
        "regular: never cancelled alone (hn-c2), paused by the period (hn-c3)"
    );
    let out = to_helsenorge(&e).await;
    assert_eq!(replies_to(&out), vec!["hn-c2".to_string()], "return message for the refused regular cancellation");

    // R-APT-5: the EPJ re-dates the plan; the kept cancellations come back.
    let fresh = vec![
        fixtures::dated("a1", &service(), ts("2026-03-02T08:30:00Z")),
        fixtures::dated("a2", &service(), ts("2026-03-03T08:30:00Z")),
        fixtures::dated("a3", &service(), ts("2026-03-10T08:30:00Z")),
    ];
    let flags = shared::app::appointments::redate(&e.store, &e.store, &id(CITIZEN), &service(), fresh, ts("2026-03-01T12:00:00Z")).await.unwrap();
    assert!(flags.is_empty());
    let after: BTreeMap<String, _> =
        e.store.plan(&id(CITIZEN), &service()).await.unwrap().assignments.into_iter().map(|a| (a.id.0.clone(), a)).collect();
    assert!(matches!(after["a1"].status, AssignmentStatus::Lapsed { .. }));
    assert!(matches!(after["a2"].status, AssignmentStatus::Lapsed { .. }));
    assert_eq!(after["a3"].status, AssignmentStatus::Assigned);
    assert!(!after.contains_key("r1"), "removed from the plan by the re-dating");
    e.lambda.stop().await;
}

#[tokio::test]
async fn r_out_3_apprec_in_updates_the_outbound_status_and_unknown_is_recorded() {
    let e = env("apprec").await;
    e.store
        .put_outbound(&shared::domain::reply::OutboundMessage {
            message_id: "out-1".into(),
            citizen: id(CITIZEN),
            service: service(),
            staff_id: "s1".into(),
            sent_at: ts("2026-03-01T09:00:00Z"),
            receipt: ReceiptFact::Awaiting,
        })
        .await
        .unwrap();
    let rejected = kith::apprec("hn-r1", "out-1", AppRecStatusCode::Rejected, &service());
    let unknown = kith::apprec("hn-r2", "out-404", AppRecStatusCode::Ok, &service());
    let resp = e.lambda.invoke(kith_event(&[("r1", &rejected), ("r2", &unknown)])).await.unwrap();
    assert!(failures(&resp).is_empty(), "{resp}");
    match e.store.outbound_receipt("out-1").await.unwrap() {
        Some(ReceiptFact::Rejected { reason, .. }) => assert_eq!(reason, "E35: Pasienten finnes ikke."),
        other => panic!("expected rejected, got {other:?}"),
    }
    assert!(e.store.dead_letter("hn-r2").await.unwrap().is_some(), "unknown AppRec recorded");
    assert!(to_helsenorge(&e).await.is_empty(), "no receipt for a receipt");
    e.lambda.stop().await;
}

/// Counts the AWS calls of one batch of 10 admitted messages, in process with counting clients,
/// through the KITH edge as the function runs it (the HER-id directory read through its cache;
/// a first batch warms it, as the first messages of a Lambda instance do).
#[tokio::test]
async fn calls_per_admitted_message_are_one_read_one_conditional_put_and_batched_sends() {
    let stack = LocalStack::provision("calls");
    let sdk = sdk_config().await;
    let counter = CallCounter::default();
    let (ddb, sqs) = counter.clients(&sdk);
    let store = Dynamo::new(ddb, stack.tables());
    store.put_citizen(&consented_citizen(CITIZEN, &service())).await.unwrap();
    fixtures::seed_usable_activation(&store, &service()).await.unwrap();
    store.put_her(&shared::fixtures::her_entry()).await.unwrap();
    let inbound = InboundService {
        gate: store.clone(),
        appointments: store.clone(),
        outbound: store.clone(),
        pipeline: Pipeline {
            messages: store.clone(),
            outbox: SqsOutbox::new(sqs, stack.queue("ToHelsenorgeQueue")),
            dead_letters: store.clone(),
            clock: SystemClock,
            source_queue: "InboundQueue".into(),
        },
        id_mode: IdMode::Production,
    };
    let svc = KithInboundService { inbound, directory: CachedHerDirectory::new(store.clone(), SystemClock) };
    let batch = |tag: &str| -> Vec<(RecordIn, Transport)> {
        (0..10).map(|i| kith::record(&format!("s{i}"), &kith::ekontakt(&format!("hn-{tag}-{i}"), CITIZEN, &service()))).collect()
    };
    assert!(svc.handle_batch(&batch("warm"), 4).await.is_empty());
    counter.reset();
    let counted = batch("count");
    let failed = svc.handle_batch(&counted, 4).await;
    assert!(failed.is_empty());
    let c = counter.counts();
    println!("AWS calls for a batch of 10 admitted messages: {c:?}");
    assert_eq!(counter.get("dynamodb.BatchGetItem"), 10, "one read round trip per message");
    assert_eq!(counter.get("dynamodb.PutItem"), 10, "one conditional PutItem of the message item per message (#16 item 8)");
    assert_eq!(counter.get("sqs.SendMessageBatch"), 1, "receipts sent in one batch");
    assert_eq!(counter.get("dynamodb.BatchWriteItem"), 1, "sent-markers in one batch");
    assert_eq!(c.values().sum::<u32>(), 22, "nothing else (routing is cached): {c:?}");
    // The message item (under 2 KB, the AppRec most of it) + one write per index + the SENT mark.
    let wru = counter.units().write_units;
    assert!(wru <= 50.0, "at most 5 write units a message: {wru}");

    // #16 item 7: the same 10 redelivered are answered from the idempotency record read with
    // the gate's facts: one DynamoDB call each, nothing written, nothing sent.
    counter.reset();
    assert!(svc.handle_batch(&counted, 4).await.is_empty());
    let c = counter.counts();
    println!("AWS calls for 10 redelivered duplicates: {c:?}");
    assert_eq!(counter.calls_to("dynamodb"), 10, "one DynamoDB call per duplicate: {c:?}");
    assert_eq!(counter.get("dynamodb.BatchGetItem"), 10);
    assert_eq!(counter.calls_to("sqs"), 0, "nothing sent again: {c:?}");
}

/// Every sample event in events/inbound-message runs through the function on the sample EPJ
/// data: valid ones are answered OK, invalid ones with a coded rejection, the poison record
/// is the only failure.
#[tokio::test]
async fn sample_events_give_their_documented_outcomes() {
    let e = env("events").await;
    let root = e2e::stack::root();
    let data: shared::app::epj::EpjData =
        serde_json::from_str(&std::fs::read_to_string(root.join("events/epj/sample-data.json")).unwrap()).unwrap();
    shared::app::epj::load(&e.store, &data, shared::fixtures::ts("2026-11-20T08:00:00Z")).await.unwrap();
    // The first sync after the activations (R-ACT-4), as consent-sync ends it.
    shared::fixtures::mark_all_synced(&e.store, shared::fixtures::ts("2026-11-21T00:10:00Z")).await.unwrap();
    let mut files: Vec<_> = std::fs::read_dir(root.join("events/inbound-message")).unwrap().map(|f| f.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    files.sort();
    assert!(files.len() >= 10);
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let resp = e.lambda.invoke(event.clone()).await.unwrap_or_else(|err| panic!("{name}: {err}"));
        let failed = failures(&resp);
        let out = to_helsenorge(&e).await;
        let recs = apprecs(&out);
        if name == "invalid-poison-batch" {
            assert_eq!(failed, vec!["sqs-poison-1".to_string()], "{name}");
            assert_eq!(recs.len(), 1, "{name}: the good record is answered");
        } else if name.starts_with("apprec") {
            assert!(failed.is_empty() && recs.is_empty(), "{name}");
        } else if name.starts_with("invalid-") {
            assert!(failed.is_empty(), "{name}");
            assert_eq!(recs.len(), 1, "{name}");
            assert_eq!(recs[0].status, AppRecStatus::Rejected, "{name}");
        } else {
            assert!(failed.is_empty(), "{name}: {resp}");
            assert_eq!(recs.len(), 1, "{name}");
            assert_eq!(recs[0].status, AppRecStatus::Ok, "{name}: {:?}", recs[0]);
        }
    }
    e.lambda.stop().await;
}
