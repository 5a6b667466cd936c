//! consent-sync: the nightly sync of consent and digital activity (R-CIT-3, R-ACT-4).
//! A schedule (or an operator) sends `{"action":"start"}`: the start phase sends the first
//! listing step to the sync work queue; the same function then takes the listing steps and the
//! chunks they send from that queue.

// The use case futures are deep; release builds (lto) need more room to lay them out.
#![recursion_limit = "256"]

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use shared::adapters::aws::AwsClients;
use shared::adapters::aws::startup::started;
use shared::adapters::aws::dynamo::Dynamo;
use shared::adapters::aws::lambda::{batch_response, parse_event, sqs_event};
use shared::adapters::aws::sqs::{SqsAlerts, SqsChunkQueue};
use shared::adapters::helsenorge;
use shared::adapters::clock::SystemClock;
use shared::app::events::SyncAction;
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
            let failed = service.handle_chunks(&sqs_event(event.payload)?).await;
            return Ok::<Value, Error>(serde_json::to_value(batch_response(failed))?);
        }
        let SyncAction::Start { run_id } = parse_event(event.payload, "an SQS event or {\"action\":\"start\"}")?;
        Ok(serde_json::to_value(service.start(run_id.map(|r| r.into_inner())).await?)?)
    }))
    .await
}
