//! inbound-message: citizen messages, cancellations and AppRecs from Helsenorge's bridge.
//! Validates, journals and delivers exactly once, answers with an AppRec (R-IN-1..3).

// The use case futures are deep; release builds (lto) need more room to lay them out.
#![recursion_limit = "256"]

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use shared::adapters::aws::AwsClients;
use shared::adapters::aws::dynamo::Dynamo;
use shared::adapters::aws::lambda::{batch_response, sqs_event};
use shared::adapters::aws::sqs::SqsOutbox;
use shared::adapters::memory::SystemClock;
use shared::app::inbound::InboundService;
use shared::app::pipeline::Pipeline;
use shared::config::InboundConfig;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = InboundConfig::from_env()?;
    let aws = AwsClients::from_env().await?;
    let store = Dynamo::new(aws.dynamodb.clone(), config.tables.clone());
    let service = InboundService {
        gate: store.clone(),
        appointments: store.clone(),
        outbound: store.clone(),
        pipeline: Pipeline {
            messages: store.clone(),
            outbox: SqsOutbox::new(aws.sqs.clone(), &config.to_helsenorge_queue_url),
            dead_letters: store,
            clock: SystemClock,
            source_queue: config.source_queue.clone(),
        },
        id_mode: config.id_mode,
    };
    let (service, concurrency) = (&service, config.concurrency);
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let records = sqs_event(event.payload)?;
        let failed = service.handle_batch(&records, concurrency).await;
        Ok::<_, Error>(batch_response(failed))
    }))
    .await
}
