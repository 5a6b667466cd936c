//! Counts AWS SDK calls per operation with an interceptor on the real clients, so the number
//! of DynamoDB and SQS round trips per message is measured, not guessed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// Calls per "service.operation".
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<Mutex<BTreeMap<String, u32>>>);

impl CallCounter {
    /// A snapshot of the counts.
    pub fn counts(&self) -> BTreeMap<String, u32> {
        self.0.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// Resets the counts.
    pub fn reset(&self) {
        if let Ok(mut m) = self.0.lock() {
            m.clear();
        }
    }

    /// Calls to one operation.
    pub fn get(&self, op: &str) -> u32 {
        self.counts().get(op).copied().unwrap_or(0)
    }

    /// A DynamoDB client and an SQS client that count into this counter.
    pub fn clients(&self, sdk: &aws_config::SdkConfig) -> (aws_sdk_dynamodb::Client, aws_sdk_sqs::Client) {
        let ddb = aws_sdk_dynamodb::config::Builder::from(sdk).interceptor(self.clone()).build();
        let sqs = aws_sdk_sqs::config::Builder::from(sdk).interceptor(self.clone()).build();
        (aws_sdk_dynamodb::Client::from_conf(ddb), aws_sdk_sqs::Client::from_conf(sqs))
    }
}

impl Intercept for CallCounter {
    fn name(&self) -> &'static str {
        "CallCounter"
    }

    /// Counted per attempt: a retried call is one more round trip.
    fn read_before_transmit(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(m) = cfg.load::<Metadata>() {
            let key = format!("{}.{}", m.service().to_ascii_lowercase(), m.name());
            if let Ok(mut map) = self.0.lock() {
                *map.entry(key).or_default() += 1;
            }
        }
        Ok(())
    }
}
