//! status-icon: `POST /status-icon {"nationalId"}` and `POST /status-icons {"nationalIds"}` for
//! the EPJ, answering the digital-activity icon (R-ICON-1..7) within a deadline, never hanging.

// The use case futures are deep; release builds (lto) need more room to lay them out.
#![recursion_limit = "256"]

use std::time::Duration;

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use serde_json::Value;
use shared::adapters::aws::AwsClients;
use shared::adapters::aws::startup::started;
use shared::adapters::aws::dynamo::{Dynamo, Tables};
use shared::adapters::aws::lambda::{http_request, http_response};
use shared::adapters::helsenorge;
use shared::adapters::clock::SystemClock;
use shared::app::icon::{BreakerConfig, CircuitBreaker, IconService};
use shared::config::StatusIconConfig;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = started(StatusIconConfig::from_env()).await;
    let aws = started(AwsClients::from_env().await).await;
    let tables = Tables { citizens: config.citizens_table.clone(), messages: config.messages_table.clone(), ..Tables::default() };
    // The HTTP client's own timeout backs up the deadline on the whole lookup.
    let aktiv = started(helsenorge::from_config(&config.helsenorge, &aws.sdk, config.deadline + Duration::from_millis(500)).await).await;
    let service = IconService {
        aktiv,
        citizens: Dynamo::new(aws.dynamodb.clone(), tables),
        clock: SystemClock,
        deadline: config.deadline,
        breaker: CircuitBreaker::new(BreakerConfig::default()),
    };
    let (service, mode) = (&service, config.id_mode);
    run(service_fn(move |event: LambdaEvent<Value>| async move {
        let response = match http_request(event.payload) {
            Ok(req) => service.answer(&req, mode).await,
            Err(refused) => refused,
        };
        Ok::<Value, Error>(http_response(&response))
    }))
    .await
}
