//! The EPJ API (issue #19): inbox-read and reply-submit latency, p50/p99, on the in-memory
//! adapters (the use case's own cost, one core), and DynamoDB/SQS calls per request against
//! moto with the function's own wiring (an SDK interceptor counts them).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use e2e::LocalStack;
use e2e::counting::CallCounter;
use e2e::stack::sdk_config;
use serde_json::{Value, json};
use shared::adapters::aws::dynamo::Dynamo;
use shared::adapters::aws::epj_store::DynamoEpj;
use shared::adapters::aws::parked::DynamoParked;
use shared::adapters::aws::sqs::SqsOutbox;
use shared::adapters::memory::{MemoryDb, SystemClock};
use shared::adapters::memory_epj::MemoryEpj;
use shared::adapters::her_directory::{CachedHerDirectory, MemoryHerDirectory};
use shared::app::kith_inbound::KithInboundService;
use shared::app::epj_api::{EpjApi, ReplySender, Settings};
use shared::app::http::HttpRequest;
use shared::app::inbound::InboundService;
use shared::app::outbound::OutboundService;
use shared::app::pipeline::Pipeline;
use shared::domain::IdMode;
use shared::fixtures::kith;
use shared::fixtures::{self, CITIZEN, consented_citizen, id, service, usable_activation};
use shared::ports::epj::{ActivationAdmin, RecordCardStore, TakeOverStore};
use shared::ports::{ActivationStore, AppointmentStore, Clock, Inspect, MessageStore, OutboundStore, ParkedStore};

/// Latency of one route.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Latency {
    /// The route.
    pub route: &'static str,
    /// Requests timed.
    pub n: usize,
    /// Median, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
}

/// AWS calls per request of one route.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Calls {
    /// The route.
    pub route: &'static str,
    /// DynamoDB calls per request.
    pub dynamodb: f64,
    /// SQS calls per request.
    pub sqs: f64,
    /// Calls by operation, in all.
    pub operations: BTreeMap<String, u32>,
}

fn nurse() -> Value {
    json!({"staffId": "sykepleier-17", "functions": ["digihelse_les"], "departments": ["115"],
        "roles": [{"role": "sykepleier", "gradings": ["AJ"], "departments": ["115"]}]})
}

fn inbox_request() -> HttpRequest {
    let mut r = HttpRequest::new("GET", "/v1/departments/115/inbox", vec![]);
    r.query = "limit=20".into();
    r.headers.push(("x-epj-staff".into(), nurse().to_string()));
    r
}

fn reply_request(key: &str) -> HttpRequest {
    let body = json!({"citizen": CITIZEN, "service": service(), "origin": "dialog-window", "subject": "Svar", "body": "Vi kommer kl. 10."});
    let mut r = HttpRequest::new("POST", "/v1/replies", body.to_string().into_bytes());
    r.headers.push(("x-epj-staff".into(), nurse().to_string()));
    r.headers.push(("idempotency-key".into(), key.into()));
    r
}

/// `n` citizen messages (KITH MsgHead XML with the bridge's attributes) into 115's inbox,
/// through inbound-message's use case, routed by the receiver's HER-id.
async fn fill_inbox<M, R, H, D>(store: &M, directory: R, outbox: H, dead_letters: D, n: usize)
where
    M: MessageStore + AppointmentStore + OutboundStore + shared::ports::GateReader + Clone,
    R: shared::ports::HerDirectory,
    H: shared::ports::HelsenorgeOutbox,
    D: shared::ports::DeadLetterLog,
{
    let inbound = InboundService {
        gate: store.clone(),
        appointments: store.clone(),
        outbound: store.clone(),
        pipeline: Pipeline { messages: store.clone(), outbox, dead_letters, clock: SystemClock, source_queue: "InboundQueue".into() },
        id_mode: IdMode::Production,
    };
    let inbound = KithInboundService { inbound, directory };
    let records: Vec<_> = (0..n).map(|i| kith::record(&format!("s{i}"), &kith::ekontakt(&format!("hn-epj-{i}"), CITIZEN, &service()))).collect();
    for chunk in records.chunks(10) {
        assert!(inbound.handle_batch(chunk, 10).await.is_empty(), "inbox filled");
    }
}

async fn time_requests<R, E, P, S, C>(api: &EpjApi<R, E, P, S, C>, requests: Vec<HttpRequest>, want: u16) -> (usize, f64, f64)
where
    R: MessageStore + Inspect + OutboundStore + AppointmentStore + ActivationStore,
    E: TakeOverStore + ActivationAdmin + RecordCardStore,
    P: ParkedStore,
    S: ReplySender,
    C: Clock,
{
    let mut took: Vec<Duration> = vec![];
    for r in &requests {
        let t = Instant::now();
        let resp = api.answer(r).await;
        took.push(t.elapsed());
        assert_eq!(resp.status, want, "{}", resp.body);
    }
    took.sort();
    (took.len(), e2e::quantile_ms(&took, 0.5), e2e::quantile_ms(&took, 0.99))
}

/// Latency on the in-memory adapters, one core: an inbox of 200 messages read 20 at a time,
/// and reply submissions with fresh keys.
pub fn latency(rt: &tokio::runtime::Runtime, n: usize) -> Vec<Latency> {
    rt.block_on(async {
        let db = MemoryDb::new();
        db.state().citizens.insert(id(CITIZEN), consented_citizen(CITIZEN, &service()));
        db.state().activations.insert(service(), usable_activation(&service()));
        fill_inbox(&db, MemoryHerDirectory { entries: vec![fixtures::her_entry()] }, db.clone(), db.clone(), 200).await;
        let pipeline = Pipeline { messages: db.clone(), outbox: db.clone(), dead_letters: db.clone(), clock: SystemClock, source_queue: "epj-api".into() };
        let api = EpjApi {
            records: db.clone(),
            epj: MemoryEpj::new(db.clone()),
            parked: db.clone(),
            replies: OutboundService { gate: db.clone(), pipeline, id_mode: IdMode::Production },
            clock: SystemClock,
            settings: Settings::default(),
        };
        let (k, p50, p99) = time_requests(&api, (0..n).map(|_| inbox_request()).collect(), 200).await;
        let inbox = Latency { route: "GET inbox (200 items, limit 20)", n: k, p50_ms: p50, p99_ms: p99 };
        let (k, p50, p99) = time_requests(&api, (0..n).map(|i| reply_request(&format!("bench-{i}"))).collect(), 202).await;
        vec![inbox, Latency { route: "POST replies", n: k, p50_ms: p50, p99_ms: p99 }]
    })
}

/// Calls per request against moto, wired as the function's main wires it.
pub async fn calls() -> Vec<Calls> {
    let stack = LocalStack::provision("bench-epj");
    let sdk = sdk_config().await;
    let plain = Dynamo::new(aws_sdk_dynamodb::Client::new(&sdk), stack.tables());
    plain.put_citizen(&consented_citizen(CITIZEN, &service())).await.expect("seed citizen");
    fixtures::seed_usable_activation(&plain, &service()).await.expect("seed activation");
    let sqs_plain = aws_sdk_sqs::Client::new(&sdk);
    plain.put_her(&fixtures::her_entry()).await.expect("seed the HER-id");
    fill_inbox(&plain, CachedHerDirectory::new(plain.clone(), SystemClock), SqsOutbox::new(sqs_plain, stack.queue("ToHelsenorgeQueue")), plain.clone(), 50).await;
    let counter = CallCounter::default();
    let (ddb, sqs) = counter.clients(&sdk);
    let store = Dynamo::new(ddb.clone(), stack.tables());
    let outbox = SqsOutbox::new(sqs, stack.queue("ToHelsenorgeQueue")).with_epj(stack.queue("EpjResultsQueue"));
    let pipeline = Pipeline { messages: store.clone(), outbox, dead_letters: store.clone(), clock: SystemClock, source_queue: "epj-api".into() };
    let api = EpjApi {
        records: store.clone(),
        epj: DynamoEpj::new(ddb.clone(), stack.tables()),
        parked: DynamoParked::new(ddb, stack.table("OperationsTable")),
        replies: OutboundService { gate: store, pipeline, id_mode: IdMode::Production },
        clock: SystemClock,
        settings: Settings::default(),
    };
    const N: usize = 20;
    let mut out = vec![];
    let routes: [(&'static str, Vec<HttpRequest>, u16); 2] = [
        ("GET inbox (50 items, limit 20)", (0..N).map(|_| inbox_request()).collect(), 200),
        ("POST replies", (0..N).map(|i| reply_request(&format!("bench-calls-{i}"))).collect(), 202),
    ];
    for (route, requests, want) in routes {
        counter.reset();
        time_requests(&api, requests, want).await;
        let k = N as f64;
        out.push(Calls {
            route,
            dynamodb: f64::from(counter.calls_to("dynamodb")) / k,
            sqs: f64::from(counter.calls_to("sqs")) / k,
            operations: counter.counts(),
        });
    }
    out
}
