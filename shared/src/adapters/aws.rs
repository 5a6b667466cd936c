//! Building AWS clients once per cold start. The endpoint comes only from the SDK's own
//! configuration (`AWS_ENDPOINT_URL` for the local moto stack), so this code runs unchanged
//! in tests and in Lambda.

/// The AWS clients a function needs, built once from one shared SDK configuration.
#[derive(Clone, Debug)]
pub struct AwsClients {
    /// DynamoDB client.
    pub dynamodb: aws_sdk_dynamodb::Client,
    /// SQS client.
    pub sqs: aws_sdk_sqs::Client,
}

impl AwsClients {
    /// Loads the SDK configuration from the environment and builds the clients.
    pub async fn from_env() -> Self {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        Self {
            dynamodb: aws_sdk_dynamodb::Client::new(&sdk),
            sqs: aws_sdk_sqs::Client::new(&sdk),
        }
    }
}
