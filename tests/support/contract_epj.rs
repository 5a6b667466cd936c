//! Contract suite of the EPJ API's ports ([`TakeOverStore`], [`ActivationAdmin`],
//! [`RecordCardStore`]), run on the in-memory adapter and on DynamoDB (`tests/contract.rs`):
//! racing take-overs leave the first standing for all, a record card larger than one batch
//! write replaces the old one whole without touching the consent state, a deactivation
//! removes the activation once.

use std::collections::BTreeSet;

use futures::future::join_all;
use shared::domain::activation::Deactivated;
use shared::domain::staff::TakeOver;
use shared::domain::{NationalId, ServiceKey};
use shared::fixtures::{activated, consented_citizen, service, synthetic_id, ts};
use shared::ports::epj::{ActivationAdmin, RecordCardStore, TakeOverStore};
use shared::ports::{ActivationStore, CitizenReader, Seed, SyncStore};

fn services(range: std::ops::Range<u32>) -> BTreeSet<ServiceKey> {
    range.map(|n| ServiceKey::parse(&format!("{}", 200 + n), "HS").expect("service")).collect()
}

async fn listed<S: SyncStore>(store: &S, service: &ServiceKey) -> Vec<NationalId> {
    let (mut all, mut cursor) = (vec![], None);
    loop {
        let (page, next) = store.citizens_of(service, cursor).await.expect("list");
        all.extend(page);
        match next {
            Some(c) => cursor = Some(c),
            None => return all,
        }
    }
}

/// R-ACC-3: six staff take one inbox item over at once; the first take-over stands and every
/// one of them is told it; the department lists it once.
pub async fn r_acc_3_take_over_store<E: TakeOverStore>(epj: &E, prefix: &str) {
    let department = service().department;
    let item = format!("{prefix}-inbox-1");
    let take = |n: u32| TakeOver { department: department.clone(), message_id: item.clone(), staff_id: format!("sykepleier-{n}"), at: ts("2026-03-01T10:00:00Z") };
    let results = join_all((0..6).map(|n| async move { epj.take_over(&take(n)).await })).await;
    let standing: BTreeSet<String> = results.into_iter().map(|r| r.expect("take over").staff_id).collect();
    assert_eq!(standing.len(), 1, "one take-over stands for everyone: {standing:?}");
    let again = epj.take_over(&take(9)).await.unwrap();
    assert_eq!(Some(&again.staff_id), standing.iter().next(), "a later one is told who came first");
    let listed = epj.taken_over(&department).await.unwrap();
    assert_eq!(listed.iter().filter(|t| t.message_id == item).count(), 1);
}

/// [`RecordCardStore`] and [`ActivationAdmin`]: a card of 30 services (more than one
/// BatchWriteItem) replaces the old card whole and leaves the consent state as consent-sync
/// wrote it; activations list in key order; a deactivation removes one once.
pub async fn record_cards_and_activations<E, S>(epj: &E, store: &S)
where
    E: RecordCardStore + ActivationAdmin,
    S: SyncStore + CitizenReader + Seed + ActivationStore,
{
    let citizen = synthetic_id(7);
    let consented = consented_citizen(&citizen.expose(), &service());
    store.put_citizens(std::slice::from_ref(&consented)).await.unwrap();
    let first = services(0..30);
    epj.put_record_card(&citizen, &first).await.unwrap();
    let second = services(20..40);
    epj.put_record_card(&citizen, &second).await.unwrap();
    for s in services(0..40) {
        let on_card = listed(store, &s).await.contains(&citizen);
        assert_eq!(on_card, second.contains(&s), "{s:?}: the new card, whole");
    }
    let state = store.citizens(std::slice::from_ref(&citizen)).await.unwrap().remove(&citizen).expect("known");
    assert_eq!((state.aktiv, state.synced_at), (consented.aktiv, consented.synced_at), "the consent state is untouched");

    for s in services(0..3).into_iter().rev() {
        store.activate(&activated(&s)).await.unwrap();
    }
    let keys: Vec<ServiceKey> = epj.activation_list().await.unwrap().into_iter().map(|a| a.key).collect();
    assert_eq!(keys, services(0..3).into_iter().collect::<Vec<_>>(), "in key order");
    let gone = Deactivated { key: services(1..2).into_iter().next().expect("one"), deactivated_by: "adm1".into(), deactivated_at: ts("2026-03-01T12:00:00Z") };
    assert!(epj.deactivate(&gone).await.unwrap());
    assert!(!epj.deactivate(&gone).await.unwrap(), "removed once");
    assert_eq!(epj.activation_list().await.unwrap().len(), 2);
}
