//! dlq-republisher: on a schedule, puts dead letters back on their source queues (at most 10
//! times, with a growing delay), then parks them, alerting each step (R-DLQ-1..4). By hand:
//! `{"action":"send-back","messageId":"…"}` returns a parked message to its source queue;
//! `{"action":"list-parked"}` lists what is parked.

// The use case futures are deep; release builds (lto) need more room to lay them out.
#![recursion_limit = "256"]

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};
use shared::adapters::Tee;
use shared::adapters::aws::AwsClients;
use shared::adapters::aws::startup::started;
use shared::adapters::aws::dynamo::{Dynamo, Tables};
use shared::adapters::aws::sqs::{SqsAlerts, SqsRequeue};
use shared::adapters::memory::SystemClock;
use shared::app::republish::{RepublishService, parse_pairs};
use shared::config::DeadLetterConfig;
use shared::ports::ParkedStore;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = started(DeadLetterConfig::from_env(true)).await;
    let aws = started(AwsClients::from_env().await).await;
    let ops = Dynamo::new(aws.dynamodb.clone(), Tables { operations: config.operations_table.clone(), ..Tables::default() });
    let service = RepublishService {
        queues: SqsRequeue::new(aws.sqs.clone()),
        dead_letters: ops.clone(),
        parked: ops.clone(),
        alerts: Tee(SqsAlerts::new(aws.sqs.clone(), &config.alerts_queue_url), ops),
        clock: SystemClock,
        pairs: parse_pairs(&config.redrive_pairs),
        parked_url: config.parked_queue_url.clone(),
        base_delay_secs: config.base_delay_secs,
        max_messages: config.max_messages,
    };
    let service = &service;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        match event.payload.get("action").and_then(Value::as_str) {
            Some("republish") | None => {
                let r = service.republish().await?;
                Ok::<Value, Error>(json!({"republished": r.republished, "parked": r.parked}))
            }
            Some("send-back") => {
                let id = event.payload.get("messageId").and_then(Value::as_str).ok_or("messageId is required")?;
                Ok(json!({"sentBack": service.send_back(id).await?}))
            }
            Some("list-parked") => Ok(json!({"parked": service.parked.parked().await?})),
            Some(_) => Err("expected action republish, send-back or list-parked".into()),
        }
    }))
    .await
}
