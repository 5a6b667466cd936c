//! status-icon: placeholder until its issue lands. Every request gets 501 with a JSON error
//! saying it is not implemented yet.

use lambda_http::{Body, Error, Request, Response, run, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    run(service_fn(|_req: Request| async {
        Response::builder()
            .status(501)
            .header("content-type", "application/json")
            .body(Body::from(r#"{"error":"status-icon is not implemented yet"}"#))
            .map_err(Error::from)
    }))
    .await
}
