//! Contract suites of the queues written by the functions ([`HelsenorgeOutbox`],
//! [`ChunkQueue`]), run on the in-memory adapter and on SQS (`tests/contract.rs`). They hold
//! each implementation to what SQS does and memory could hide: a batch carries at most 10
//! messages and 1 MiB in all (256 KiB on a queue left at the old default), bodies and
//! attributes arrive untouched, every message once.

use shared::domain::message::{OutMessage, Outgoing, WireMessage};
use shared::domain::sync::{SyncChunk, SyncListing, SyncWork};
use shared::fixtures::synthetic_id;
use shared::ports::{ChunkQueue, HelsenorgeOutbox};

fn sorted<T: serde::Serialize>(mut v: Vec<T>) -> Vec<T> {
    v.sort_by_key(|x| serde_json::to_string(x).expect("json"));
    v
}

/// A rendered wire message of about `size` bytes, with its transport attributes.
fn wire(n: u32, size: usize) -> Outgoing {
    let id = format!("out-{n:02}");
    let mut attributes = vec![("messageFunction".to_string(), "DIALOG_INNBYGGER_EKONTAKT".to_string()), ("messageId".to_string(), id.clone())];
    attributes.sort();
    let body = format!("<MsgHead><Id>{id}</Id><Body>æøå{}</Body></MsgHead>", "x".repeat(size));
    Outgoing::new(id, OutMessage::Wire(WireMessage { body, attributes }))
}

/// [`HelsenorgeOutbox`]: twelve wire messages of 150 KB (1.8 MB, more than one SQS batch holds
/// by size as by count) are all sent, none reported failed, and arrive untouched with their
/// attributes. `received` takes everything sent so far.
pub async fn outbox<O, F>(outbox: &O, received: F)
where
    O: HelsenorgeOutbox,
    F: AsyncFn() -> Vec<Outgoing>,
{
    let messages: Vec<Outgoing> = (0..12).map(|n| wire(n, 150 * 1024)).chain([wire(12, 100)]).collect();
    let failed = outbox.send(&messages).await.expect("sent");
    assert_eq!(failed, Vec::<String>::new(), "none failed");
    let got = received().await;
    assert_eq!(got.len(), messages.len(), "every message once");
    assert!(sorted(got) == sorted(messages), "bodies and attributes untouched");
}

/// [`ChunkQueue`]: twelve chunks of 1,000 ids and a listing step (more than one batch) arrive
/// as sent, each once. `received` takes everything sent so far.
pub async fn chunk_queue<Q, F>(queue: &Q, received: F)
where
    Q: ChunkQueue,
    F: AsyncFn() -> Vec<SyncWork>,
{
    let work: Vec<SyncWork> = (0..12)
        .map(|chunk| SyncWork::Chunk(SyncChunk { run_id: "2026-03-01".into(), chunk, ids: (chunk * 1000..(chunk + 1) * 1000).map(synthetic_id).collect() }))
        .chain([SyncWork::Listing(SyncListing { run_id: "2026-03-01".into(), step: 3, activation: 1, cursor: Some("{\"pk\":\"x\"}".into()), chunk: 12 })])
        .collect();
    queue.send(&work).await.expect("sent");
    let got = received().await;
    assert_eq!(got.len(), work.len(), "every item once");
    assert!(sorted(got) == sorted(work), "as sent");
}
