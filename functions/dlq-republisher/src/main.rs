//! dlq-republisher: on a schedule, puts dead letters back on their source queues (at most 10
//! times, with a growing delay), then parks them, alerting each step (R-DLQ-1..4). By hand:
//! `{"action":"list-parked"}`, `{"action":"inspect","messageId":"…"}`,
//! `{"action":"send-back","messageId":"…"}` and `{"action":"resolve","messageId":"…"}`.

// The use case futures are deep; release builds (lto) need more room to lay them out.
#![recursion_limit = "256"]

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use shared::adapters::Tee;
use shared::adapters::aws::AwsClients;
use shared::adapters::aws::startup::started;
use shared::adapters::aws::dynamo::{Dynamo, Tables};
use shared::adapters::aws::lambda::parse_event;
use shared::adapters::aws::parked::DynamoParked;
use shared::adapters::aws::sqs::{SqsAlerts, SqsRequeue};
use shared::adapters::clock::SystemClock;
use shared::app::republish::{DeadLetterAction, RepublishService};
use shared::config::DeadLetterConfig;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = started(DeadLetterConfig::from_env(true)).await;
    let aws = started(AwsClients::from_env().await).await;
    let ops = Dynamo::new(aws.dynamodb.clone(), Tables { operations: config.operations_table.clone(), ..Tables::default() });
    let service = RepublishService {
        queues: SqsRequeue::new(aws.sqs.clone()),
        dead_letters: ops.clone(),
        parked: DynamoParked::new(aws.dynamodb.clone(), &config.operations_table),
        alerts: Tee(SqsAlerts::new(aws.sqs.clone(), &config.alerts_queue_url), ops),
        clock: SystemClock,
        pairs: config.redrive_pairs.clone(),
        base_delay_secs: config.base_delay_secs,
        max_messages: config.max_messages,
    };
    let service = &service;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let action: DeadLetterAction = parse_event(event.payload, "a dead-letter action")?;
        Ok::<Value, Error>(serde_json::to_value(service.handle(action).await?)?)
    }))
    .await
}
