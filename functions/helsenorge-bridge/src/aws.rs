//! The SDK configuration on ECS Fargate: the task role's credentials come from the container
//! credentials endpoint (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`), not from environment
//! variables as in Lambda and the local stack. Outside ECS this is
//! `shared::adapters::aws::sdk_config` unchanged.

use aws_config::ecs::EcsCredentialsProvider;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use shared::error::BoxError;

/// The one SDK configuration of the bridge.
pub fn sdk_config() -> Result<aws_types::SdkConfig, BoxError> {
    let on_ecs = ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()));
    if !on_ecs {
        return Ok(shared::adapters::aws::sdk_config()?);
    }
    let region = std::env::var("AWS_REGION").or_else(|_| std::env::var("AWS_DEFAULT_REGION")).map_err(|_| "AWS_REGION is not set")?;
    let https = aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
    let provider_config = ProviderConfig::without_region()
        .with_http_client(https.clone())
        .with_sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
        .with_time_source(aws_smithy_async::time::SystemTimeSource::new());
    let credentials = EcsCredentialsProvider::builder().configure(&provider_config).build();
    Ok(aws_types::SdkConfig::builder()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new(region))
        .credentials_provider(SharedCredentialsProvider::new(credentials))
        .http_client(https)
        .sleep_impl(aws_smithy_async::rt::sleep::TokioSleep::new())
        .time_source(aws_smithy_async::time::SystemTimeSource::new())
        .retry_config(aws_smithy_types::retry::RetryConfig::standard())
        .build())
}
