//! Lambda event glue shared by the SQS-driven functions.

use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};

use crate::app::RecordIn;

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
