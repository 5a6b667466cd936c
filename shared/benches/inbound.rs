//! Throughput of the inbound use case on in-memory adapters, one core (`cargo bench -p shared
//! --bench inbound`). Reports figures; asserts nothing about time.

use std::time::Instant;

use shared::adapters::memory::{MemoryDb, SystemClock};
use shared::app::RecordIn;
use shared::app::inbound::InboundService;
use shared::app::pipeline::Pipeline;
use shared::domain::IdMode;
use shared::fixtures::{self, CITIZEN, consented_citizen, id, service, usable_activation};

fn main() {
    let n: usize = std::env::var("BENCH_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(50_000);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let db = MemoryDb::new();
    db.state().citizens.insert(id(CITIZEN), consented_citizen(CITIZEN, &service()));
    db.state().activations.insert(service(), usable_activation(&service()));
    let svc = InboundService {
        gate: db.clone(),
        appointments: db.clone(),
        outbound: db.clone(),
        pipeline: Pipeline {
            messages: db.clone(),
            outbox: db.clone(),
            dead_letters: db.clone(),
            clock: SystemClock,
            source_queue: "InboundQueue".into(),
        },
        id_mode: IdMode::Production,
    };
    let records: Vec<RecordIn> = (0..n)
        .map(|i| RecordIn {
            sqs_message_id: format!("sqs-{i}"),
            body: fixtures::dialog_json(&format!("hn-bench-{i}"), CITIZEN, &service()),
            receive_count: 1,
        })
        .collect();
    for (label, pass) in [("admitted (journal + inbox + AppRec)", 0), ("redelivered duplicates", 1)] {
        let t = Instant::now();
        let mut failed = 0;
        rt.block_on(async {
            for batch in records.chunks(10) {
                failed += svc.handle_batch(batch, 10).await.len();
            }
        });
        let secs = t.elapsed().as_secs_f64();
        println!("inbound-message, {label}: {n} messages in {secs:.3} s = {:.0} messages/s on one core ({failed} failed)", n as f64 / secs);
        let _ = pass;
    }
    let s = db.state();
    println!("journal entries: {}, AppRecs sent: {}", s.journal.values().map(Vec::len).sum::<usize>(), s.sent.len());
}
