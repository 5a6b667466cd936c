//! Lambda event glue shared by the functions. Every function takes its event as raw JSON and
//! reads it here, so that a malformed event is answered with an error that names what is
//! wrong, never a value from it: the runtime's own deserialization error quotes the value
//! (`invalid type: integer `30108299920``) in an ERROR log line (issue #20).

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use serde::de::DeserializeOwned;

use crate::app::RecordIn;
use crate::app::http::{HttpRequest, HttpResponse};
use crate::domain::message::describe_json_error;

/// The event is not what the function takes. The text names the expected event and serde's
/// complaint with every quoted value and number removed; `Debug` is the same (the runtime logs
/// a handler's error with `{:?}`).
#[derive(thiserror::Error)]
#[error("the event is not {expected}: {problem}")]
pub struct EventError {
    /// What the function takes.
    pub expected: &'static str,
    /// What is wrong, without values.
    pub problem: String,
}

impl std::fmt::Debug for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

/// Reads `payload` as a `T` (an event shape or an operator action), answering an
/// [`EventError`] without values when it is not one.
pub fn parse_event<T: DeserializeOwned>(payload: serde_json::Value, expected: &'static str) -> Result<T, EventError> {
    serde_json::from_value(payload).map_err(|e| EventError { expected, problem: describe_json_error(&e) })
}

const SQS_EVENT: &str = "an SQS event";

impl From<RecordWithoutId> for EventError {
    fn from(e: RecordWithoutId) -> Self {
        Self { expected: SQS_EVENT, problem: e.to_string() }
    }
}

/// Reads an SQS event from the raw payload ([`parse_event`]) into the use case's records.
pub fn sqs_event(payload: serde_json::Value) -> Result<Vec<RecordIn>, EventError> {
    Ok(sqs_records(parse_event(payload, SQS_EVENT)?)?)
}

/// [`sqs_event`] with each record's transport attributes ([`sqs_records_with_transport`]).
pub fn sqs_event_with_transport(
    payload: serde_json::Value,
) -> Result<Vec<(RecordIn, crate::app::kith_inbound::Transport)>, EventError> {
    Ok(sqs_records_with_transport(parse_event(payload, SQS_EVENT)?)?)
}

/// The HTTP API's (payload format 2.0) request fields a route needs.
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpApiEvent {
    raw_path: String,
    request_context: RequestContext,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    is_base64_encoded: bool,
    #[serde(default)]
    headers: std::collections::BTreeMap<String, String>,
    #[serde(default)]
    raw_query_string: String,
}

#[derive(serde::Deserialize)]
struct RequestContext {
    http: HttpContext,
}

#[derive(serde::Deserialize)]
struct HttpContext {
    method: String,
}

/// Reads an HTTP API event (payload format 2.0). A body flagged base64 that is not base64 is a
/// [`HttpResponse`] 400, not a panic (issue #20; `lambda_http` panics there).
pub fn http_request(payload: serde_json::Value) -> Result<HttpRequest, HttpResponse> {
    let event: HttpApiEvent = parse_event(payload, "an HTTP API request")
        .map_err(|e| HttpResponse::error(400, "malformed-request", &e.to_string()))?;
    let body = match (event.body, event.is_base64_encoded) {
        (None, _) => vec![],
        (Some(b), false) => b.into_bytes(),
        (Some(b), true) => aws_smithy_types::base64::decode(b.trim())
            .map_err(|_| HttpResponse::error(400, "malformed-request", "the body is flagged base64 but is not base64"))?,
    };
    Ok(HttpRequest {
        method: event.request_context.http.method.to_ascii_uppercase(),
        path: event.raw_path,
        body,
        headers: event.headers.into_iter().map(|(n, v)| (n.to_ascii_lowercase(), v)).collect(),
        query: event.raw_query_string,
    })
}

/// The HTTP API's response (payload format 2.0) for `response`.
pub fn http_response(response: &HttpResponse) -> serde_json::Value {
    let mut headers = serde_json::Map::new();
    headers.insert("content-type".into(), "application/json".into());
    for (name, value) in &response.headers {
        headers.insert(name.clone(), value.clone().into());
    }
    // A response without a body (304) sends none, not the text `null`.
    let body = if response.body.is_null() { String::new() } else { response.body.to_string() };
    serde_json::json!({
        "statusCode": response.status,
        "headers": headers,
        "body": body,
        "isBase64Encoded": false,
    })
}

/// The event had a record without a message id: a partial failure could not name it, so the
/// whole batch fails and SQS delivers it again.
#[derive(Debug, thiserror::Error)]
#[error("SQS record without a message id")]
pub struct RecordWithoutId;

/// Converts an SQS event into the use case's records.
pub fn sqs_records(event: SqsEvent) -> Result<Vec<RecordIn>, RecordWithoutId> {
    event
        .records
        .into_iter()
        .map(|m| {
            let sqs_message_id = m.message_id.filter(|id| !id.is_empty()).ok_or(RecordWithoutId)?;
            let receive_count = m.attributes.get("ApproximateReceiveCount").and_then(|c| c.parse().ok()).unwrap_or(1);
            Ok(RecordIn { sqs_message_id, body: m.body.unwrap_or_default(), receive_count })
        })
        .collect()
}

/// Converts an SQS event into records with their transport attributes (the KITH edge's
/// `messageFunction`, `fromHerId`, `toHerId`, `cpaId`, `messageId`).
pub fn sqs_records_with_transport(
    event: SqsEvent,
) -> Result<Vec<(RecordIn, crate::app::kith_inbound::Transport)>, RecordWithoutId> {
    let transports: Vec<_> = event
        .records
        .iter()
        .map(|m| {
            let attrs = m.message_attributes.iter().filter_map(|(k, v)| v.string_value.as_deref().map(|s| (k.as_str(), s)));
            crate::app::kith_inbound::Transport::from_attributes(attrs)
        })
        .collect();
    Ok(sqs_records(event)?.into_iter().zip(transports).collect())
}

/// The partial batch response naming only the failed records (`ReportBatchItemFailures`).
pub fn batch_response(failed: impl IntoIterator<Item = String>) -> SqsBatchResponse {
    let mut response = SqsBatchResponse::default();
    for id in failed {
        response.add_failure(id);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_with_a_national_id_where_a_string_belongs_is_refused_without_the_number() {
        for event in [
            serde_json::json!({"Records": [{"messageId": "m1", "body": 30108299920_u64}]}),
            serde_json::json!({"Records": [{"messageId": 30108299920_u64, "body": "x"}]}),
            serde_json::json!(30108299920_u64),
        ] {
            let e = sqs_event(event).unwrap_err();
            for text in [e.to_string(), format!("{e:?}")] {
                assert!(text.starts_with("the event is not an SQS event"), "{text}");
                assert!(!text.contains("30108299920"), "{text}");
            }
        }
    }

    #[test]
    fn an_http_body_flagged_base64_that_is_not_base64_is_a_400() {
        let event = |body: &str, b64: bool| serde_json::json!({
            "rawPath": "/status-icon", "requestContext": {"http": {"method": "post"}},
            "body": body, "isBase64Encoded": b64
        });
        let Err(r) = http_request(event("%%%not base64%%%", true)) else { panic!("accepted") };
        assert_eq!(r.status, 400);
        let ok = http_request(event("eyJhIjoxfQ==", true)).ok().unwrap();
        assert_eq!((ok.method.as_str(), ok.body.as_slice()), ("POST", br#"{"a":1}"#.as_slice()));
        let Err(r) = http_request(serde_json::json!({"rawPath": 30108299920_u64})) else { panic!("accepted") };
        assert!(!r.body.to_string().contains("30108299920"));
    }

    #[test]
    fn records_keep_ids_and_receive_counts_and_a_missing_id_fails_the_batch() {
        let event: SqsEvent = serde_json::from_value(serde_json::json!({"Records": [
            {"messageId": "m1", "body": "{}", "attributes": {"ApproximateReceiveCount": "3"}},
            {"messageId": "m2", "body": "x"}
        ]}))
        .unwrap();
        let records = sqs_records(event).unwrap();
        assert_eq!(records[0].receive_count, 3);
        assert_eq!(records[1].sqs_message_id, "m2");
        let no_id: SqsEvent = serde_json::from_value(serde_json::json!({"Records": [{"body": "x"}]})).unwrap();
        assert!(sqs_records(no_id).is_err());
        let r = serde_json::to_value(batch_response(["m2".to_string()])).unwrap();
        assert_eq!(r["batchItemFailures"][0]["itemIdentifier"], "m2");
    }
}
