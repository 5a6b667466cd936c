//! consent-sync end to end on moto + the HelsenorgeAktiv fake: the function's start phase
//! sends the first listing step to the sync work queue, the same function takes the listing
//! steps and the chunks they send from the queue (delivered here as Lambda would), and
//! inbound-message admits a citizen only after the sync.

use std::net::SocketAddr;
use std::time::Instant;

use aws_sdk_dynamodb::Client as Ddb;
use aws_sdk_sqs::Client as Sqs;
use e2e::fake::Fake;
use e2e::sqs::{drain, failures, kith_event, sqs_event};
use e2e::stack::sdk_config;
use e2e::{LocalLambda, LocalStack};
use serde_json::{Value, json};
use shared::adapters::aws::dynamo::Dynamo;
use shared::domain::consent::CitizenRecord;
use shared::domain::receipt::{AppRecStatus, KithErrorCode};
use shared::domain::{Activation, ActivationState, CodeListLinks, ServiceKey};
use shared::fixtures::kith;
use shared::fixtures::{self, CITIZEN, id, service, synthetic_id, ts};
use shared::ports::{ActivationStore, CitizenReader, GateReader, SyncStore};

struct Env {
    stack: LocalStack,
    fake: Fake,
    store: Dynamo,
    sqs: Sqs,
    sync: LocalLambda,
}

async fn env(name: &str) -> Env {
    let stack = LocalStack::provision(name);
    let fake = Fake::start(SocketAddr::from(([127, 0, 0, 1], 0)), Default::default()).await.unwrap();
    let fn_env = stack.function_env_with_fake("ConsentSyncFunction", &fake);
    let sdk = sdk_config().await;
    let store = Dynamo::new(Ddb::new(&sdk), stack.tables());
    let sync = LocalLambda::start("consent-sync", &fn_env).await;
    Env { stack, fake, store, sqs: Sqs::new(&sdk), sync }
}

/// Receives up to `max` work messages (listing steps and chunks) from the work queue and hands
/// them to the function one by one (BatchSize 1), deleting those it did not report failed, as
/// the event source does.
async fn deliver_chunks(e: &Env, max: usize) -> usize {
    let url = e.stack.queue("SyncWorkQueue");
    let mut delivered = 0;
    while delivered < max {
        let out = e.sqs.receive_message().queue_url(url).max_number_of_messages(1).send().await.unwrap();
        let Some(m) = out.messages.unwrap_or_default().into_iter().next() else { break };
        let body = m.body().unwrap().to_string();
        let resp = e.sync.invoke(sqs_event(&[("chunk", body)])).await.expect("handler ran");
        assert!(failures(&resp).is_empty(), "{resp}");
        e.sqs.delete_message().queue_url(url).receipt_handle(m.receipt_handle().unwrap()).send().await.unwrap();
        delivered += 1;
    }
    delivered
}

async fn start(e: &Env) -> Value {
    e.sync.invoke(json!({"action": "start"})).await.expect("start ran")
}

fn unsynced(nid: &str, services: &[ServiceKey]) -> CitizenRecord {
    let mut c = CitizenRecord::new(id(nid));
    c.record_card.extend(services.iter().cloned());
    c
}

#[tokio::test]
async fn r_cit_3_consent_given_is_admitted_by_inbound_only_after_the_sync_and_withdrawal_flips_it() {
    let e = env("consent").await;
    fixtures::seed_usable_activation(&e.store, &service()).await.unwrap();
    e.store.put_citizen(&unsynced(CITIZEN, &[service()])).await.unwrap();
    e.fake.set_facts(CITIZEN, json!({"erDigitaltAktivSelv": true}));
    let inbound = LocalLambda::start("inbound-message", &e.stack.function_env("InboundMessageFunction")).await;
    let to_hn = e.stack.queue("ToHelsenorgeQueue");

    e.store.put_her(&fixtures::her_entry()).await.unwrap();
    let msg = |mid: &str| kith_event(&[("s", &kith::ekontakt(mid, CITIZEN, &service()))]);
    inbound.invoke(msg("hn-before")).await.unwrap();
    let before: Vec<_> = drain(&e.sqs, to_hn).await.iter().filter_map(kith::apprec_of).collect();
    assert!(matches!(&before[0], a if a.status == AppRecStatus::Rejected
        && a.errors[0].code == KithErrorCode::E35), "rejected before the sync: {before:?}");

    let report = start(&e).await;
    assert_eq!(report["activations"], 1);
    assert_eq!(deliver_chunks(&e, 10).await, 2, "one listing step, one chunk");
    inbound.invoke(msg("hn-after")).await.unwrap();
    let after: Vec<_> = drain(&e.sqs, to_hn).await.iter().filter_map(kith::apprec_of).collect();
    assert!(matches!(&after[0], a if a.status == AppRecStatus::Ok), "{after:?}");

    // Withdrawn on Helsenorge: the next night's sync flips the citizen.
    e.fake.set_facts(CITIZEN, json!({}));
    e.sync.invoke(json!({"action": "start", "runId": "night-2"})).await.unwrap();
    deliver_chunks(&e, 10).await;
    let rec = e.store.citizens_with_history(&[id(CITIZEN)]).await.unwrap().remove(&id(CITIZEN)).unwrap();
    assert!(!rec.has_consent());
    assert!(rec.consent_withdrawn_at.is_some() && rec.consent_first_given_at.is_some(), "history for R-ICON-1");
    assert!(rec.last_message_at.is_some(), "the message flow's history survives the sync");
    inbound.stop().await;
    e.sync.stop().await;
}

#[tokio::test]
async fn r_act_4_a_new_activation_is_usable_only_after_its_first_sync_not_its_sub_departments() {
    let e = env("activation").await;
    let parent = service();
    let child = ServiceKey::parse("1151", "HS").unwrap();
    e.store.activate(&fixtures::activated(&parent)).await.unwrap();
    e.store.put_citizen(&unsynced(CITIZEN, &[parent.clone(), child.clone()])).await.unwrap();
    e.fake.set_facts(CITIZEN, json!({"erDigitaltAktivSelv": true}));
    let state = |f: shared::ports::GateFacts| shared::domain::activation::activation_state(f.activation.as_ref());
    assert_eq!(state(e.store.gate_facts(&id(CITIZEN), &parent, None).await.unwrap()), ActivationState::AwaitingSync);
    start(&e).await;
    deliver_chunks(&e, 10).await;
    assert_eq!(state(e.store.gate_facts(&id(CITIZEN), &parent, None).await.unwrap()), ActivationState::Usable);
    assert_eq!(state(e.store.gate_facts(&id(CITIZEN), &child, None).await.unwrap()), ActivationState::NotActivated);
    e.sync.stop().await;
}

/// Activates `key` again at `at` through the rule (R-ACT-2/3).
async fn reactivate(e: &Env, key: &ServiceKey, at: &str) {
    let staff: shared::domain::org::StaffProfile =
        serde_json::from_value(json!({"staffId": "adm2", "functions": ["digihelse_adm"]})).unwrap();
    let links = CodeListLinks { nursing_service_area: true, administrative_journal: true };
    e.store.activate(&Activation::activate(key.clone(), links, &staff, ts(at)).unwrap()).await.unwrap();
}

#[tokio::test]
async fn r_act_4_an_activation_write_never_carries_a_sync_time() {
    let e = env("activation-write").await;
    fixtures::seed_usable_activation(&e.store, &service()).await.unwrap();
    let state = |f: shared::ports::GateFacts| shared::domain::activation::activation_state(f.activation.as_ref());
    assert_eq!(state(e.store.gate_facts(&id(CITIZEN), &service(), None).await.unwrap()), ActivationState::Usable);
    // Changing the activation goes through the rule and waits for the next sync again.
    reactivate(&e, &service(), "2026-06-01T09:00:00Z").await;
    assert_eq!(state(e.store.gate_facts(&id(CITIZEN), &service(), None).await.unwrap()), ActivationState::AwaitingSync);
    e.sync.stop().await;
}

#[tokio::test]
async fn r_act_4_a_reactivation_between_the_finish_read_and_write_is_not_marked_synced() {
    let e = env("activation-race").await;
    fixtures::seed_usable_activation(&e.store, &service()).await.unwrap();
    // consent-sync's finish reads the activation, a re-activation lands, then the finish writes.
    let seen = e.store.activations().await.unwrap().remove(0);
    reactivate(&e, &service(), "2026-06-01T09:00:00Z").await;
    assert!(!e.store.mark_synced(&seen, ts("2026-06-01T09:00:01Z")).await.unwrap(), "the stale read is refused");
    let now = e.store.activations().await.unwrap().remove(0);
    assert_eq!(now.activated_by, "adm2", "the re-activation is kept");
    assert_eq!(now.synced_at, None, "and waits for a sync that saw it");
    e.sync.stop().await;
}

#[tokio::test]
async fn r_cit_3_a_run_killed_midway_resumes_and_every_citizen_is_looked_up_and_updated_once() {
    let e = env("resume").await;
    fixtures::seed_usable_activation(&e.store, &service()).await.unwrap();
    let other = ServiceKey::parse("116", "HS").unwrap();
    fixtures::seed_usable_activation(&e.store, &other).await.unwrap();
    let citizens: Vec<CitizenRecord> = (0..2300)
        .map(|n| {
            let nid = synthetic_id(n).expose();
            // every fifth citizen receives both services: still looked up once
            let cards = if n % 5 == 0 { vec![service(), other.clone()] } else { vec![service()] };
            e.fake.set_facts(&nid, json!({"erDigitaltAktivSelv": n % 2 == 0}));
            unsynced(&nid, &cards)
        })
        .collect();
    e.store.put_citizens(&citizens).await.unwrap();

    let report = start(&e).await;
    assert_eq!(report["activations"], 2);
    // The first listing step and its chunk, then the function is killed; the schedule or an
    // operator starts again the same night (the step at the checkpoint is sent again).
    assert_eq!(deliver_chunks(&e, 2).await, 2);
    e.sync.invoke(json!({"action": "start"})).await.unwrap();
    deliver_chunks(&e, 100).await;
    let stats = e.fake.stats();
    assert_eq!(stats.max_ids_in_one_call, 1000);
    assert_eq!(stats.ids_looked_up, 2300, "a citizen on both services is looked up once");
    assert_eq!(stats.lookup_calls, 3);
    let ids: Vec<_> = citizens.iter().map(|c| c.citizen.clone()).collect();
    let synced = e.store.citizens(&ids).await.unwrap();
    assert_eq!(synced.len(), 2300);
    assert!(synced.values().all(|c| c.synced_at.is_some()), "no citizen skipped");
    assert_eq!(synced.values().filter(|c| c.has_consent()).count(), 1150);
    let again = start(&e).await;
    assert_eq!(again["alreadyFinished"], true, "a second run the same night is harmless");
    e.sync.stop().await;
}

/// The 100,000-citizen benchmark against moto and the fake (`make bench-sync`; not in CI):
/// wall time, HelsenorgeAktiv calls, peak memory of the function process.
#[tokio::test]
#[ignore = "benchmark: run with `make bench-sync`"]
async fn bench_sync_of_100k_citizens() {
    let n: u32 = std::env::var("SYNC_BENCH_CITIZENS").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let e = env("bench").await;
    fixtures::seed_usable_activation(&e.store, &service()).await.unwrap();
    let t = Instant::now();
    let all: Vec<CitizenRecord> = (0..n).map(|i| unsynced(&synthetic_id(i).expose(), &[service()])).collect();
    for chunk in all.chunks(5000) {
        e.store.put_citizens(chunk).await.unwrap();
    }
    println!("seeded {n} citizens in {:?}", t.elapsed());
    let t = Instant::now();
    e.sync.invoke_within(json!({"action": "start"}), std::time::Duration::from_secs(900)).await.expect("start ran");
    let start_took = t.elapsed();
    let delivered = deliver_chunks(&e, usize::MAX).await;
    let run = e.store.begin_run(&shared::domain::sync::run_id_for(jiff::Timestamp::now()), jiff::Timestamp::now()).await.unwrap();
    assert!(run.finished_at.is_some(), "the run finished: {run:?}");
    assert_eq!(run.citizens, u64::from(n));
    let took = t.elapsed();
    let stats = e.fake.stats();
    let peak = e.sync.memory_kb().map(|(_, hwm)| format!("{hwm} kB")).unwrap_or_default();
    println!(
        "SYNC BENCH: {n} citizens, {:?} chunks ({delivered} work items delivered), start phase {start_took:?}, \
         total {took:?}, HelsenorgeAktiv calls {}, token requests {}, function peak memory {peak}",
        run.chunks_total, stats.lookup_calls, stats.token_requests
    );
    assert_eq!(stats.lookup_calls as usize, (n as usize).div_ceil(1000));
    e.sync.stop().await;
}
