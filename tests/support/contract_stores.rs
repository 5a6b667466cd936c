//! Contract suites of the message flow's stores ([`MessageStore`], [`AppointmentStore`]), run
//! on the in-memory adapter and on DynamoDB (`tests/contract.rs`). They hold each
//! implementation to what DynamoDB does and memory could hide: one write per id however many
//! race for it, the 100-item transaction, the 400 KB item (the message item holds the answers,
//! the journal entry and the inbox item together), reads past 1 MB pages, and the plan's
//! version condition.

use futures::future::join_all;
use jiff::{SignedDuration, Timestamp};
use shared::domain::appointment::Assignment;
use shared::domain::message::{Author, EntryKind, GRADING_AJ, InboxItem, JournalEntry};
use shared::error::{PortError, Retryable};
use shared::fixtures::{CITIZEN, dated, id, service, ts};
use shared::ports::{AppointmentStore, CitizenReader, Delivery, Inspect, MAX_ASSIGNMENTS_PER_WRITE, MessageStore, Recorded};

fn at(n: i64) -> Timestamp {
    ts("2026-03-01T10:00:00Z").checked_add(SignedDuration::from_secs(n * 60)).expect("time")
}

/// A dialog message's delivery: one journal entry and one inbox item with `body`.
fn delivery(message_id: &str, n: i64, body: String) -> Delivery {
    let citizen = id(CITIZEN);
    let journal = JournalEntry {
        message_id: message_id.into(),
        citizen: citizen.clone(),
        service: service(),
        kind: EntryKind::DialogMessage,
        author: Author::Citizen,
        subject: "Spørsmål".into(),
        body,
        grading: GRADING_AJ.into(),
        at: at(n),
    };
    let inbox = InboxItem {
        department: service().department,
        message_id: message_id.into(),
        citizen,
        service: service(),
        kind: EntryKind::DialogMessage,
        subject: "Spørsmål".into(),
        grading: GRADING_AJ.into(),
        at: at(n),
    };
    Delivery { journal: vec![journal], inbox: vec![inbox], ..Delivery::answers_only(message_id, vec![], at(n)) }
}

fn assignments(prefix: &str, count: usize) -> Vec<Assignment> {
    (0..count).map(|n| dated(&format!("{prefix}{n:04}"), &service(), at(n as i64))).collect()
}

/// [`MessageStore`]: a message id is written once, whatever races for it, and a redelivery sees
/// what the first write recorded; its journal entry and inbox item read back once each, also
/// when a delivery carries more than one; a failed write leaves nothing behind; the largest delivery
/// the rules allow fits (the transaction and the items); a journal reads back whole past
/// DynamoDB's 1 MB pages, oldest first.
pub async fn message_store<M: MessageStore + Inspect>(store: &M, prefix: &str) {
    let id_of = |n: u32| format!("{prefix}-msg-{n}");

    // Eight deliveries of one id at once: exactly one writes it; the others see it written (or
    // meet a conflict that SQS retries), never a second write.
    let racing = delivery(&id_of(1), 1, "Hei".into());
    let results = join_all((0..8).map(|_| store.record(&racing))).await;
    let new = results.iter().filter(|r| matches!(r, Ok(Recorded::New))).count();
    assert_eq!(new, 1, "one write per id: {results:?}");
    for r in &results {
        match r {
            Ok(Recorded::New) => {}
            Ok(Recorded::Existing(p)) => assert_eq!((p.message_id.as_str(), p.sent), (id_of(1).as_str(), false)),
            Err(e) => assert!(e.is_retryable(), "a race is retried, never refused: {e}"),
        }
    }
    store.mark_sent(&[id_of(1)], at(1)).await.unwrap();
    let Ok(Recorded::Existing(p)) = store.record(&racing).await else { panic!("a redelivery sees the first write") };
    assert!(p.sent, "and that its answers were sent");
    assert_eq!(p.processed_at, at(1), "answered from the first write's record");
    // The journal entry and the inbox item are readable once written (DynamoDB: through the
    // indexes of the one message item), once each however many raced.
    let journal = store.journal(&id(CITIZEN)).await.unwrap();
    assert_eq!(journal.iter().filter(|e| e.message_id == id_of(1)).count(), 1, "journaled once");
    let inbox = store.inbox(&service().department).await.unwrap();
    assert_eq!(inbox.iter().filter(|i| i.message_id == id_of(1)).count(), 1, "delivered once");

    // More than one entry (a cancellation's return message): every entry and item, in order.
    let mut two = delivery(&id_of(5), 5, "Avbestilt".into());
    let mut second = two.journal[0].clone();
    second.message_id = format!("{}.return", id_of(5));
    second.at = at(6);
    let mut second_item = two.inbox[0].clone();
    second_item.message_id = second.message_id.clone();
    second_item.at = at(6);
    two.journal.push(second);
    two.inbox.push(second_item);
    assert!(matches!(store.record(&two).await, Ok(Recorded::New)));
    assert!(matches!(store.record(&two).await, Ok(Recorded::Existing(_))), "a redelivery writes nothing");
    let inbox: Vec<String> = store.inbox(&service().department).await.unwrap().into_iter().map(|i| i.message_id).filter(|m| m.starts_with(&id_of(5))).collect();
    assert_eq!(inbox, [id_of(5), format!("{}.return", id_of(5))], "both items, oldest first, once");

    // An item over DynamoDB's 400 KB: refused for good, and nothing of the delivery is kept.
    let too_big = delivery(&id_of(2), 2, "x".repeat(410 * 1024));
    let e = store.record(&too_big).await.expect_err("an item over 400 KB is refused");
    assert!(!e.is_retryable(), "{e}");
    assert!(matches!(store.record(&delivery(&id_of(2), 2, "Hei".into())).await, Ok(Recorded::New)), "the id was not taken");
    // Each part under 400 KB, the message item holding both over it: refused the same way.
    let mut together = delivery(&id_of(6), 6, "x".repeat(210 * 1024));
    together.inbox[0].subject = "y".repeat(200 * 1024);
    let e = store.record(&together).await.expect_err("the message item over 400 KB is refused");
    assert!(!e.is_retryable(), "{e}");

    // The largest message the rules allow (20,000 characters of four bytes) with the most
    // assignments one delivery carries: one transaction, written whole.
    let mut largest = delivery(&id_of(3), 3, "𝄞".repeat(20_000));
    largest.assignments = assignments(&format!("{prefix}a"), MAX_ASSIGNMENTS_PER_WRITE).into_iter().map(|a| (id(CITIZEN), a)).collect();
    assert!(matches!(store.record(&largest).await, Ok(Recorded::New)), "within the transaction and item limits");
    // More than a transaction holds: refused for good.
    let mut over = delivery(&id_of(4), 4, "Hei".into());
    over.assignments = assignments(&format!("{prefix}b"), 100).into_iter().map(|a| (id(CITIZEN), a)).collect();
    let e = store.record(&over).await.expect_err("over 100 items in one transaction");
    assert!(!e.is_retryable(), "{e}");

    // 1.2 MB of journal: DynamoDB answers a query in pages of 1 MB; every entry comes back.
    for n in 10..40 {
        store.record(&delivery(&id_of(n), i64::from(n), "ø".repeat(20_000))).await.unwrap();
    }
    let journal = store.journal(&id(CITIZEN)).await.unwrap();
    let ours: Vec<String> = journal.iter().map(|e| e.message_id.clone()).filter(|m| m.starts_with(prefix)).collect();
    let mut expected: Vec<String> = [1, 2, 3, 5].into_iter().map(id_of).collect();
    expected.push(format!("{}.return", id_of(5)));
    expected.extend((10..40).map(id_of));
    assert_eq!(ours, expected, "every entry, oldest first");
    assert!(journal.iter().all(|e| e.body.chars().count() <= 20_000));
}

fn conflict_or_retry(r: &Result<(), PortError>) -> bool {
    matches!(r, Err(e) if e.is_conflict() || e.is_retryable())
}

/// [`AppointmentStore`]: every write is conditional on the plan's version (R-APT-5): a stale
/// version is a conflict, two writers of one version leave one winner, and a plan larger than
/// one transaction is written in chunks that move the version on once.
pub async fn appointment_store<A: AppointmentStore>(store: &A, prefix: &str) {
    let citizen = id(CITIZEN);
    let service = service();
    let plan = store.plan(&citizen, &service).await.unwrap();
    assert_eq!((plan.assignments.len(), plan.version), (0, 0), "an unknown plan is empty, version 0");

    store.write_assignments(&citizen, &service, 0, &assignments(&format!("{prefix}w"), 3)).await.unwrap();
    assert!(
        conflict_or_retry(&store.write_assignments(&citizen, &service, 1, &assignments(&format!("{prefix}w"), 1)).await),
        "a version the plan is not at"
    );

    // 250 assignments: more than one transaction; the version moves on once.
    let big = assignments(&format!("{prefix}r"), 250);
    store.replace_plan(&citizen, &service, 0, &big).await.unwrap();
    let plan = store.plan(&citizen, &service).await.unwrap();
    assert_eq!((plan.assignments.len(), plan.version), (250, 1), "replaced whole, version 1");
    assert!(conflict_or_retry(&store.replace_plan(&citizen, &service, 0, &big[..2]).await), "a stale version");

    // Two re-datings of one version at once (each within one transaction): one wins, the
    // other conflicts and leaves nothing.
    store.replace_plan(&citizen, &service, 1, &assignments(&format!("{prefix}s"), 4)).await.unwrap();
    let (a, b) = (assignments(&format!("{prefix}x"), 2), assignments(&format!("{prefix}y"), 3));
    let (ra, rb) = futures::join!(store.replace_plan(&citizen, &service, 2, &a), store.replace_plan(&citizen, &service, 2, &b));
    assert_eq!([ra.is_ok(), rb.is_ok()].iter().filter(|ok| **ok).count(), 1, "one winner: {ra:?} {rb:?}");
    assert!(conflict_or_retry(if ra.is_ok() { &rb } else { &ra }));
    let plan = store.plan(&citizen, &service).await.unwrap();
    assert_eq!(plan.version, 3);
    let mut ids: Vec<String> = plan.assignments.iter().map(|a| a.id.0.clone()).collect();
    ids.sort();
    let winner = if ra.is_ok() { a } else { b };
    assert_eq!(ids, winner.iter().map(|a| a.id.0.clone()).collect::<Vec<_>>(), "the winner's plan, nothing of the other");
}

/// [`CitizenReader::citizens_with_history`] (R-ICON-1 "at least one message was sent"): a
/// known citizen's journaled message is their history, however the store keeps it (DynamoDB:
/// read from the journal index, no citizen write per message). The caller has stored the
/// citizen's record, without history.
pub async fn citizen_history<S: MessageStore + CitizenReader>(store: &S, prefix: &str) {
    let before = store.citizens_with_history(&[id(CITIZEN)]).await.unwrap();
    assert!(before[&id(CITIZEN)].last_message_at.is_none(), "no message yet");
    store.record(&delivery(&format!("{prefix}-hist-1"), 1, "Hei".into())).await.unwrap();
    let after = store.citizens_with_history(&[id(CITIZEN)]).await.unwrap();
    assert!(after[&id(CITIZEN)].last_message_at.is_some(), "the message is the citizen's history");
}
