//! outbound-reply: staff replies toward Helsenorge, with an EPJ result and a receipt status (R-OUT-1..4).

// Deep use-case futures: release builds (lto) need more room to lay them out.
#![recursion_limit = "256"]

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use shared::adapters::aws::lambda::{batch_response, sqs_event};
use shared::adapters::aws::{AwsClients, dynamo::Dynamo, s3_bodies::S3Claims, sqs::SqsOutbox, startup::started};
use shared::adapters::her_directory::CachedHerDirectory;
use shared::adapters::kith_outbox::KithOutbox;
use shared::adapters::clock::SystemClock;
use shared::app::outbound::OutboundService;
use shared::app::pipeline::Pipeline;
use shared::config::OutboundConfig;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = started(OutboundConfig::from_env()).await;
    let aws = started(AwsClients::from_env().await).await;
    let store = Dynamo::new(aws.dynamodb.clone(), config.tables.clone());
    let claims = started(S3Claims::from_env(&aws.sdk)).await;
    let service = OutboundService {
        gate: store.clone(),
        pipeline: Pipeline {
            messages: claims.answers(store.clone()),
            outbox: claims.attachments_back(KithOutbox {
                inner: claims.outbox(SqsOutbox::new(aws.sqs.clone(), &config.to_helsenorge_queue_url).with_epj(&config.epj_results_queue_url)),
                directory: CachedHerDirectory::new(store.clone(), SystemClock),
                clock: SystemClock,
                helsenorge: started(shared::config::helsenorge_party()).await,
            }),
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
