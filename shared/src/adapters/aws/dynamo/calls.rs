//! The calls the table files share: batch writes and gets with retries of unprocessed items,
//! queries read to the last page, and a transaction's cancellation reasons.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::{KeysAndAttributes, WriteRequest};

use super::item::Item;
use crate::adapters::aws::classify;
use crate::error::PortError;

/// Writes in chunks of 25 (BatchWriteItem's limit), retrying unprocessed items a few times.
pub(crate) async fn batch_write(client: &Client, table: &str, requests: Vec<WriteRequest>) -> Result<(), PortError> {
    for chunk in requests.chunks(25) {
        let mut pending = chunk.to_vec();
        for attempt in 0..5 {
            let out = client
                .batch_write_item()
                .request_items(table, pending.clone())
                .send()
                .await
                .map_err(|e| classify("batch write", e))?;
            pending = out.unprocessed_items.and_then(|mut m| m.remove(table)).unwrap_or_default();
            if pending.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
        }
        if !pending.is_empty() {
            return Err(PortError::transient("batch write", "unprocessed items after retries"));
        }
    }
    Ok(())
}

/// BatchGetItem, retrying unprocessed keys a few times; (table, item) pairs.
pub(crate) async fn batch_get(
    client: &Client,
    what: &'static str,
    mut request: HashMap<String, KeysAndAttributes>,
) -> Result<Vec<(String, Item)>, PortError> {
    let mut found = vec![];
    for attempt in 0..5 {
        let out = client
            .batch_get_item()
            .set_request_items(Some(request))
            .send()
            .await
            .map_err(|e| classify(what, e))?;
        for (table, items) in out.responses.unwrap_or_default() {
            found.extend(items.into_iter().map(|i| (table.clone(), i)));
        }
        request = out.unprocessed_keys.unwrap_or_default();
        if request.is_empty() {
            return Ok(found);
        }
        tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
    }
    Err(PortError::transient(what, "unprocessed keys after retries"))
}

/// Every page of `query` (DynamoDB answers at most 1 MB a page): the items of all pages, in order.
pub(crate) async fn query_all(what: &'static str, query: QueryFluentBuilder) -> Result<Vec<Item>, PortError> {
    let mut items = vec![];
    let mut start: Option<Item> = None;
    loop {
        let out = query.clone().set_exclusive_start_key(start).send().await.map_err(|e| classify(what, e))?;
        items.extend(out.items.unwrap_or_default());
        match out.last_evaluated_key {
            Some(k) if !k.is_empty() => start = Some(k),
            _ => return Ok(items),
        }
    }
}

/// A conditional write's outcome: `Some(output)` when written, `None` when its condition did
/// not hold (on a replay: the work was done before); any other failure classified once.
pub(crate) fn conditional<O, E, R>(what: &'static str, result: Result<O, SdkError<E, R>>) -> Result<Option<O>, PortError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
    SdkError<E, R>: std::error::Error,
{
    match result {
        Ok(out) => Ok(Some(out)),
        Err(e) if e.as_service_error().and_then(ProvideErrorMetadata::code) == Some("ConditionalCheckFailedException") => Ok(None),
        Err(e) => Err(classify(what, e)),
    }
}

/// One PutItem that creates `item` only if its key is new (`attribute_not_exists(pk)`): true
/// when written, false when the key was there (on a replay: already done).
pub(crate) async fn create(client: &Client, what: &'static str, table: &str, item: Item) -> Result<bool, PortError> {
    let r = client.put_item().table_name(table).set_item(Some(item)).condition_expression("attribute_not_exists(pk)").send().await;
    Ok(conditional(what, r)?.is_some())
}

pub(crate) type TransactError<R> =
    aws_sdk_dynamodb::error::SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>;

/// Whether a TransactWriteItems was cancelled because its first item's condition failed (the
/// idempotency record or marker already exists: the work was done before).
pub(crate) fn first_condition_failed<R>(e: &TransactError<R>) -> bool {
    condition_failed_at(e, 0)
}

/// Whether a TransactWriteItems was cancelled because the condition of item `index` failed.
pub(crate) fn condition_failed_at<R>(e: &TransactError<R>, index: usize) -> bool {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(tc)) => {
            tc.cancellation_reasons().get(index).is_some_and(|r| r.code() == Some("ConditionalCheckFailed"))
        }
        _ => false,
    }
}
