//! AWS adapters: DynamoDB stores and SQS queues. Clients are built once per cold start from
//! the SDK's own configuration; the endpoint comes only from `AWS_ENDPOINT_URL` (the local moto
//! stack), so this code runs unchanged in tests and in Lambda.

pub mod dynamo;
pub mod epj_store;
pub mod lambda;
pub mod parked;
#[cfg(feature = "s3")]
pub mod s3_bodies;
pub mod sqs;
pub mod startup;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};

use crate::error::PortError;

/// The AWS clients a function needs, built once from one shared SDK configuration.
#[derive(Clone, Debug)]
pub struct AwsClients {
    /// DynamoDB client.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// SQS client.
    pub sqs: aws_sdk_sqs::Client,
    /// The shared SDK configuration, for other clients (Secrets Manager).
    pub sdk: aws_types::SdkConfig,
}

impl AwsClients {
    /// Builds the SDK configuration from the environment ([`sdk_config`]) and the clients.
    pub async fn from_env() -> Result<Self, PortError> {
        let sdk = sdk_config()?;
        Ok(Self { dynamodb: aws_sdk_dynamodb::Client::new(&sdk), sqs: aws_sdk_sqs::Client::new(&sdk), sdk })
    }
}

/// The one SDK configuration, from the environment Lambda sets: region (`AWS_REGION`), the
/// execution role's credentials (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
/// `AWS_SESSION_TOKEN`), and `AWS_ENDPOINT_URL` when set (the local stack); the SDK's standard
/// retries (3 attempts) and a 3.1 s connect timeout; one HTTPS client (hyper + rustls with
/// ring) shared by every AWS client built from it. The local stack and `sam local` set the same
/// variables. Built by hand rather than by aws-config's loader, whose provider chain (profile
/// files, SSO, web identity via STS, IMDS) Lambda never needs and every binary would carry.
pub fn sdk_config() -> Result<aws_types::SdkConfig, PortError> {
    use aws_credential_types::Credentials;
    use aws_credential_types::provider::SharedCredentialsProvider;
    use aws_sdk_dynamodb::config::BehaviorVersion;
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    use aws_smithy_types::retry::RetryConfig;
    use aws_smithy_types::timeout::TimeoutConfig;

    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let missing = |name: &'static str| PortError::permanent("AWS configuration", format!("{name} is not set"));
    let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).ok_or_else(|| missing("AWS_REGION"))?;
    let credentials = Credentials::new(
        var("AWS_ACCESS_KEY_ID").ok_or_else(|| missing("AWS_ACCESS_KEY_ID"))?,
        var("AWS_SECRET_ACCESS_KEY").ok_or_else(|| missing("AWS_SECRET_ACCESS_KEY"))?,
        var("AWS_SESSION_TOKEN"),
        None,
        "environment",
    );
    let https = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let mut config = aws_types::SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws_types::region::Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(https)
        .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .retry_config(RetryConfig::standard())
        .timeout_config(TimeoutConfig::builder().connect_timeout(std::time::Duration::from_millis(3100)).build());
    if let Some(url) = var("AWS_ENDPOINT_URL") {
        config = config.endpoint_url(url);
    }
    Ok(config.build())
}

/// Error codes that mean "try again later".
const TRANSIENT_CODES: [&str; 10] = [
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "Throttling",
    "RequestLimitExceeded",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "TransactionConflictException",
    "TransactionInProgressException",
    "RequestThrottled",
];

/// An AWS SDK failure as it may be kept and logged: which kind of failure, the service's error
/// code and the request id. The SDK error itself is dropped here because its `Debug` and
/// `Display` carry the raw HTTP response (headers, body) and the service's message, which can
/// echo request values such as a key or a run id (issue #20: operator errors logged
/// unscrubbed). What support needs to find the call in AWS's own logs is the request id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind}{}{}", code.as_deref().map(|c| format!(" {c}")).unwrap_or_default(), request_id.as_deref().map(|r| format!(" (request id {r})")).unwrap_or_default())]
pub struct AwsError {
    /// timeout, dispatch failure, response error, service error, construction failure.
    pub kind: &'static str,
    /// The service's error code (`ThrottlingException`, `ResourceNotFoundException`, …).
    pub code: Option<String>,
    /// The request id AWS answered with.
    pub request_id: Option<String>,
}

impl AwsError {
    /// Keeps the kind, the code and the request id of `err`; nothing else.
    pub fn of<E, R>(err: &SdkError<E, R>) -> Self
    where
        E: ProvideErrorMetadata,
    {
        use aws_types::request_id::RequestId;
        let (kind, code, request_id) = match err {
            SdkError::TimeoutError(_) => ("timeout", None, None),
            SdkError::DispatchFailure(_) => ("dispatch failure", None, None),
            SdkError::ResponseError(_) => ("unreadable response", None, None),
            SdkError::ServiceError(se) => {
                ("service error", se.err().code().map(str::to_string), se.err().meta().request_id().map(str::to_string))
            }
            _ => ("request not sent", None, None),
        };
        // A code is the service's fixed identifier; keep it only when it looks like one.
        let code = code.filter(|c| c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '.'));
        let request_id = request_id.filter(|r| r.len() <= 64 && r.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-'));
        Self { kind, code, request_id }
    }
}

/// Classifies an SDK error once: timeouts, dispatch failures, throttling and 5xx are transient
/// (the record fails and SQS retries it); everything else (missing table, access denied,
/// validation) is permanent. The error is kept as an [`AwsError`]: kind, code and request id.
pub fn classify<E, R>(what: &'static str, err: SdkError<E, R>) -> PortError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
    SdkError<E, R>: std::error::Error,
{
    let transient = match &err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => true,
        SdkError::ServiceError(se) => {
            let code = se.err().code().unwrap_or_default();
            TRANSIENT_CODES.contains(&code) || code.ends_with("ThrottlingException")
        }
        _ => false,
    };
    let err = AwsError::of(&err);
    if transient { PortError::transient(what, err) } else { PortError::permanent(what, err) }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::config::http::HttpResponse;
    use aws_sdk_dynamodb::error::ErrorMetadata;
    use aws_sdk_dynamodb::operation::put_item::PutItemError;
    use aws_smithy_types::body::SdkBody;

    use super::*;
    use crate::error::Retryable;

    #[test]
    fn an_sdk_error_keeps_its_code_and_request_id_and_drops_the_raw_response() {
        let raw = HttpResponse::new(
            400u16.try_into().expect("status"),
            SdkBody::from(r#"{"__type":"ValidationException","message":"Value '../../AAAA30108299920' at 'key'"}"#),
        );
        let meta = ErrorMetadata::builder()
            .code("ValidationException")
            .message("Value '../../AAAA30108299920' at 'key' failed to satisfy constraint")
            .custom("aws_request_id", "REQ-123")
            .build();
        let e = classify("begin run", SdkError::service_error(PutItemError::generic(meta), raw));
        assert!(!e.is_retryable());
        let mut chain = format!("{e} {e:?}");
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            chain.push_str(&format!(" {s} {s:?}"));
            source = s.source();
        }
        assert!(chain.contains("ValidationException") && chain.contains("REQ-123"), "{chain}");
        assert!(!chain.contains("30108299920") && !chain.contains("AAAA") && !chain.contains("__type"), "{chain}");
    }
}
