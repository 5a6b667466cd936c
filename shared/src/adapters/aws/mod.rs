//! AWS adapters: DynamoDB stores and SQS queues. Clients are built once per cold start from
//! the SDK's own configuration; the endpoint comes only from `AWS_ENDPOINT_URL` (the local moto
//! stack), so this code runs unchanged in tests and in Lambda.

pub mod dynamo;
pub mod lambda;
pub mod sqs;

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
    pub sdk: aws_config::SdkConfig,
}

impl AwsClients {
    /// Loads the SDK configuration from the environment and builds the clients.
    ///
    /// Credentials and region come from the environment variables only: Lambda always sets
    /// them (the execution role's session), as do the local stack and `sam local`. Skipping the
    /// default provider chain (profile files, SSO, web identity via STS, IMDS) keeps its code
    /// out of the binaries and its probing out of the cold start.
    pub async fn from_env() -> Self {
        let sdk = sdk_config().await;
        Self { dynamodb: aws_sdk_dynamodb::Client::new(&sdk), sqs: aws_sdk_sqs::Client::new(&sdk), sdk }
    }
}

/// The one SDK configuration: credentials and region from the environment, the endpoint from
/// `AWS_ENDPOINT_URL` when set (the local stack), and one HTTPS client (hyper + rustls with
/// ring) shared by every AWS client built from it.
pub async fn sdk_config() -> aws_config::SdkConfig {
    use aws_config::environment::{EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider};
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let https = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .credentials_provider(EnvironmentVariableCredentialsProvider::new())
        .region(EnvironmentVariableRegionProvider::new())
        .http_client(https)
        .load()
        .await
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
