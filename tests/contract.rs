//! The contract suites of `e2e::contract*`, each run on the in-memory adapter and on the
//! DynamoDB/SQS adapter against the local stack (a fresh set of tables and queues per test).
//! Ports and their suites: `ParkedStore`, `DeadLetterLog`, `Requeue` (`contract`);
//! `MessageStore` with `Inspect`, `AppointmentStore` (`contract_stores`); `SyncStore`,
//! `CitizenReader`, `ActivationStore`, `Seed` (`contract_sync`); `GateReader`, `OutboundStore`,
//! `HerDirectory`, `AlertSink` (`contract_gate`); `HelsenorgeOutbox`, `ChunkQueue`
//! (`contract_outbound`); `TakeOverStore`, `ActivationAdmin`, `RecordCardStore`
//! (`contract_epj`). `AktivClient` is checked against the fake NHN in `tests/status_icon.rs` and
//! `tests/consent_sync.rs`; the bridge's ports (`ports_transport`) in `tests/bridge*.rs`.

use e2e::contract_probe::{alert_history, chunk_marked_at, queued_alerts, queued_work};
use e2e::sqs::drain;
use e2e::stack::sdk_config;
use e2e::{LocalStack, contract, contract_epj, contract_gate, contract_outbound, contract_stores, contract_sync};
use shared::adapters::aws::dynamo::Dynamo;
use shared::adapters::aws::epj_store::DynamoEpj;
use shared::adapters::aws::parked::DynamoParked;
use shared::adapters::aws::sqs::{SqsAlerts, SqsChunkQueue, SqsOutbox, SqsRequeue};
use shared::adapters::memory::MemoryDb;
use shared::adapters::memory_epj::MemoryEpj;
use shared::domain::message::OutMessage;
use shared::domain::sync::run_id_for;

/// A fresh set of tables and queues, and the DynamoDB adapter over it.
async fn dynamo(test: &str) -> (LocalStack, aws_sdk_dynamodb::Client, Dynamo) {
    let stack = LocalStack::provision(test);
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let store = Dynamo::new(client.clone(), stack.tables());
    (stack, client, store)
}

#[tokio::test]
async fn parked_store_on_memory() {
    contract::parked_store(&MemoryDb::new(), "mem").await;
}

#[tokio::test]
async fn parked_store_on_dynamodb() {
    let stack = LocalStack::provision("cparked");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    contract::parked_store(&DynamoParked::new(client, stack.table("OperationsTable")), &stack.prefix).await;
}

#[tokio::test]
async fn dead_letter_log_on_memory() {
    contract::dead_letter_log(&MemoryDb::new(), "mem").await;
}

#[tokio::test]
async fn dead_letter_log_on_dynamodb() {
    let stack = LocalStack::provision("cdeadletter");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    contract::dead_letter_log(&Dynamo::new(client, stack.tables()), &stack.prefix).await;
}

#[tokio::test]
async fn requeue_on_memory() {
    contract::requeue(&MemoryDb::new(), "http://local/1/InboundDeadLetterQueue").await;
}

#[tokio::test]
async fn requeue_on_sqs() {
    let stack = LocalStack::provision("crequeue");
    let client = aws_sdk_sqs::Client::new(&sdk_config().await);
    contract::requeue(&SqsRequeue::new(client), stack.queue("InboundDeadLetterQueue")).await;
}

#[tokio::test]
async fn message_store_on_memory() {
    contract_stores::message_store(&MemoryDb::new(), "mem").await;
}

#[tokio::test]
async fn message_store_on_dynamodb() {
    let stack = LocalStack::provision("cmessages");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    contract_stores::message_store(&Dynamo::new(client, stack.tables()), &stack.prefix).await;
}

#[tokio::test]
async fn appointment_store_on_memory() {
    contract_stores::appointment_store(&MemoryDb::new(), "mem").await;
}

#[tokio::test]
async fn appointment_store_on_dynamodb() {
    let stack = LocalStack::provision("cappointments");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    contract_stores::appointment_store(&Dynamo::new(client, stack.tables()), &stack.prefix).await;
}

/// #16 item 1: the `SENT` mark expires counted from the caller's clock, not the system's: a
/// mark made "in 2001" expires 400 days after 2001.
#[tokio::test]
async fn message_store_marks_sent_by_the_callers_clock_on_dynamodb() {
    use shared::ports::MessageStore;
    let stack = LocalStack::provision("csentclock");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let store = Dynamo::new(client.clone(), stack.tables());
    let at: jiff::Timestamp = "2001-01-01T00:00:00Z".parse().unwrap();
    store.mark_sent(&["clock-1".to_string()], at).await.unwrap();
    let item = client
        .get_item()
        .table_name(stack.table("MessagesTable"))
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S("MSG#clock-1".into()))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S("SENT".into()))
        .send()
        .await
        .unwrap()
        .item
        .expect("the SENT mark");
    let expires: i64 = item["expires_at"].as_n().unwrap().parse().unwrap();
    assert_eq!(expires, at.as_second() + 400 * 24 * 3600, "400 days after the caller's time");
}

#[tokio::test]
async fn r_icon_1_history_on_memory() {
    let db = MemoryDb::new();
    let c = shared::fixtures::consented_citizen(shared::fixtures::CITIZEN, &shared::fixtures::service());
    db.state().citizens.insert(c.citizen.clone(), c);
    contract_stores::citizen_history(&db, "mem").await;
}

#[tokio::test]
async fn r_icon_1_history_on_dynamodb() {
    let stack = LocalStack::provision("chistory");
    let client = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let store = Dynamo::new(client, stack.tables());
    store.put_citizen(&shared::fixtures::consented_citizen(shared::fixtures::CITIZEN, &shared::fixtures::service())).await.unwrap();
    contract_stores::citizen_history(&store, &stack.prefix).await;
}

#[tokio::test]
async fn sync_runs_on_memory() {
    let db = MemoryDb::new();
    contract_sync::sync_runs(&db, async |run: &str, chunk| db.state().sync_chunks.get(&(run.to_string(), chunk)).copied()).await;
}

#[tokio::test]
async fn sync_runs_on_dynamodb() {
    let (stack, client, store) = dynamo("csyncruns").await;
    contract_sync::sync_runs(&store, async |run: &str, chunk| chunk_marked_at(&client, &stack, run, chunk).await).await;
}

#[tokio::test]
async fn sync_citizens_on_memory() {
    contract_sync::sync_citizens(&MemoryDb::new()).await;
}

#[tokio::test]
async fn sync_citizens_on_dynamodb() {
    let (_stack, _client, store) = dynamo("csynccitizens").await;
    contract_sync::sync_citizens(&store).await;
}

#[tokio::test]
async fn gate_reader_on_memory() {
    contract_gate::gate_reader(&MemoryDb::new(), "mem").await;
}

#[tokio::test]
async fn gate_reader_on_dynamodb() {
    let (stack, _client, store) = dynamo("cgate").await;
    contract_gate::gate_reader(&store, &stack.prefix).await;
}

#[tokio::test]
async fn outbound_store_on_memory() {
    let db = MemoryDb::new();
    contract_gate::outbound_store(&db, "mem").await;
    contract_gate::oversized_outbound(&db, "mem").await;
}

#[tokio::test]
async fn outbound_store_on_dynamodb() {
    let (stack, _client, store) = dynamo("coutbound").await;
    contract_gate::outbound_store(&store, &stack.prefix).await;
    contract_gate::oversized_outbound(&store, &stack.prefix).await;
}

#[tokio::test]
async fn her_directory_on_memory() {
    contract_gate::her_directory(&MemoryDb::new()).await;
}

#[tokio::test]
async fn her_directory_on_dynamodb() {
    let (_stack, _client, store) = dynamo("cher").await;
    contract_gate::her_directory(&store).await;
}

#[tokio::test]
async fn alert_sink_on_memory() {
    let db = MemoryDb::new();
    contract_gate::alert_sink(&db, async |day: &str| db.state().alerts.iter().filter(|a| run_id_for(a.at()) == day).cloned().collect()).await;
}

#[tokio::test]
async fn alert_sink_on_dynamodb() {
    let (stack, client, store) = dynamo("calerts").await;
    contract_gate::alert_sink(&store, async |day: &str| alert_history(&client, &stack, day).await).await;
}

#[tokio::test]
async fn alert_sink_on_sqs() {
    let stack = LocalStack::provision("calertsqs");
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    let url = stack.queue("AlertsQueue").to_string();
    let sink = SqsAlerts::new(sqs.clone(), &url);
    contract_gate::alert_sink(&sink, async |day: &str| queued_alerts(&sqs, &url, day).await).await;
}

#[tokio::test]
async fn outbox_on_memory() {
    let db = MemoryDb::new();
    contract_outbound::outbox(&db, async || std::mem::take(&mut db.state().sent)).await;
}

#[tokio::test]
async fn outbox_on_sqs() {
    let stack = LocalStack::provision("coutbox");
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    let url = stack.queue("ToHelsenorgeQueue").to_string();
    let outbox = SqsOutbox::new(sqs.clone(), &url).with_epj(stack.queue("EpjResultsQueue"));
    contract_outbound::outbox(&outbox, async || {
        drain(&sqs, &url).await.into_iter().filter(|o| matches!(o.message, OutMessage::Wire(_))).collect()
    })
    .await;
}

#[tokio::test]
async fn chunk_queue_on_memory() {
    let db = MemoryDb::new();
    contract_outbound::chunk_queue(&db, async || db.state().sync_queue.drain(..).collect()).await;
}

#[tokio::test]
async fn chunk_queue_on_sqs() {
    let stack = LocalStack::provision("cchunks");
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    let url = stack.queue("SyncWorkQueue").to_string();
    contract_outbound::chunk_queue(&SqsChunkQueue::new(sqs.clone(), &url), async || queued_work(&sqs, &url).await).await;
}

#[tokio::test]
async fn r_acc_3_take_overs_on_memory() {
    contract_epj::r_acc_3_take_over_store(&MemoryEpj::new(MemoryDb::new()), "mem").await;
}

#[tokio::test]
async fn r_acc_3_take_overs_on_dynamodb() {
    let (stack, client, _store) = dynamo("ctakeover").await;
    contract_epj::r_acc_3_take_over_store(&DynamoEpj::new(client, stack.tables()), &stack.prefix).await;
}

#[tokio::test]
async fn epj_records_on_memory() {
    let epj = MemoryEpj::new(MemoryDb::new());
    contract_epj::record_cards_and_activations(&epj, &epj.db).await;
}

#[tokio::test]
async fn epj_records_on_dynamodb() {
    let (stack, client, store) = dynamo("cepjrecords").await;
    contract_epj::record_cards_and_activations(&DynamoEpj::new(client, stack.tables()), &store).await;
}

/// [`AktivClient`] over HTTPS: the HelseID token's cache follows the injected clock (moved an
/// hour on, a fresh token is fetched though no wall-clock time has passed), never the system
/// clock.
#[tokio::test]
async fn aktiv_client_tokens_follow_the_injected_clock() {
    use shared::adapters::clock::ManualClock;
    use shared::adapters::helsenorge::{HelseIdTokens, HelsenorgeAktivHttp, http_client, key_from_secret};
    use shared::ports::AktivClient;

    let stack = LocalStack::provision("caktivclock");
    let fake = e2e::fake::Fake::start(([127, 0, 0, 1], 0).into(), Default::default()).await.expect("fake NHN");
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk_config().await);
    let pem = key_from_secret(&secrets, &stack.helseid_secret()).await.expect("key");
    let http = http_client(std::time::Duration::from_secs(5)).expect("client");
    // The manual clock starts at the wall clock (the token endpoint checks the assertion's
    // expiry against it); only the clock moves afterwards.
    let clock = ManualClock::at(jiff::Timestamp::now());
    let tokens = HelseIdTokens::new(http.clone(), fake.token_url(), e2e::fake::CLIENT_ID, "nhn:helsenorge.aktiv", &pem)
        .expect("tokens")
        .with_clock(clock.clone());
    let client = HelsenorgeAktivHttp::new(http, &fake.base_url(), tokens);
    let ids = [shared::fixtures::id(shared::fixtures::CITIZEN)];
    client.lookup(&ids).await.unwrap();
    client.lookup(&ids).await.unwrap();
    assert_eq!(fake.stats().token_requests, 1, "cached while the clock stands");
    clock.advance(jiff::SignedDuration::from_hours(1));
    client.lookup(&ids).await.unwrap();
    assert_eq!(fake.stats().token_requests, 2, "expired on the injected clock");
}
