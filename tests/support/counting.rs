//! Counts AWS SDK calls per operation with an interceptor on the real clients, so the number
//! of DynamoDB and SQS round trips per message is measured, not guessed.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;

use crate::billing::{Billing, template_indexes};

/// Calls per "service.operation", and what they carried (for capacity units).
#[derive(Debug, Clone)]
pub struct CallCounter {
    calls: Arc<Mutex<BTreeMap<String, u32>>>,
    units: Arc<Mutex<Units>>,
    billing: Arc<Mutex<Billing>>,
}

impl Default for CallCounter {
    /// A counter that bills index writes as template.yaml declares the indexes.
    fn default() -> Self {
        Self { calls: Arc::default(), units: Arc::default(), billing: Arc::new(Mutex::new(Billing::new(template_indexes()))) }
    }
}

/// DynamoDB capacity units and SQS requests the counted calls would be billed, estimated from
/// their request bodies: write units by item size and index writes ([`crate::billing`]), a read
/// unit per item read strongly consistent (half when eventually consistent), items read taken
/// as ≤ 4 KB; an SQS request per call.
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
            let units = match self.billing.lock() {
                Ok(mut b) => billed(&service, m.name(), &body, &mut b),
                Err(_) => Units::default(),
            };
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
fn billed(service: &str, op: &str, body: &serde_json::Value, billing: &mut Billing) -> Units {
    let len = |v: &serde_json::Value| v.as_array().map_or(0, Vec::len) as f64;
    let read = |consistent: bool| if consistent { 1.0 } else { 0.5 };
    let consistent = body["ConsistentRead"].as_bool().unwrap_or(false);
    let mut u = Units::default();
    match (service, op) {
        ("sqs", _) => u.sqs_requests = 1.0,
        ("dynamodb", "PutItem") => u.write_units = put(billing, body, false),
        ("dynamodb", "UpdateItem") => u.write_units = billing.update(body, false),
        ("dynamodb", "DeleteItem") => u.write_units = 1.0,
        ("dynamodb", "GetItem") => u.read_units = read(consistent),
        ("dynamodb", "TransactWriteItems") => {
            u.write_units = body["TransactItems"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|t| {
                    if t.get("Put").is_some() {
                        put(billing, &t["Put"], true)
                    } else if t.get("Update").is_some() {
                        billing.update(&t["Update"], true)
                    } else {
                        2.0
                    }
                })
                .sum();
        }
        ("dynamodb", "BatchWriteItem") => {
            for (table, requests) in body["RequestItems"].as_object().into_iter().flatten() {
                for r in requests.as_array().into_iter().flatten() {
                    u.write_units += match r["PutRequest"]["Item"].as_object() {
                        Some(item) => billing.put(table, item, false),
                        None => 1.0,
                    };
                }
            }
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

/// A PutItem or a transaction's Put: `TableName` and `Item`.
fn put(billing: &mut Billing, request: &serde_json::Value, transactional: bool) -> f64 {
    let table = request["TableName"].as_str().unwrap_or_default();
    request["Item"].as_object().map_or(0.0, |item| billing.put(table, item, transactional))
}
