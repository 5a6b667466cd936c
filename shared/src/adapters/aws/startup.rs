//! A function that cannot start says why, to whoever invoked it.
//!
//! Lambda's runtime API has an endpoint for this: `POST /2018-06-01/runtime/init/error`. Lambda
//! fails the waiting invocation with the reason and starts a fresh environment for the next one
//! (so a passing fault, a throttled secret read, heals by itself). A process that just exits
//! leaves the invocation waiting for its timeout; `cargo lambda watch` waits for ever.

use std::fmt::Write as _;
use std::time::Duration;

/// How long the runtime API gets to take the report; the process exits either way.
const REPORT_TIMEOUT: Duration = Duration::from_secs(2);

/// Unwraps one start-up step of a function's `main` (configuration, clients, the HelseID key):
/// on error, logs the reason, reports it to the Lambda runtime API's init-error endpoint
/// (`AWS_LAMBDA_RUNTIME_API`) and exits with status 1.
///
/// The reason is the error's `Display` chain (never `Debug`, which for an SDK error carries the
/// raw HTTP response). Start-up errors name variables, secrets and endpoints, no personal data.
pub async fn started<T, E>(step: Result<T, E>) -> T
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match step {
        Ok(value) => value,
        Err(error) => {
            let why = reason(&*error.into());
            tracing::error!(reason = %why, "the function cannot start");
            if let Err(e) = report(&why).await {
                tracing::error!(error = %reason(&e), "the start-up error could not be reported to the runtime API");
            }
            std::process::exit(1)
        }
    }
}

/// An error and its sources, `outer: inner: innermost`; a source whose text the error already
/// quotes is not repeated.
pub fn reason(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            let _ = write!(text, ": {part}");
        }
        source = s.source();
    }
    text
}

/// Why a start-up error could not be handed to the runtime API (logged; the process exits anyway).
#[derive(Debug, thiserror::Error)]
enum ReportError {
    #[error("AWS_LAMBDA_RUNTIME_API is not set or not an address")]
    NoRuntimeApi,
    #[error("the runtime API could not be reached")]
    Unreachable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("the runtime API did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the runtime API answered {0}")]
    Status(u16),
}

/// Hands the reason to the runtime API: as Lambda documents it, `POST /runtime/init/error` with
/// a JSON `errorMessage`/`errorType` body and the `Lambda-Runtime-Function-Error-Type` header.
///
/// `cargo lambda watch` (1.9.2) gives an init error to the first waiting invocation of whichever
/// function its table lists first; when another function was invoked before in the session, that
/// is the other's queue and the report waits for ever. So when the report is not taken within
/// [`REPORT_TIMEOUT`], the reason answers this function's own waiting invocation instead
/// (`/invocation/next`, then `/invocation/{id}/error`). Lambda takes the report at once.
async fn report(reason: &str) -> Result<(), ReportError> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").map_err(|_| ReportError::NoRuntimeApi)?;
    // As the runtime reads it: `host:port` in Lambda, `http://host:port/NAME` under cargo lambda.
    let base = api.parse().map_err(|_| ReportError::NoRuntimeApi)?;
    let client = lambda_runtime_api_client::PooledClient::builder().with_endpoint(base).build();
    match post_error(&client, "/2018-06-01/runtime/init/error", reason).await {
        Err(ReportError::Timeout(_)) => {
            tracing::warn!("the runtime API did not take the init error: answering the waiting invocation with it");
            answer_waiting(&client, reason).await
        }
        reported => reported,
    }
}

/// Answers this function's waiting invocation with the reason (the fallback above).
async fn answer_waiting(client: &Client, reason: &str) -> Result<(), ReportError> {
    match call(client, "GET", "/2018-06-01/runtime/invocation/next", None).await? {
        (_, Some(id)) => post_error(client, &format!("/2018-06-01/runtime/invocation/{id}/error"), reason).await,
        (status, None) => Err(ReportError::Status(status)),
    }
}

type Client = lambda_runtime_api_client::PooledClient;

async fn post_error(client: &Client, path: &str, reason: &str) -> Result<(), ReportError> {
    match call(client, "POST", path, Some(reason)).await? {
        (200..=299, _) => Ok(()),
        (status, _) => Err(ReportError::Status(status)),
    }
}

/// One runtime-API call, with the reason as an error body if given: the answer's status and
/// request id (the invocation `/next` hands out).
async fn call(client: &Client, method: &str, path: &str, reason: Option<&str>) -> Result<(u16, Option<String>), ReportError> {
    let mut request = lambda_runtime_api_client::build_request().method(method).uri(path);
    let mut body = String::new();
    if let Some(reason) = reason {
        request = request
            .header("content-type", "application/json")
            .header("lambda-runtime-function-error-type", "Runtime.InitError");
        body = serde_json::json!({"errorMessage": reason, "errorType": "Runtime.InitError"}).to_string();
    }
    let request = request.body(body.into()).map_err(|e| ReportError::Unreachable(e.into()))?;
    let response = tokio::time::timeout(REPORT_TIMEOUT, client.call(request))
        .await
        .map_err(|_| ReportError::Timeout(REPORT_TIMEOUT))?
        .map_err(ReportError::Unreachable)?;
    let id = response.headers().get("lambda-runtime-aws-request-id").and_then(|v| v.to_str().ok());
    Ok((response.status().as_u16(), id.map(str::to_string)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("read HelseID key secret helsedialog/helseid-private-key")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn the_reason_names_the_error_and_each_of_its_sources() {
        let e = Outer(std::io::Error::other("ResourceNotFoundException"));
        assert_eq!(reason(&e), "read HelseID key secret helsedialog/helseid-private-key: ResourceNotFoundException");
        let quoted = Outer(std::io::Error::other("helsedialog/helseid-private-key"));
        assert_eq!(reason(&quoted), "read HelseID key secret helsedialog/helseid-private-key");
    }
}
