//! DynamoDB and SQS calls per unit of work, counted by an SDK interceptor on the real adapters
//! against moto (provisioned from template.yaml), and the same inbound flow through a
//! Powertools-style pipeline built from the same adapters: a separate idempotency PutItem
//! (INPROGRESS), the business write, an idempotency UpdateItem (COMPLETED), one SendMessage
//! per record.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use e2e::LocalStack;
use e2e::counting::{CallCounter, Units};
use e2e::stack::sdk_config;
use jiff::SignedDuration;
use shared::adapters::aws::dynamo::Dynamo;
use shared::adapters::aws::sqs::{SqsAlerts, SqsChunkQueue, SqsOutbox};
use shared::adapters::her_directory::CachedHerDirectory;
use shared::adapters::memory::{MemoryDb, SystemClock};
use shared::app::RecordIn;
use shared::app::icon::{BreakerConfig, CircuitBreaker, IconService};
use shared::app::inbound::InboundService;
use shared::app::kith_inbound::{KithInboundService, Transport};
use shared::app::outbound::OutboundService;
use shared::app::pipeline::Pipeline;
use shared::app::sync::SyncService;
use shared::domain::consent::{AktivFacts, CitizenRecord};
use shared::domain::message::Outgoing;
use shared::domain::IdMode;
use shared::error::PortError;
use shared::fixtures::kith;
use shared::fixtures::{self, CITIZEN, consented_citizen, id, service, synthetic_id};
use shared::ports::{Delivery, HelsenorgeOutbox, HerDirectory, MessageStore, Recorded};

/// Calls per unit of work for one flow.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Calls {
    /// The flow.
    pub flow: &'static str,
    /// Units of work run.
    pub units_of_work: u32,
    /// What one unit is.
    pub per: &'static str,
    /// DynamoDB calls per unit.
    pub dynamodb: f64,
    /// SQS calls per unit.
    pub sqs: f64,
    /// Calls by operation, in all.
    pub operations: BTreeMap<String, u32>,
    /// Billed units per unit of work.
    pub billed: Units,
    /// Median wall time of one SQS batch of 10 (or one unit) on moto, ms.
    pub batch_ms_p50: f64,
}

/// Runs `batches` one by one and returns the median time of one, ms.
async fn timed<F: std::future::Future<Output = ()>>(batches: impl IntoIterator<Item = F>) -> f64 {
    let mut took = vec![];
    for b in batches {
        let t = std::time::Instant::now();
        b.await;
        took.push(t.elapsed());
    }
    took.sort();
    e2e::quantile_ms(&took, 0.5)
}

fn calls(flow: &'static str, per: &'static str, n: u32, counter: &CallCounter, batch_ms_p50: f64) -> Calls {
    let u = counter.units();
    let k = f64::from(n);
    Calls {
        flow,
        units_of_work: n,
        per,
        dynamodb: f64::from(counter.calls_to("dynamodb")) / k,
        sqs: f64::from(counter.calls_to("sqs")) / k,
        operations: counter.counts(),
        billed: Units { write_units: u.write_units / k, read_units: u.read_units / k, sqs_requests: u.sqs_requests / k },
        batch_ms_p50,
    }
}

/// The Powertools idempotency pattern over our store: its own record before and after the
/// business write (which is our TransactWriteItems, unchanged).
#[derive(Clone)]
struct PowertoolsStyle {
    inner: Dynamo,
    ddb: aws_sdk_dynamodb::Client,
    table: String,
}

impl MessageStore for PowertoolsStyle {
    async fn record(&self, d: &Delivery) -> Result<Recorded, PortError> {
        let key = AttributeValue::S(format!("IDEMPOTENCY#{}", d.message_id));
        let put = self
            .ddb
            .put_item()
            .table_name(&self.table)
            .item("pk", key.clone())
            .item("sk", AttributeValue::S("IDEMPOTENCY".into()))
            .item("status", AttributeValue::S("INPROGRESS".into()))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        if put.is_err() {
            // Already there: Powertools returns the stored response; our store answers the same.
            return self.inner.record(d).await;
        }
        let recorded = self.inner.record(d).await?;
        self.ddb
            .update_item()
            .table_name(&self.table)
            .key("pk", key)
            .key("sk", AttributeValue::S("IDEMPOTENCY".into()))
            .update_expression("SET #s = :done")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":done", AttributeValue::S("COMPLETED".into()))
            .send()
            .await
            .map_err(|e| PortError::transient("idempotency update", e))?;
        Ok(recorded)
    }

    async fn mark_sent(&self, ids: &[String], at: jiff::Timestamp) -> Result<(), PortError> {
        self.inner.mark_sent(ids, at).await
    }

    async fn note_send(&self, ids: &[String], fact: &shared::domain::ReceiptFact) -> Result<(), PortError> {
        self.inner.note_send(ids, fact).await
    }
}

/// One SendMessage per answer, as a per-record handler sends.
struct PerRecord(SqsOutbox);

impl HelsenorgeOutbox for PerRecord {
    async fn send(&self, messages: &[Outgoing]) -> Result<Vec<String>, PortError> {
        let mut failed = vec![];
        for m in messages {
            failed.extend(self.0.send(std::slice::from_ref(m)).await?);
        }
        Ok(failed)
    }
}

fn records(bodies: impl Iterator<Item = String>) -> Vec<RecordIn> {
    bodies.enumerate().map(|(i, body)| RecordIn { sqs_message_id: format!("sqs-{i}"), body, receive_count: 1 }).collect()
}

/// Counts every flow; needs moto (AWS_ENDPOINT_URL).
pub async fn run() -> Vec<Calls> {
    let stack = LocalStack::provision("bench-calls");
    let sdk = sdk_config().await;
    let plain = Dynamo::new(aws_sdk_dynamodb::Client::new(&sdk), stack.tables());
    plain.put_citizen(&consented_citizen(CITIZEN, &service())).await.expect("seed citizen");
    fixtures::seed_usable_activation(&plain, &service()).await.expect("seed activation");
    plain.put_her(&shared::fixtures::her_entry()).await.expect("seed her-id");
    let counter = CallCounter::default();
    let (ddb, sqs) = counter.clients(&sdk);
    let store = Dynamo::new(ddb.clone(), stack.tables());
    let to_hn = stack.queue("ToHelsenorgeQueue").to_string();
    let mut out = vec![];
    const N: u32 = 100;

    // inbound-message as its main wires it: KITH XML with the bridge's attributes, routed by
    // the receiver's HER-id through the cached directory (warmed, as after an instance's first
    // message; a miss costs one GetItem per HER-id and minute).
    let kith_batch = |tag: &str| -> Vec<(RecordIn, Transport)> {
        (0..N).map(|i| kith::record(&format!("sqs-{i}"), &kith::ekontakt(&format!("hn-{tag}-{i}"), CITIZEN, &service()))).collect()
    };
    let directory = CachedHerDirectory::new(store.clone(), SystemClock);
    directory.service_of(&fixtures::her_entry().her_id).await.expect("warm the HER-id cache");
    let inbound = InboundService {
        gate: store.clone(),
        appointments: store.clone(),
        outbound: store.clone(),
        pipeline: Pipeline {
            messages: store.clone(),
            outbox: SqsOutbox::new(sqs.clone(), &to_hn),
            dead_letters: store.clone(),
            clock: SystemClock,
            source_queue: "InboundQueue".into(),
        },
        id_mode: IdMode::Production,
    };
    let inbound = KithInboundService { inbound, directory: directory.clone() };
    let batch = kith_batch("calls");
    counter.reset();
    let ms = timed(batch.chunks(10).map(|b| async {
        assert!(inbound.handle_batch(b, 10).await.is_empty(), "inbound calls: every message processed");
    }))
    .await;
    out.push(calls("inbound-message (helsedialog)", "message", N, &counter, ms));
    counter.reset();
    let ms = timed(batch.chunks(10).map(|b| async {
        inbound.handle_batch(b, 10).await;
    }))
    .await;
    out.push(calls("inbound-message, redelivered duplicate", "message", N, &counter, ms));

    // The same flow, Powertools-style.
    let powertools = InboundService {
        gate: store.clone(),
        appointments: store.clone(),
        outbound: store.clone(),
        pipeline: Pipeline {
            messages: PowertoolsStyle { inner: store.clone(), ddb: ddb.clone(), table: stack.table("OperationsTable").into() },
            outbox: PerRecord(SqsOutbox::new(sqs.clone(), &to_hn)),
            dead_letters: store.clone(),
            clock: SystemClock,
            source_queue: "InboundQueue".into(),
        },
        id_mode: IdMode::Production,
    };
    let powertools = KithInboundService { inbound: powertools, directory: directory.clone() };
    let batch = kith_batch("powertools");
    counter.reset();
    let ms = timed(batch.chunks(10).map(|b| async {
        assert!(powertools.handle_batch(b, 10).await.is_empty(), "powertools-style: every message processed");
    }))
    .await;
    out.push(calls("inbound-message (Powertools-style)", "message", N, &counter, ms));

    // outbound-reply as its main wires it.
    let outbound = OutboundService {
        gate: store.clone(),
        pipeline: Pipeline {
            messages: store.clone(),
            outbox: SqsOutbox::new(sqs.clone(), &to_hn).with_epj(stack.queue("EpjResultsQueue")),
            dead_letters: store.clone(),
            clock: SystemClock,
            source_queue: "OutboundQueue".into(),
        },
        id_mode: IdMode::Production,
    };
    let batch = records((0..N).map(|i| crate::throughput::reply_request(&format!("reply-calls-{i}"))));
    counter.reset();
    let ms = timed(batch.chunks(10).map(|b| async {
        assert!(outbound.handle_batch(b, 10).await.is_empty(), "outbound calls: every reply processed");
    }))
    .await;
    out.push(calls("outbound-reply", "reply", N, &counter, ms));

    // status-icon: HelsenorgeAktiv answers (in memory here; its HTTP calls are counted in the
    // status-icon tests), the citizen's history comes from DynamoDB.
    let aktiv = MemoryDb::new();
    aktiv.state().aktiv.insert(id(CITIZEN), AktivFacts { er_digitalt_aktiv_selv: true, er_digitalt_aktiv_via_andre: false, tildelt_fullmakt: false });
    let icons = IconService {
        aktiv: aktiv.clone(),
        citizens: store.clone(),
        clock: SystemClock,
        deadline: Duration::from_secs(2),
        breaker: CircuitBreaker::new(BreakerConfig { failures_to_open: 3, cool_down: SignedDuration::from_secs(30) }),
    };
    counter.reset();
    let ms = timed((0..N).map(|_| async {
        icons.icons(&[id(CITIZEN)]).await;
    }))
    .await;
    out.push(calls("status-icon", "lookup", N, &counter, ms));

    // consent-sync: 1,000 citizens, start + chunk, as its main wires it (chunks taken from the
    // work queue by an uncounted client, as Lambda's poller would).
    let stack = LocalStack::provision("bench-sync");
    let plain = Dynamo::new(aws_sdk_dynamodb::Client::new(&sdk), stack.tables());
    fixtures::seed_usable_activation(&plain, &service()).await.expect("seed activation");
    plain.put_her(&shared::fixtures::her_entry()).await.expect("seed her-id");
    let citizens: Vec<CitizenRecord> = (0..1000).map(|i| consented_citizen(&synthetic_id(i).expose(), &service())).collect();
    plain.put_citizens(&citizens).await.expect("seed citizens");
    let store = Dynamo::new(ddb.clone(), stack.tables());
    let work = stack.queue("SyncWorkQueue").to_string();
    let sync = SyncService {
        store: store.clone(),
        citizens: store.clone(),
        queue: SqsChunkQueue::new(sqs.clone(), &work),
        aktiv: aktiv.clone(),
        alerts: SqsAlerts::new(sqs.clone(), stack.queue("AlertsQueue")),
        clock: SystemClock,
        dead_letters: store.clone(),
        source_queue: "SyncWorkQueue".into(),
    };
    counter.reset();
    let t = std::time::Instant::now();
    sync.start(None).await.expect("sync start");
    let poller = aws_sdk_sqs::Client::new(&sdk);
    loop {
        let got = poller.receive_message().queue_url(&work).max_number_of_messages(10).send().await.expect("receive chunks");
        let msgs = got.messages.unwrap_or_default();
        if msgs.is_empty() {
            break;
        }
        let recs: Vec<RecordIn> = msgs
            .iter()
            .map(|m| RecordIn { sqs_message_id: m.message_id().unwrap_or_default().into(), body: m.body().unwrap_or_default().into(), receive_count: 1 })
            .collect();
        assert!(sync.handle_chunks(&recs).await.is_empty(), "sync chunks processed");
        for m in &msgs {
            poller.delete_message().queue_url(&work).receipt_handle(m.receipt_handle().unwrap_or_default()).send().await.expect("delete");
        }
    }
    out.push(calls("consent-sync", "1,000 citizens", 1, &counter, t.elapsed().as_secs_f64() * 1000.0));
    out
}
