//! AWS adapters: DynamoDB stores and SQS queues. Clients are built once per cold start from
//! the SDK's own configuration; the endpoint comes only from `AWS_ENDPOINT_URL` (the local moto
//! stack), so this code runs unchanged in tests and in Lambda.

pub mod dynamo;
pub mod lambda;
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

/// Classifies an SDK error once: timeouts, dispatch failures, throttling and 5xx are transient
/// (the record fails and SQS retries it); everything else (missing table, access denied,
/// validation) is permanent.
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
    if transient { PortError::transient(what, err) } else { PortError::permanent(what, err) }
}
