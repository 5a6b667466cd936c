//! The consent sync on in-memory adapters (R-CIT-3, R-ACT-4): consent takes effect only after
//! the sync, withdrawal flips the citizen, activations become usable after a completed run,
//! runs resume, and a second run the same night is harmless.

use shared::adapters::memory::{AktivMode, ManualClock, MemoryDb};
use shared::app::inbound::{InboundService, Outcome};
use shared::app::pipeline::Pipeline;
use shared::app::sync::{ChunkReport, SyncService};
use shared::domain::consent::{AktivFacts, CitizenRecord};
use shared::domain::receipt::KithErrorCode;
use shared::domain::sync::SyncWork;
use shared::domain::{Activation, IdMode, ServiceKey};
use shared::fixtures::{self, CITIZEN, id, service, synthetic_id, ts};

type Sync = SyncService<MemoryDb, MemoryDb, MemoryDb, MemoryDb, MemoryDb, ManualClock, MemoryDb>;

fn sync(db: &MemoryDb, clock: &ManualClock) -> Sync {
    SyncService {
        store: db.clone(),
        citizens: db.clone(),
        queue: db.clone(),
        aktiv: db.clone(),
        alerts: db.clone(),
        clock: clock.clone(),
        dead_letters: db.clone(),
        source_queue: "SyncWorkQueue".into(),
    }
}

/// Runs the whole sync: start, then every queued chunk.
async fn run_night(s: &Sync, db: &MemoryDb) {
    s.start(None).await.unwrap();
    loop {
        let next = db.state().sync_queue.pop_front();
        let Some(c) = next else { break };
        s.work(&c).await.unwrap();
    }
}

fn unsynced_citizen(nid: &str, services: &[ServiceKey]) -> CitizenRecord {
    let mut c = CitizenRecord::new(id(nid));
    c.record_card.extend(services.iter().cloned());
    c
}

fn consented() -> AktivFacts {
    AktivFacts { er_digitalt_aktiv_selv: true, ..Default::default() }
}

#[tokio::test]
async fn r_cit_3_consent_takes_effect_only_after_the_nightly_sync() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-01T10:00:00Z"));
    {
        let mut st = db.state();
        st.citizens.insert(id(CITIZEN), unsynced_citizen(CITIZEN, &[service()]));
        st.activations.insert(service(), fixtures::usable_activation(&service()));
        st.aktiv.insert(id(CITIZEN), consented()); // consented on Helsenorge today
    }
    let inbound = InboundService {
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
    let before = inbound.process_envelope(fixtures::dialog("hn-1", CITIZEN, &service()), &|o| Some(o)).await.unwrap();
    assert!(matches!(before, Outcome::Rejected(_, KithErrorCode::E35)), "not before the sync: {before:?}");
    clock.set(ts("2026-03-02T01:00:00Z"));
    run_night(&sync(&db, &clock), &db).await;
    let after = inbound.process_envelope(fixtures::dialog("hn-2", CITIZEN, &service()), &|o| Some(o)).await.unwrap();
    assert!(matches!(after, Outcome::Delivered(_)), "after the sync: {after:?}");
}

#[tokio::test]
async fn r_cit_3_withdrawn_consent_flips_the_citizen_at_the_next_sync() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-02T01:00:00Z"));
    {
        let mut st = db.state();
        st.citizens.insert(id(CITIZEN), fixtures::consented_citizen(CITIZEN, &service()));
        st.activations.insert(service(), fixtures::usable_activation(&service()));
    }
    run_night(&sync(&db, &clock), &db).await; // NHN now says: no consent
    let c = db.state().citizens[&id(CITIZEN)].clone();
    assert!(!c.has_consent());
    assert_eq!(c.consent_withdrawn_at, Some(ts("2026-03-02T01:00:00Z")));
    let run = db.state().sync_runs["2026-03-02"].clone();
    assert_eq!((run.citizens, run.changes), (1, 1));
}

#[tokio::test]
async fn r_act_4_an_activation_is_usable_only_after_a_completed_run_not_its_sub_departments() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-01T14:00:00Z"));
    let parent = service();
    let child = ServiceKey::parse("1151", "HS").unwrap();
    {
        let mut st = db.state();
        st.citizens.insert(id(CITIZEN), unsynced_citizen(CITIZEN, &[parent.clone(), child.clone()]));
        st.activations.insert(
            parent.clone(),
            Activation { key: parent.clone(), activated_at: ts("2026-03-01T12:00:00Z"), activated_by: "adm".into(), synced_at: None },
        );
        st.aktiv.insert(id(CITIZEN), consented());
    }
    assert!(!db.state().activations[&parent].is_usable(), "before its first sync");
    clock.set(ts("2026-03-02T01:00:00Z"));
    run_night(&sync(&db, &clock), &db).await;
    let st = db.state();
    assert!(st.activations[&parent].is_usable(), "after the run");
    assert!(!st.activations.contains_key(&child), "activating 115 did not activate 1151");
}

#[tokio::test]
async fn each_distinct_citizen_is_looked_up_once_in_calls_of_at_most_1000() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-02T01:00:00Z"));
    let a = service();
    let b = ServiceKey::parse("116", "HS").unwrap();
    {
        let mut st = db.state();
        st.activations.insert(a.clone(), fixtures::usable_activation(&a));
        st.activations.insert(b.clone(), fixtures::usable_activation(&b));
        for n in 0..2500u32 {
            let nid = synthetic_id(n);
            // every third citizen receives both services: still looked up once
            let cards: Vec<ServiceKey> = if n % 3 == 0 { vec![a.clone(), b.clone()] } else { vec![a.clone()] };
            let mut c = CitizenRecord::new(nid.clone());
            c.record_card.extend(cards);
            st.citizens.insert(nid, c);
        }
    }
    run_night(&sync(&db, &clock), &db).await;
    let st = db.state();
    assert_eq!(st.aktiv_calls, vec![1000, 1000, 500]);
    assert_eq!(st.sync_runs["2026-03-02"].citizens, 2500);
}

#[tokio::test]
async fn r_cit_3_a_run_killed_midway_resumes_from_its_checkpoint_and_updates_every_citizen_once() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-02T01:00:00Z"));
    {
        let mut st = db.state();
        st.activations.insert(service(), fixtures::usable_activation(&service()));
        for n in 0..3500u32 {
            let nid = synthetic_id(n);
            st.aktiv.insert(nid.clone(), consented());
            st.citizens.insert(nid.clone(), unsynced_citizen(&nid.expose(), &[service()]));
        }
    }
    let s = sync(&db, &clock);
    s.start(None).await.unwrap();
    // Two listing steps and their chunks run, then the process "dies" and the queue's
    // remaining work is lost (dead-lettered, say).
    for _ in 0..4 {
        let w = db.state().sync_queue.pop_front().unwrap();
        s.work(&w).await.unwrap();
    }
    db.state().sync_queue.clear();
    // The schedule (or an operator) starts again: the listing resumes at its checkpoint.
    clock.set(ts("2026-03-02T01:20:00Z"));
    let again = s.start(None).await.unwrap();
    assert_eq!(again.listing_step, Some(2), "resumed at the checkpoint, not from the start");
    // A listing step delivered twice (SQS at-least-once) does its work once.
    let step = db.state().sync_queue.front().cloned().unwrap();
    db.state().sync_queue.push_back(step);
    let mut stale = 0;
    loop {
        let next = db.state().sync_queue.pop_front();
        let Some(w) = next else { break };
        if s.work(&w).await.unwrap() == ChunkReport::StaleListing {
            stale += 1;
        }
    }
    assert_eq!(stale, 1, "the duplicate step found the checkpoint moved");
    {
        let st = db.state();
        let run = &st.sync_runs["2026-03-02"];
        assert!(run.finished_at.is_some());
        assert_eq!(run.chunks_total, Some(4));
        assert_eq!(run.citizens, 3500, "every citizen updated once");
        assert_eq!(st.aktiv_calls, vec![1000, 1000, 1000, 500], "each looked up once");
        assert!(st.citizens.values().all(CitizenRecord::has_consent));
    }
    let again = s.start(None).await.unwrap();
    assert!(again.already_finished, "a second run the same night is harmless");
    assert!(db.state().sync_queue.is_empty());
}

#[tokio::test]
async fn r_cit_3_every_invocation_is_bounded_whatever_the_number_of_citizens() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-02T01:00:00Z"));
    {
        let mut st = db.state();
        st.activations.insert(service(), fixtures::usable_activation(&service()));
        for n in 0..5500u32 {
            let nid = synthetic_id(n);
            st.citizens.insert(nid.clone(), unsynced_citizen(&nid.expose(), &[service()]));
        }
    }
    let s = sync(&db, &clock);
    let report = s.start(None).await.unwrap();
    // The start sends one listing step, however many citizens there are.
    assert_eq!((report.activations, report.listing_step), (1, Some(0)));
    assert_eq!(db.state().sync_queue.len(), 1);
    let mut steps = 0;
    loop {
        let next = db.state().sync_queue.pop_front();
        let Some(w) = next else { break };
        let before = db.state().sync_queue.len();
        match (&w, s.work(&w).await.unwrap()) {
            (SyncWork::Listing(_), ChunkReport::Listed { citizens, .. }) => {
                steps += 1;
                assert!(citizens <= 1000, "one page a step");
                assert!(db.state().sync_queue.len() - before <= 2, "a step sends a chunk and its continuation");
            }
            (SyncWork::Chunk(c), ChunkReport::Done { .. }) => assert!(c.ids.len() <= 1000),
            (w, r) => panic!("unexpected {w:?} -> {r:?}"),
        }
    }
    assert_eq!(steps, 6);
    assert!(db.state().sync_runs["2026-03-02"].finished_at.is_some());
}

#[tokio::test]
async fn r_cit_3_a_night_without_activations_finishes_its_run() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-02T01:00:00Z"));
    run_night(&sync(&db, &clock), &db).await;
    let st = db.state();
    let run = &st.sync_runs["2026-03-02"];
    assert!(run.finished_at.is_some(), "{run:?}");
    assert_eq!(run.chunks_total, Some(0));
    assert!(st.aktiv_calls.is_empty());
}

#[tokio::test]
async fn r_act_4_a_reactivation_between_the_finish_read_and_write_is_not_marked_synced() {
    use shared::ports::{ActivationStore, SyncStore};
    let db = MemoryDb::new();
    fixtures::seed_usable_activation(&db, &service()).await.unwrap();
    let seen = db.activations().await.unwrap().remove(0);
    let staff: shared::domain::org::StaffProfile =
        serde_json::from_value(serde_json::json!({"staffId": "adm2", "functions": ["0"]})).unwrap();
    let links = shared::domain::CodeListLinks { nursing_service_area: true, administrative_journal: true };
    db.activate(&Activation::activate(service(), links, &staff, ts("2026-06-01T09:00:00Z")).unwrap()).await.unwrap();
    assert!(!db.mark_synced(&seen, ts("2026-06-01T09:00:01Z")).await.unwrap());
    let now = db.state().activations[&service()].clone();
    assert_eq!((now.activated_by.as_str(), now.synced_at), ("adm2", None));
}

#[tokio::test]
async fn a_failing_chunk_is_alerted_and_the_run_still_finishes() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-02T01:00:00Z"));
    {
        let mut st = db.state();
        st.activations.insert(service(), fixtures::usable_activation(&service()));
        st.citizens.insert(id(CITIZEN), unsynced_citizen(CITIZEN, &[service()]));
        st.aktiv_mode = AktivMode::Fail;
    }
    let s = sync(&db, &clock);
    s.start(None).await.unwrap();
    // The listing step sends the chunk.
    let step = db.state().sync_queue.pop_front().unwrap();
    s.work(&step).await.unwrap();
    let c = db.state().sync_queue.pop_front().unwrap();
    assert!(matches!(c, SyncWork::Chunk(_)), "{c:?}");
    let body = serde_json::to_string(&c).unwrap();
    let rec = |n| shared::app::RecordIn { sqs_message_id: "sqs-chunk-0".into(), body: body.clone(), receive_count: n };
    // The first tries fail and are recorded through the shared helper; SQS retries them.
    assert_eq!(s.handle_chunks(&[rec(1)]).await, vec!["sqs-chunk-0".to_string()]);
    let recorded = db.state().dead_letters["sqs-chunk-0"].clone();
    assert_eq!((recorded.source_queue.as_str(), recorded.kind.as_deref()), ("SyncWorkQueue", Some("sync-chunk")));
    assert!(!recorded.error.contains(CITIZEN));
    // The last try: alerted, counted failed, and the run finishes.
    assert!(s.handle_chunks(&[rec(3)]).await.is_empty());
    let st = db.state();
    assert_eq!(st.sync_runs["2026-03-02"].chunks_failed, 1);
    assert!(st.sync_runs["2026-03-02"].finished_at.is_some());
    let alert = serde_json::to_string(&st.alerts[0]).unwrap();
    assert!(alert.contains("sync-chunk-failed") && !alert.contains(CITIZEN), "{alert}");
}
