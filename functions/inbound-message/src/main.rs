//! inbound-message: citizen messages, cancellations and AppRecs from Helsenorge's bridge, as
//! KITH XML (MsgHead 1.2 / AppRec) with transport attributes. Validates, journals and delivers
//! exactly once, answers with an AppRec 1.1 (R-IN-1..3). Bodies above the claim-check threshold
//! arrive by reference (`BODY_BUCKET`, `app::claimed_inbound`).

// The use case futures are deep; release builds (lto) need more room to lay them out.
#![recursion_limit = "256"]

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use shared::adapters::aws::lambda::{batch_response, sqs_event_with_transport};
use shared::adapters::aws::{AwsClients, dynamo::Dynamo, s3_bodies::S3Claims, sqs::SqsOutbox, startup::started};
use shared::adapters::her_directory::CachedHerDirectory;
use shared::adapters::clock::SystemClock;
use shared::app::{claimed_inbound::read_claims, inbound::InboundService, kith_inbound::KithInboundService};
use shared::app::pipeline::Pipeline;
use shared::config::InboundConfig;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = started(InboundConfig::from_env()).await;
    let aws = started(AwsClients::from_env().await).await;
    let store = Dynamo::new(aws.dynamodb.clone(), config.tables.clone());
    let bodies = started(S3Claims::from_env(&aws.sdk)).await.store;
    let inbound = InboundService {
        gate: store.clone(),
        appointments: store.clone(),
        outbound: store.clone(),
        pipeline: Pipeline {
            messages: store.clone(),
            outbox: SqsOutbox::new(aws.sqs.clone(), &config.to_helsenorge_queue_url),
            dead_letters: store.clone(),
            clock: SystemClock,
            source_queue: config.source_queue.clone(),
        },
        id_mode: config.id_mode,
    };
    let service = KithInboundService { inbound, directory: CachedHerDirectory::new(store, SystemClock) };
    let (service, concurrency, bodies) = (&service, config.concurrency, &bodies);
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let (records, unreadable) = read_claims(bodies, sqs_event_with_transport(event.payload)?).await;
        let failed = service.handle_batch(&records, concurrency).await;
        Ok::<_, Error>(batch_response(failed.into_iter().chain(unreadable)))
    }))
    .await
}
