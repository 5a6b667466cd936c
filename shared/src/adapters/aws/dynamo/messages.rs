//! The Messages table's inbound side: the message item (`MSG#<id>` / `MSG`: idempotency record,
//! journal entry and inbox item, laid out in [`super::message_item`]) and the `SENT` marker
//! (`MSG#<id>` / `SENT`) once the answers are out.

use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};
use jiff::Timestamp;

use super::appointments::version_bump;
use super::calls::{batch_write, create, condition_failed_at, first_condition_failed};
use super::item::{Item, expires, get_s, key, plan_pk, put, put_request, to_item, with_keys};
use super::message_item::{entry_items, fits_one_item, message_item};
use super::outbound::outbound_item;
use super::{Dynamo, IDEMPOTENCY_TTL};
use crate::adapters::aws::classify;
use crate::domain::message::Outgoing;
use crate::domain::receipt::ReceiptFact;
use crate::error::PortError;
use crate::ports::{Delivery, MessageStore, Processed, Recorded};

impl Dynamo {
    async fn existing(&self, message_id: &str) -> Result<Processed, PortError> {
        let items = self.query_pk(&self.tables.messages, &format!("MSG#{message_id}"), "").await?;
        let sent = items.iter().any(|i| get_s(i, "sk") == Some("SENT"));
        let record = items
            .into_iter()
            .find(|i| get_s(i, "sk") == Some("MSG"))
            .ok_or_else(|| PortError::transient("read idempotency record", "not visible yet"))?;
        processed_from(message_id, &record, sent)
    }
}

pub(super) fn processed_from(message_id: &str, item: &Item, sent: bool) -> Result<Processed, PortError> {
    let outgoing: Vec<Outgoing> = serde_json::from_str(get_s(item, "outgoing").unwrap_or("[]"))
        .map_err(|e| PortError::permanent("read idempotency record", e))?;
    let processed_at = get_s(item, "processedAt")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| PortError::permanent("read idempotency record", "processedAt missing"))?;
    Ok(Processed { message_id: message_id.to_string(), outgoing, processed_at, sent })
}

impl MessageStore for Dynamo {
    /// A delivery with at most one journal entry and one inbox item (a dialog message, an
    /// answer-only rejection): one conditional PutItem of the message item
    /// ([`super::message_item`]). With more (a cancellation's return message, assignments, the
    /// plan's version, an outbound reply): one TransactWriteItems whose first item is that
    /// conditional message item.
    async fn record(&self, d: &Delivery) -> Result<Recorded, PortError> {
        let message = message_item(d)?;
        if fits_one_item(d) {
            return if create(&self.client, "record message", &self.tables.messages, message).await? {
                Ok(Recorded::New)
            } else {
                Ok(Recorded::Existing(self.existing(&d.message_id).await?))
            };
        }

        let message_put = Put::builder()
            .table_name(&self.tables.messages)
            .set_item(Some(message))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| PortError::permanent("build put", e))?;
        let mut items = vec![TransactWriteItem::builder().put(message_put).build()];
        // Item 1: the plan's version, when a cancellation was computed from it (R-APT-5).
        let versioned = match (&d.cancellation, d.plan_version) {
            (Some((citizen, c)), Some(v)) => {
                items.push(version_bump(&self.tables.appointments, &plan_pk(citizen, &c.service), v)?);
                true
            }
            _ => false,
        };
        for item in entry_items(d)? {
            items.push(put(&self.tables.messages, item)?);
        }
        for (citizen, a) in &d.assignments {
            let item = with_keys(to_item("assignment", a)?, plan_pk(citizen, &a.service), format!("A#{}", a.id.0));
            items.push(put(&self.tables.appointments, item)?);
        }
        if let Some((citizen, c)) = &d.cancellation {
            let item = with_keys(to_item("cancellation", c)?, plan_pk(citizen, &c.service), format!("C#{}", c.message_id));
            items.push(put(&self.tables.appointments, item)?);
        }
        if let Some(o) = &d.outbound {
            items.push(put(&self.tables.messages, outbound_item(o)?)?);
        }

        let r = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        match r {
            Ok(_) => Ok(Recorded::New),
            Err(e) if first_condition_failed(&e) => Ok(Recorded::Existing(self.existing(&d.message_id).await?)),
            Err(e) if versioned && condition_failed_at(&e, 1) => Err(PortError::Conflict { what: "deliver message" }),
            Err(e) => Err(classify("deliver message", e)),
        }
    }

    /// One BatchWriteItem per 25 messages: a small `SENT` marker item beside each message item
    /// (1 write unit, in no index), expiring [`IDEMPOTENCY_TTL`] after `at` (the caller's clock).
    async fn mark_sent(&self, message_ids: &[String], at: Timestamp) -> Result<(), PortError> {
        let requests = message_ids
            .iter()
            .map(|id| {
                let mut item = key(format!("MSG#{id}"), "SENT");
                item.insert("expires_at".into(), expires(at, IDEMPOTENCY_TTL));
                put_request(item)
            })
            .collect::<Result<Vec<_>, _>>()?;
        batch_write(&self.client, &self.tables.messages, requests).await
    }

    /// One conditional UpdateItem per id on `OUT#<id>` ([`Dynamo::set_receipt`]): only where
    /// the item exists and no AppRec has set the receipt.
    async fn note_send(&self, outbound_ids: &[String], fact: &ReceiptFact) -> Result<(), PortError> {
        for id in outbound_ids {
            self.set_receipt(id, fact, true).await?;
        }
        Ok(())
    }
}
