//! Item mapping helpers shared by the table files: keys, attribute values, serde_dynamo.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Put, PutRequest, TransactWriteItem, WriteRequest};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::domain::{NationalId, ServiceKey};
use crate::error::PortError;

/// A DynamoDB item.
pub(crate) type Item = HashMap<String, AttributeValue>;

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

pub(crate) fn expires(at: Timestamp, ttl: SignedDuration) -> AttributeValue {
    AttributeValue::N(at.checked_add(ttl).unwrap_or(at).as_second().to_string())
}

pub(crate) fn to_item<T: Serialize>(what: &'static str, value: &T) -> Result<Item, PortError> {
    serde_dynamo::to_item(value).map_err(|e| PortError::permanent(what, e))
}

pub(crate) fn from_item<'a, T: Deserialize<'a>>(what: &'static str, item: Item) -> Result<T, PortError> {
    serde_dynamo::from_item(item).map_err(|e| PortError::permanent(what, e))
}

pub(crate) fn with_keys(mut item: Item, pk: String, sk: String) -> Item {
    item.insert("pk".into(), s(pk));
    item.insert("sk".into(), s(sk));
    item
}

pub(crate) fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

/// Sort key that orders by time, then message id.
pub(crate) fn time_key(at: Timestamp, message_id: &str) -> String {
    format!("{}#{message_id}", at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"))
}

pub(crate) fn plan_pk(citizen: &NationalId, service: &ServiceKey) -> String {
    format!("PLAN#{}#{}#{}", citizen.expose(), service.department, service.service_type)
}

pub(crate) fn service_suffix(service: &ServiceKey) -> String {
    format!("{}#{}", service.department, service.service_type)
}

pub(crate) fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn put(table: &str, item: Item) -> Result<TransactWriteItem, PortError> {
    let p = Put::builder().table_name(table).set_item(Some(item)).build().map_err(|e| PortError::permanent("build put", e))?;
    Ok(TransactWriteItem::builder().put(p).build())
}

pub(crate) fn put_request(item: Item) -> Result<WriteRequest, PortError> {
    let put = PutRequest::builder().set_item(Some(item)).build().map_err(|e| PortError::permanent("build put", e))?;
    Ok(WriteRequest::builder().put_request(put).build())
}
