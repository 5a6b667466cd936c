//! Parked messages in the Operations table (R-DLQ-2): `PARKED` / `<message id>`, the record's
//! fields and the body, encrypted at rest with the table's key, point-in-time recovery on, and
//! no expiry: kept until support sends the message back or resolves it.

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::classify;
use super::dynamo::calls::{create, query_all};
use crate::domain::dead_letter::{ParkedMessage, ParkedRecord};
use crate::error::PortError;
use crate::ports::ParkedStore;

use super::dynamo::item::Item;

const PK: &str = "PARKED";
/// The record's attributes (everything but the body), for listing.
const RECORD_FIELDS: &str = "messageId, sourceQueue, #kind, republished, lastError, parkedAt";

/// The parked-message store over the Operations table.
#[derive(Debug, Clone)]
pub struct DynamoParked {
    client: Client,
    table: String,
}

impl DynamoParked {
    /// The store on `table` (the Operations table).
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self { client, table: table.into() }
    }

    fn key(message_id: &str) -> Item {
        HashMap::from([("pk".into(), AttributeValue::S(PK.into())), ("sk".into(), AttributeValue::S(message_id.into()))])
    }
}

fn record_of(item: Item) -> Result<ParkedRecord, PortError> {
    serde_dynamo::from_item(item).map_err(|e| PortError::permanent("read parked record", e))
}

impl ParkedStore for DynamoParked {
    /// One conditional PutItem: an id parked before stays as it was.
    async fn park(&self, message: &ParkedMessage) -> Result<(), PortError> {
        let mut item: Item = serde_dynamo::to_item(&message.record).map_err(|e| PortError::permanent("write parked record", e))?;
        item.extend(Self::key(&message.record.message_id));
        item.insert("body".into(), AttributeValue::S(message.body.clone()));
        create(&self.client, "park", &self.table, item).await?;
        Ok(())
    }

    /// Query pk `PARKED` (every page), the records without bodies, oldest first.
    async fn parked(&self) -> Result<Vec<ParkedRecord>, PortError> {
        let query = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(PK.into()))
            .projection_expression(RECORD_FIELDS)
            .expression_attribute_names("#kind", "kind")
            .consistent_read(true);
        let mut records = query_all("list parked", query).await?.into_iter().map(record_of).collect::<Result<Vec<_>, _>>()?;
        records.sort_by_key(|p| p.parked_at);
        Ok(records)
    }

    /// One consistent GetItem.
    async fn parked_message(&self, message_id: &str) -> Result<Option<ParkedMessage>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(message_id)))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify("read parked message", e))?;
        let Some(mut item) = out.item else { return Ok(None) };
        let body = match item.remove("body") {
            Some(AttributeValue::S(body)) => body,
            _ => return Err(PortError::permanent("read parked message", "the parked item has no body")),
        };
        Ok(Some(ParkedMessage { record: record_of(item)?, body }))
    }

    /// One DeleteItem returning the old item: whether it was there.
    async fn unpark(&self, message_id: &str) -> Result<bool, PortError> {
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(Self::key(message_id)))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| classify("unpark", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}
