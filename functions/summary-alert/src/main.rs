//! summary-alert: on a schedule (07:00 Europe/Oslo), a summary of what is parked on the
//! dead-letter side (R-DLQ-5); nothing parked, no alert (unless SUMMARY_ALL_CLEAR=true).

// The use case futures are deep; release builds (lto) need more room to lay them out.
#![recursion_limit = "256"]

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::{Value, json};
use shared::adapters::Tee;
use shared::adapters::aws::AwsClients;
use shared::adapters::aws::startup::started;
use shared::adapters::aws::dynamo::{Dynamo, Tables};
use shared::adapters::aws::lambda::parse_event;
use shared::adapters::aws::parked::DynamoParked;
use shared::adapters::aws::sqs::SqsAlerts;
use shared::adapters::clock::SystemClock;
use shared::app::events::SummaryAction;
use shared::app::republish::summary;
use shared::config::DeadLetterConfig;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = started(DeadLetterConfig::from_env(false)).await;
    let aws = started(AwsClients::from_env().await).await;
    let ops = Dynamo::new(aws.dynamodb.clone(), Tables { operations: config.operations_table.clone(), ..Tables::default() });
    let alerts = Tee(SqsAlerts::new(aws.sqs.clone(), &config.alerts_queue_url), ops);
    let parked = DynamoParked::new(aws.dynamodb.clone(), &config.operations_table);
    let (parked, alerts, all_clear) = (&parked, &alerts, config.all_clear);
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let SummaryAction::Summary {} = parse_event(event.payload, "{\"action\":\"summary\"}")?;
        let alert = summary(parked, alerts, &SystemClock, all_clear).await?;
        Ok::<Value, Error>(json!({ "summary": alert }))
    }))
    .await
}
