//! Handler throughput per function on in-memory adapters, one core (a current-thread runtime):
//! the use cases exactly as the functions' mains wire them, with `MemoryDb` behind every port,
//! so the figure is the cost of helsedialog's own code (parsing, rules, pipeline), not of I/O.

use std::time::{Duration, Instant};

use jiff::SignedDuration;
use serde_json::json;
use shared::adapters::her_directory::{CachedHerDirectory, MemoryHerDirectory};
use shared::adapters::memory::{MemoryDb, SystemClock};
use shared::app::RecordIn;
use shared::app::icon::{BreakerConfig, CircuitBreaker, IconService, parse_query};
use shared::app::inbound::InboundService;
use shared::app::kith_edge::Answering;
use shared::app::kith_inbound::KithInboundService;
use shared::app::outbound::OutboundService;
use shared::app::pipeline::Pipeline;
use shared::app::republish::{RedrivePair, RepublishService, summary};
use shared::app::sync::SyncService;
use shared::domain::IdMode;
use shared::domain::consent::AktivFacts;
use shared::domain::dead_letter::{ParkedMessage, ParkedRecord};
use shared::fixtures::kith;
use shared::kith::msghead::{KithDocument, read_document};
use shared::kith::{AppRecStatusCode, ReadLimits};
use shared::fixtures::{self, CITIZEN, consented_citizen, id, service, synthetic_id, usable_activation};
use shared::ports::QueuedMessage;

/// One measured row.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Throughput {
    /// The function.
    pub function: &'static str,
    /// What one unit of work is.
    pub unit: &'static str,
    /// Units done.
    pub n: usize,
    /// Wall time.
    pub seconds: f64,
    /// Units per second.
    pub per_second: f64,
}

fn row(function: &'static str, unit: &'static str, n: usize, took: Duration) -> Throughput {
    let seconds = took.as_secs_f64();
    Throughput { function, unit, n, seconds, per_second: n as f64 / seconds.max(1e-9) }
}

fn world() -> MemoryDb {
    let db = MemoryDb::new();
    let mut s = db.state();
    s.citizens.insert(id(CITIZEN), consented_citizen(CITIZEN, &service()));
    s.activations.insert(service(), usable_activation(&service()));
    drop(s);
    db
}

fn pipeline(db: &MemoryDb, queue: &str) -> Pipeline<MemoryDb, MemoryDb, MemoryDb, SystemClock> {
    Pipeline { messages: db.clone(), outbox: db.clone(), dead_letters: db.clone(), clock: SystemClock, source_queue: queue.into() }
}

fn records(bodies: impl Iterator<Item = String>) -> Vec<RecordIn> {
    bodies.enumerate().map(|(i, body)| RecordIn { sqs_message_id: format!("sqs-{i}"), body, receive_count: 1 }).collect()
}

/// A staff reply request as the EPJ's dialog window sends it.
pub fn reply_request(reply_id: &str) -> String {
    fixtures::reply_request(reply_id, "115").to_string()
}

/// Runs every function's use case `scale` times over (1.0 = the full run, ~1 minute).
pub fn run(rt: &tokio::runtime::Runtime, scale: f64) -> Vec<Throughput> {
    let n = |full: usize| ((full as f64 * scale) as usize).max(100);
    let mut rows = vec![];

    // KITH XML: an EKONTAKT parsed (namespaces checked) and its AppRec 1.1 written, the codec
    // alone (the #17 goal: at least 20,000 a second on one core).
    let count = n(100_000);
    let messages: Vec<kith::OnQueue> = (0..count).map(|i| kith::ekontakt(&format!("hn-bench-{i}"), CITIZEN, &service())).collect();
    let now = jiff::Timestamp::now();
    let t = Instant::now();
    let mut bytes = 0usize;
    for m in &messages {
        let Ok(KithDocument::MsgHead(m)) = read_document(m.body.as_bytes(), ReadLimits::INBOUND) else {
            panic!("kith bench: the sample parses")
        };
        let answer = Answering::of(&m, None).apprec(AppRecStatusCode::Ok, vec![], now);
        bytes += std::hint::black_box(answer).id.len();
    }
    assert!(bytes > 0);
    rows.push(row("kith codec", "EKONTAKT parsed + AppRec written", count, t.elapsed()));

    // inbound-message: the same EKONTAKTs with their transport attributes through the KITH edge
    // as the main wires it (routing, gate, journal, inbox, AppRec XML rendered once), in SQS
    // batches of 10; then all of them again (redelivered duplicates).
    let db = world();
    let inbound = KithInboundService {
        inbound: InboundService {
            gate: db.clone(),
            appointments: db.clone(),
            outbound: db.clone(),
            pipeline: pipeline(&db, "InboundQueue"),
            id_mode: IdMode::Production,
        },
        directory: CachedHerDirectory::new(MemoryHerDirectory { entries: vec![fixtures::her_entry()] }, SystemClock),
    };
    let batch: Vec<_> = messages.iter().enumerate().map(|(i, m)| kith::record(&format!("sqs-{i}"), m)).collect();
    for unit in ["EKONTAKT admitted (journal + inbox + AppRec XML)", "redelivered duplicate"] {
        let t = Instant::now();
        let failed: usize = rt.block_on(async {
            let mut failed = 0;
            for b in batch.chunks(10) {
                failed += inbound.handle_batch(b, 10).await.len();
            }
            failed
        });
        assert_eq!(failed, 0, "inbound bench: every message is processed");
        rows.push(row("inbound-message", unit, count, t.elapsed()));
    }

    // outbound-reply: staff replies authorized, journaled, recorded and sent, batches of 10.
    let db = world();
    let outbound = OutboundService { gate: db.clone(), pipeline: pipeline(&db, "OutboundQueue"), id_mode: IdMode::Production };
    let count = n(50_000);
    let batch = records((0..count).map(|i| reply_request(&format!("reply-bench-{i}"))));
    let t = Instant::now();
    let failed: usize = rt.block_on(async {
        let mut failed = 0;
        for b in batch.chunks(10) {
            failed += outbound.handle_batch(b, 10).await.len();
        }
        failed
    });
    assert_eq!(failed, 0, "outbound bench: every reply is processed");
    rows.push(row("outbound-reply", "reply sent", count, t.elapsed()));

    // status-icon: parse the request body, look up HelsenorgeAktiv (in memory), decide the icon.
    let db = world();
    db.state().aktiv.insert(id(CITIZEN), AktivFacts { er_digitalt_aktiv_selv: true, er_digitalt_aktiv_via_andre: false, tildelt_fullmakt: false });
    let icons = IconService {
        aktiv: db.clone(),
        citizens: db.clone(),
        clock: SystemClock,
        deadline: Duration::from_secs(1),
        breaker: CircuitBreaker::new(BreakerConfig { failures_to_open: 3, cool_down: SignedDuration::from_secs(30) }),
    };
    let body = json!({ "nationalId": CITIZEN }).to_string();
    let count = n(200_000);
    let t = Instant::now();
    rt.block_on(async {
        for _ in 0..count {
            let ids = parse_query(body.as_bytes(), false, IdMode::Production).expect("a valid query");
            let answers = icons.icons(&ids).await;
            std::hint::black_box(serde_json::to_vec(&answers[0]).expect("serializable"));
        }
    });
    rows.push(row("status-icon", "lookup answered", count, t.elapsed()));

    // consent-sync: start (fan-out in chunks of 1000) and every chunk, HelsenorgeAktiv in memory.
    let db = world();
    let count = n(200_000);
    {
        let mut s = db.state();
        for i in 0..count as u32 {
            let nid = synthetic_id(i);
            s.citizens.insert(nid.clone(), consented_citizen(&nid.expose(), &service()));
            s.aktiv.insert(nid, AktivFacts { er_digitalt_aktiv_selv: i % 3 != 0, er_digitalt_aktiv_via_andre: false, tildelt_fullmakt: false });
        }
    }
    let sync = SyncService {
        store: db.clone(),
        citizens: db.clone(),
        queue: db.clone(),
        aktiv: db.clone(),
        alerts: db.clone(),
        clock: SystemClock,
        dead_letters: db.clone(),
        source_queue: "SyncWorkQueue".into(),
    };
    let t = Instant::now();
    rt.block_on(async {
        sync.start(None).await.expect("start");
        loop {
            let next = db.state().sync_queue.pop_front();
            let Some(c) = next else { break };
            sync.work(&c).await.expect("work");
        }
    });
    rows.push(row("consent-sync", "citizen synced", count, t.elapsed()));

    // dlq-republisher: dead letters received, republished with their counter, deleted, alerted.
    let db = world();
    let (dlq, source) = ("http://local/1/InboundDeadLetterQueue", "http://local/1/InboundQueue");
    let count = n(100_000);
    {
        let mut s = db.state();
        let q = s.queues.entry(dlq.to_string()).or_default();
        for i in 0..count {
            q.push_back(QueuedMessage {
                message_id: format!("dl-{i}"),
                receipt_handle: format!("rh-{i}"),
                body: kith::ekontakt(&format!("hn-dl-{i}"), CITIZEN, &service()).body,
                republished: (i % 11) as u32,
                source_queue: None,
            });
        }
    }
    let republisher = RepublishService {
        queues: db.clone(),
        dead_letters: db.clone(),
        parked: db.clone(),
        alerts: db.clone(),
        clock: SystemClock,
        pairs: vec![RedrivePair { dead_letter_url: dlq.into(), source_url: source.into() }],
        base_delay_secs: 0,
        max_messages: u32::MAX,
    };
    let t = Instant::now();
    let report = rt.block_on(republisher.republish()).expect("republish");
    assert_eq!((report.republished + report.parked) as usize, count);
    rows.push(row("dlq-republisher", "dead letter republished or parked", count, t.elapsed()));

    // summary-alert: the summary of 1,000 parked messages, built and sent.
    let db = world();
    {
        let mut s = db.state();
        for i in 0..1000 {
            let r = ParkedRecord {
                message_id: format!("parked-{i}"),
                source_queue: "InboundQueue".into(),
                kind: Some("dialog".into()),
                republished: 10,
                last_error: Some("ThrottlingException".into()),
                parked_at: jiff::Timestamp::now(),
            };
            s.parked.insert(r.message_id.clone(), ParkedMessage { record: r, body: String::new() });
        }
    }
    let count = n(500);
    let t = Instant::now();
    rt.block_on(async {
        for _ in 0..count {
            summary(&db, &db, &SystemClock, false).await.expect("summary");
        }
    });
    rows.push(row("summary-alert", "summary of 1,000 parked", count, t.elapsed()));
    rows
}
