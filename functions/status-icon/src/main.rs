//! status-icon: `POST /status-icon {"nationalId"}` and `POST /status-icons {"nationalIds"}` for
//! the EPJ, answering the digital-activity icon (R-ICON-1..7) within a deadline, never hanging.

// The use case futures are deep; release builds (lto) need more room to lay them out.
#![recursion_limit = "256"]

use std::time::Duration;

use lambda_http::{Body, Error, Request, Response, run, service_fn};
use shared::adapters::aws::AwsClients;
use shared::adapters::aws::startup::started;
use shared::adapters::aws::dynamo::{Dynamo, Tables};
use shared::adapters::helsenorge;
use shared::adapters::memory::SystemClock;
use shared::app::icon::{BreakerConfig, CircuitBreaker, IconService, parse_query};
use shared::config::StatusIconConfig;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let config = started(StatusIconConfig::from_env()).await;
    let aws = started(AwsClients::from_env().await).await;
    let tables = Tables { citizens: config.citizens_table.clone(), ..Tables::default() };
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
    run(service_fn(move |req: Request| async move {
        let many = match req.uri().path().trim_end_matches('/') {
            p if p.ends_with("/status-icons") => true,
            p if p.ends_with("/status-icon") => false,
            _ => return json(404, &serde_json::json!({"error": "not found"})),
        };
        let ids = match parse_query(req.body().as_ref(), many, mode) {
            Ok(ids) => ids,
            Err(e) => return json(400, &serde_json::json!({"error": e.to_string()})),
        };
        let answers = service.icons(&ids).await;
        tracing::info!(ids = ids.len(), "icons answered");
        if many {
            let results: Vec<serde_json::Value> = ids
                .iter()
                .zip(&answers)
                .map(|(id, a)| {
                    let mut v = serde_json::to_value(a).unwrap_or_default();
                    v["nationalId"] = serde_json::Value::String(id.expose());
                    v
                })
                .collect();
            json(200, &serde_json::json!({ "results": results }))
        } else {
            match answers.first() {
                Some(a) => json(200, &serde_json::to_value(a).unwrap_or_default()),
                None => json(500, &serde_json::json!({"error": "no answer"})),
            }
        }
    }))
    .await
}

fn json(status: u16, body: &serde_json::Value) -> Result<Response<Body>, Error> {
    Ok(Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Body::from(body.to_string()))?)
}
