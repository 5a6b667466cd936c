//! epj-api: the EPJ's HTTP API (routes under `/v1/`, see `openapi.yaml`): department inbox and
//! take-over, journal and dialog with receipt status, replies, activations, record cards and
//! work plans, parked messages for support (R-ACC-1..3, R-ACT-1..4, R-OUT-1..4, R-APT-5).

#![recursion_limit = "256"] // deep use-case futures: release builds (lto) need the room

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use shared::adapters::aws::lambda::{http_request, http_response};
use shared::adapters::aws::{AwsClients, dynamo::Dynamo, epj_store::DynamoEpj, parked::DynamoParked, s3_bodies::S3Claims, sqs::SqsOutbox, startup::started};
use shared::adapters::kith_outbox::KithOutbox;
use shared::adapters::clock::SystemClock;
use shared::app::epj_api::{EpjApi, Settings};
use shared::app::outbound::OutboundService;
use shared::app::pipeline::Pipeline;
use shared::config::EpjApiConfig;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = started(EpjApiConfig::from_env()).await;
    let aws = started(AwsClients::from_env().await).await;
    let store = Dynamo::new(aws.dynamodb.clone(), config.tables.clone());
    let claims = started(S3Claims::from_env(&aws.sdk)).await;
    let outbox = claims.attachments_back(KithOutbox {
        inner: claims.outbox(SqsOutbox::new(aws.sqs.clone(), &config.to_helsenorge_queue_url).with_epj(&config.epj_results_queue_url)),
        directory: store.clone(),
        clock: SystemClock,
        helsenorge: started(shared::config::helsenorge_party()).await,
    });
    let pipeline = Pipeline { messages: claims.answers(store.clone()), outbox, dead_letters: store.clone(), clock: SystemClock, source_queue: "epj-api".into() };
    let api = EpjApi {
        records: store.clone(),
        epj: DynamoEpj::new(aws.dynamodb.clone(), config.tables.clone()),
        parked: DynamoParked::new(aws.dynamodb.clone(), &config.tables.operations),
        replies: OutboundService { gate: store, pipeline, id_mode: config.id_mode },
        clock: SystemClock,
        settings: Settings { max_body_bytes: config.max_body_bytes, id_mode: config.id_mode, receipt_deadline: config.receipt_deadline },
    };
    let api = &api;
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let response = match http_request(event.payload) {
            Ok(req) => api.answer(&req).await,
            Err(refused) => refused,
        };
        Ok::<Value, Error>(http_response(&response))
    }))
    .await
}
