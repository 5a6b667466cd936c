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
