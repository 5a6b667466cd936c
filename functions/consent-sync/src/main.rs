//! consent-sync: the nightly sync of consent and digital activity (R-CIT-3, R-ACT-4).
//! A schedule (or an operator) sends `{"action":"start"}`: the start phase fans the citizens out
//! as chunks on the sync work queue; the same function then takes the chunks from that queue.

// The use case futures are deep; release builds (lto) need more room to lay them out.
#![recursion_limit = "256"]

use aws_lambda_events::sqs::SqsEvent;
use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use shared::adapters::aws::AwsClients;
use shared::adapters::aws::startup::started;
use shared::adapters::aws::dynamo::Dynamo;
use shared::adapters::aws::lambda::{batch_response, sqs_records};
use shared::adapters::aws::sqs::{SqsAlerts, SqsChunkQueue};
use shared::adapters::helsenorge;
use shared::adapters::memory::SystemClock;
use shared::app::sync::SyncService;
use shared::config::SyncConfig;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = started(SyncConfig::from_env()).await;
    let aws = started(AwsClients::from_env().await).await;
    let store = Dynamo::new(aws.dynamodb.clone(), config.tables.clone());
    let service = SyncService {
        store: store.clone(),
        citizens: store.clone(),
        queue: SqsChunkQueue::new(aws.sqs.clone(), &config.work_queue_url),
        aktiv: started(helsenorge::from_config(&config.helsenorge, &aws.sdk, config.nhn_timeout).await).await,
        alerts: SqsAlerts::new(aws.sqs.clone(), &config.alerts_queue_url),
        clock: SystemClock,
        dead_letters: store,
        source_queue: config.work_queue_url.rsplit('/').next().unwrap_or_default().to_string(),
    };
    let service = &service;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        if event.payload.get("Records").is_some() {
            let sqs: SqsEvent = serde_json::from_value(event.payload)?;
            let failed = service.handle_chunks(&sqs_records(sqs)?).await;
            return Ok::<Value, Error>(serde_json::to_value(batch_response(failed))?);
        }
        match event.payload.get("action").and_then(Value::as_str) {
            Some("start") => {
                let run_id = event.payload.get("runId").and_then(Value::as_str).map(str::to_string);
                let report = service.start(run_id).await?;
                Ok(serde_json::json!({
                    "runId": report.run_id, "chunks": report.chunks, "citizens": report.citizens,
                    "alreadyFinished": report.already_finished
                }))
            }
            _ => Err("expected {\"action\":\"start\"} or an SQS event of sync chunks".into()),
        }
    }))
    .await
}
