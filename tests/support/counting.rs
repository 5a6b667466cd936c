//! Counts AWS SDK calls per operation with an interceptor on the real clients, so the number
//! of DynamoDB and SQS round trips per message is measured, not guessed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

/// Calls per "service.operation", and what they carried (for capacity units).
#[derive(Debug, Clone, Default)]
pub struct CallCounter {
    calls: Arc<Mutex<BTreeMap<String, u32>>>,
    units: Arc<Mutex<Units>>,
}

/// DynamoDB capacity units and SQS requests the counted calls would be billed, estimated from
/// their request bodies: a write unit per item written (two in a transaction), a read unit per
/// item read strongly consistent (half when eventually consistent), items taken as ≤ 1 KB
/// written / ≤ 4 KB read; an SQS request per call.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Units {
    /// DynamoDB write request units.
    pub write_units: f64,
    /// DynamoDB read request units.
    pub read_units: f64,
    /// SQS requests.
    pub sqs_requests: f64,
}

impl CallCounter {
    /// A snapshot of the counts.
    pub fn counts(&self) -> BTreeMap<String, u32> {
        self.calls.lock().map(|m| m.clone()).unwrap_or_default()
    }

    /// The billed units so far.
    pub fn units(&self) -> Units {
        self.units.lock().map(|u| *u).unwrap_or_default()
    }

    /// Calls to one service ("dynamodb", "sqs").
    pub fn calls_to(&self, service: &str) -> u32 {
        let prefix = format!("{service}.");
        self.counts().iter().filter(|(k, _)| k.starts_with(&prefix)).map(|(_, v)| v).sum()
    }

    /// Resets the counts.
    pub fn reset(&self) {
        if let Ok(mut m) = self.calls.lock() {
            m.clear();
        }
        if let Ok(mut u) = self.units.lock() {
            *u = Units::default();
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
        context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let Some(m) = cfg.load::<Metadata>() {
            let service = m.service().to_ascii_lowercase();
            let key = format!("{service}.{}", m.name());
            if let Ok(mut map) = self.calls.lock() {
                *map.entry(key).or_default() += 1;
            }
            let body: serde_json::Value =
                context.request().body().bytes().and_then(|b| serde_json::from_slice(b).ok()).unwrap_or_default();
            let units = billed(&service, m.name(), &body);
            if let Ok(mut u) = self.units.lock() {
                u.write_units += units.write_units;
                u.read_units += units.read_units;
                u.sqs_requests += units.sqs_requests;
            }
        }
        Ok(())
    }
}

/// The units one call is billed (see [`Units`]).
fn billed(service: &str, op: &str, body: &serde_json::Value) -> Units {
    let len = |v: &serde_json::Value| v.as_array().map_or(0, Vec::len) as f64;
    let read = |consistent: bool| if consistent { 1.0 } else { 0.5 };
    let consistent = body["ConsistentRead"].as_bool().unwrap_or(false);
    let mut u = Units::default();
    match (service, op) {
        ("sqs", _) => u.sqs_requests = 1.0,
        ("dynamodb", "PutItem" | "UpdateItem" | "DeleteItem") => u.write_units = 1.0,
        ("dynamodb", "GetItem") => u.read_units = read(consistent),
        ("dynamodb", "TransactWriteItems") => u.write_units = 2.0 * len(&body["TransactItems"]),
        ("dynamodb", "BatchWriteItem") => {
            u.write_units = body["RequestItems"].as_object().map_or(0.0, |t| t.values().map(len).sum());
        }
        ("dynamodb", "BatchGetItem") => {
            u.read_units = body["RequestItems"].as_object().map_or(0.0, |t| {
                t.values().map(|r| len(&r["Keys"]) * read(r["ConsistentRead"].as_bool().unwrap_or(false))).sum()
            });
        }
        // Query/Scan: billed by size read; counted as one unit per call (small pages here).
        ("dynamodb", _) => u.read_units = read(consistent),
        _ => {}
    }
    u
}
