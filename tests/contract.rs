//! The contract suites of `e2e::contract`, each run on the in-memory adapter and on the
//! DynamoDB/SQS adapter against the local stack (a fresh set of tables and queues per test).

use e2e::{contract, contract_stores};
use e2e::stack::sdk_config;
use e2e::LocalStack;
use shared::adapters::aws::dynamo::Dynamo;
use shared::adapters::aws::parked::DynamoParked;
use shared::adapters::aws::sqs::SqsRequeue;
use shared::adapters::memory::MemoryDb;

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
