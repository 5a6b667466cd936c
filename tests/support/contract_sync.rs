//! Contract suites of consent-sync's ports ([`SyncStore`], [`CitizenReader`], with the
//! [`ActivationStore`] and [`Seed`] writes they read), run on the in-memory adapter and on
//! DynamoDB (`tests/contract.rs`). They hold each implementation to what DynamoDB does and
//! memory could hide: racing writers of one run step (exactly one wins), a citizen written once
//! per run however many chunks race for it, reads past BatchGetItem's 100 keys and across
//! pages, and times taken from the caller (never the adapter's own clock).

use std::collections::BTreeSet;

use futures::future::join_all;
use jiff::Timestamp;
use shared::domain::consent::AktivFacts;
use shared::domain::sync::SyncListing;
use shared::domain::{CitizenRecord, NationalId, ServiceKey};
use shared::fixtures::{activated, activated_at, service, synthetic_id, ts};
use shared::ports::{ActivationStore, CitizenReader, Seed, SyncStore, SyncUpdate};

/// A time far from the wall clock: an adapter that stamps its own `Timestamp::now()` shows.
pub const INJECTED: &str = "2020-02-03T04:05:06Z";

fn other_service() -> ServiceKey {
    ServiceKey::parse("116", "HS").expect("service")
}

fn citizen(n: u32, card: &[ServiceKey]) -> CitizenRecord {
    let mut c = CitizenRecord::new(synthetic_id(n));
    c.record_card.extend(card.iter().cloned());
    c
}

fn update(c: &CitizenRecord, at: Timestamp) -> SyncUpdate {
    let mut record = c.clone();
    let changed = record.apply_sync(AktivFacts { er_digitalt_aktiv_selv: true, ..AktivFacts::default() }, at);
    SyncUpdate { record, changed }
}

/// [`SyncStore`] runs and chunks: a run begins once (the first start time stands), its listing
/// checkpoint moves once per step however many copies of the step race, a chunk counts once
/// however often it is finished, and the chunk's marker carries the caller's time.
/// `marked_at` reads back the time a chunk's marker was written with.
pub async fn sync_runs<S, F>(store: &S, marked_at: F)
where
    S: SyncStore,
    F: AsyncFn(&str, u32) -> Option<Timestamp>,
{
    let run_id = "2026-03-01";
    let first = ts("2026-03-01T01:00:00Z");
    let begun = join_all((0..6).map(|n| store.begin_run(run_id, first + jiff::SignedDuration::from_secs(n)))).await;
    let started: BTreeSet<Option<Timestamp>> = begun.into_iter().map(|r| r.expect("begin run").started_at).collect();
    assert_eq!(started.len(), 1, "racing starts see one run: {started:?}");
    let run = store.begin_run(run_id, ts("2026-03-01T05:00:00Z")).await.unwrap();
    assert_eq!(run.started_at, started.into_iter().next().flatten(), "a later start keeps the first start time");

    let keys = vec![service(), other_service()];
    let run = store.begin_listing(run_id, &keys).await.unwrap();
    assert_eq!((run.activations.clone(), run.next_listing.as_ref().map(|l| l.step)), (keys.clone(), Some(0)));
    let again = store.begin_listing(run_id, &[other_service()]).await.unwrap();
    assert_eq!(again.activations, keys, "a restarted start keeps the run's activations");

    // Four copies of step 0 advance at once: exactly one moves the checkpoint.
    let step1 = SyncListing { run_id: run_id.into(), step: 1, activation: 1, cursor: None, chunk: 1 };
    let moved = join_all((0..4).map(|_| store.advance_listing(run_id, 0, Some(&step1), 0))).await;
    let winners = moved.iter().filter(|r| matches!(r, Ok(Some(_)))).count();
    assert_eq!(winners, 1, "one copy of a step moves the checkpoint: {moved:?}");
    assert!(moved.iter().all(Result::is_ok), "the others find it moved: {moved:?}");
    assert_eq!(store.advance_listing(run_id, 0, None, 9).await.unwrap(), None, "a stale step changes nothing");
    let ended = store.advance_listing(run_id, 1, None, 2).await.unwrap().expect("the last step ends the listing");
    assert_eq!((ended.chunks_total, ended.next_listing), (Some(2), None));

    // Chunk 0 finished by three racing copies: counted once, with the caller's time.
    let at: Timestamp = INJECTED.parse().expect("time");
    assert!(!store.chunk_done(run_id, 0).await.unwrap());
    let done = join_all((0..3).map(|_| store.finish_chunk(run_id, 0, false, (1000, 7), at))).await;
    assert!(done.iter().all(Result::is_ok), "{done:?}");
    assert!(store.chunk_done(run_id, 0).await.unwrap());
    assert_eq!(marked_at(run_id, 0).await, Some(at), "the chunk's marker carries the injected time, not the adapter's clock");
    let run = store.finish_chunk(run_id, 1, true, (0, 0), at).await.unwrap();
    assert_eq!((run.chunks_done, run.chunks_failed, run.citizens, run.changes), (1, 1, 1000, 7), "each chunk counted once");
    assert!(run.complete());

    store.finish_run(&run, ts("2026-03-01T02:00:00Z")).await.unwrap();
    store.finish_run(&run, ts("2026-03-01T03:00:00Z")).await.unwrap();
    let run = store.begin_run(run_id, ts("2026-03-01T06:00:00Z")).await.unwrap();
    assert_eq!(run.finished_at, Some(ts("2026-03-01T02:00:00Z")), "the finish time is set once");
}

/// [`SyncStore`] and [`CitizenReader`] over citizens: the record-card listing pages through
/// every citizen of a service once, in a stable order; a citizen's sync is written once per run
/// however many chunks race for it; more ids than one BatchGetItem takes read back whole; an
/// activation is marked synced only as it was read (R-ACT-4).
pub async fn sync_citizens<S>(store: &S)
where
    S: SyncStore + CitizenReader + ActivationStore + Seed,
{
    // 1,150 citizens receive the service, 50 another one: more than one listing page.
    let ours: Vec<CitizenRecord> = (0..1150).map(|n| citizen(n, &[service()])).collect();
    let others: Vec<CitizenRecord> = (1150..1200).map(|n| citizen(n, &[other_service()])).collect();
    store.put_citizens(&ours).await.unwrap();
    store.put_citizens(&others).await.unwrap();
    let (mut listed, mut cursor, mut pages) = (vec![], None, 0);
    loop {
        let (page, next) = store.citizens_of(&service(), cursor).await.unwrap();
        assert!(page.len() <= 1000, "a page holds at most a chunk");
        listed.extend(page);
        pages += 1;
        match next {
            Some(c) => cursor = Some(c),
            None => break,
        }
        assert!(pages < 10, "the listing ends");
    }
    let mut expected: Vec<NationalId> = ours.iter().map(|c| c.citizen.clone()).collect();
    expected.sort();
    assert_eq!(listed, expected, "every citizen of the service once, in order");

    // Two chunks of one run race over 150 citizens (more than BatchGetItem's 100 keys), half
    // of them in both: each citizen is written once.
    let run_id = "2026-03-02";
    let at = ts("2026-03-02T01:00:00Z");
    let updates: Vec<SyncUpdate> = ours[..150].iter().map(|c| update(c, at)).collect();
    let (a, b) = futures::join!(store.apply_sync(run_id, &updates[..100]), store.apply_sync(run_id, &updates[50..]));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.0 + b.0, 150, "each citizen written once: {a:?} {b:?}");
    assert_eq!(store.apply_sync(run_id, &updates).await.unwrap(), (0, 0), "a replayed chunk writes nothing");
    let ids: Vec<NationalId> = ours[..150].iter().chain(&others[..20]).map(|c| c.citizen.clone()).chain([synthetic_id(5000)]).collect();
    let read = store.citizens(&ids).await.unwrap();
    assert_eq!(read.len(), 170, "every known citizen, none for an unknown id");
    for c in &ours[..150] {
        let r = &read[&c.citizen];
        assert_eq!((r.sync_run.as_deref(), r.synced_at, r.aktiv.er_digitalt_aktiv_selv), (Some(run_id), Some(at), true));
    }
    assert_eq!(read[&others[0].citizen].sync_run, None);

    // R-ACT-4: marked synced only as read; a re-activation in between is left for the next run.
    let first = activated(&service());
    store.activate(&first).await.unwrap();
    let seen = store.activations().await.unwrap().into_iter().find(|a| a.key == service()).expect("activated");
    assert_eq!(seen.synced_at, None);
    store.activate(&activated_at(&service(), ts("2026-03-02T00:30:00Z"))).await.unwrap();
    assert!(!store.mark_synced(&seen, ts("2026-03-02T01:10:00Z")).await.unwrap(), "activated again since it was read");
    let now = store.activations().await.unwrap().into_iter().find(|a| a.key == service()).expect("activated");
    assert_eq!(now.synced_at, None);
    assert!(store.mark_synced(&now, ts("2026-03-02T01:10:00Z")).await.unwrap());
}
