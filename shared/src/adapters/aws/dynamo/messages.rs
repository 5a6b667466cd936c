//! The Messages table's inbound side: the idempotency record (`MSG#<id>` / `MSG`, and `SENT`
//! once the answer is out), the administrative journal and the department inbox, written in one
//! delivery transaction.

use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update};
use jiff::Timestamp;

use super::appointments::version_bump;
use super::calls::{batch_write, create, condition_failed_at, first_condition_failed};
use super::item::{Item, expires, get_s, key, plan_pk, put, put_request, s, time_key, to_item, with_keys};
use super::outbound::outbound_item;
use super::{Dynamo, IDEMPOTENCY_TTL};
use crate::adapters::aws::classify;
use crate::domain::message::Outgoing;
use crate::domain::receipt::ReceiptFact;
use crate::domain::NationalId;
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
    /// One TransactWriteItems: the idempotency record (conditional on not existing), journal,
    /// inbox, appointments and the citizen's last-message time. A rejection writes only the
    /// idempotency record, with one conditional PutItem.
    async fn record(&self, d: &Delivery) -> Result<Recorded, PortError> {
        let outgoing = serde_json::to_string(&d.outgoing).map_err(|e| PortError::permanent("encode outgoing", e))?;
        let mut idem = key(format!("MSG#{}", d.message_id), "MSG");
        idem.insert("outgoing".into(), s(outgoing));
        idem.insert("processedAt".into(), s(d.at.to_string()));
        idem.insert("expires_at".into(), expires(d.at, IDEMPOTENCY_TTL));
        let only_idem = d.journal.is_empty()
            && d.inbox.is_empty()
            && d.assignments.is_empty()
            && d.cancellation.is_none()
            && d.outbound.is_none();

        if only_idem {
            return if create(&self.client, "record message", &self.tables.messages, idem).await? {
                Ok(Recorded::New)
            } else {
                Ok(Recorded::Existing(self.existing(&d.message_id).await?))
            };
        }

        let idem_put = Put::builder()
            .table_name(&self.tables.messages)
            .set_item(Some(idem))
            .condition_expression("attribute_not_exists(pk)")
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(|e| PortError::permanent("build put", e))?;
        let mut items = vec![TransactWriteItem::builder().put(idem_put).build()];
        // Item 1: the plan's version, when a cancellation was computed from it (R-APT-5).
        let versioned = match (&d.cancellation, d.plan_version) {
            (Some((citizen, c)), Some(v)) => {
                items.push(version_bump(&self.tables.appointments, &plan_pk(citizen, &c.service), v)?);
                true
            }
            _ => false,
        };
        let mut touched: Vec<&NationalId> = vec![];
        for e in &d.journal {
            let pk = format!("JOURNAL#{}", e.citizen.expose());
            items.push(put(&self.tables.messages, with_keys(to_item("journal entry", e)?, pk, time_key(e.at, &e.message_id)))?);
            if !touched.contains(&&e.citizen) {
                touched.push(&e.citizen);
            }
        }
        for i in &d.inbox {
            let pk = format!("INBOX#{}", i.department);
            items.push(put(&self.tables.messages, with_keys(to_item("inbox item", i)?, pk, time_key(i.at, &i.message_id)))?);
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
        for citizen in touched {
            // R-ICON-1 history: a message was sent. Unconditional: a condition here would
            // cancel the whole delivery; a late, older message can at worst set an earlier time.
            let always = Update::builder()
                .table_name(&self.tables.citizens)
                .set_key(Some(key(format!("CIT#{}", citizen.expose()), "STATE")))
                .update_expression("SET lastMessageAt = :t")
                .expression_attribute_values(":t", s(d.at.to_string()))
                .build()
                .map_err(|e| PortError::permanent("build update", e))?;
            items.push(TransactWriteItem::builder().update(always).build());
        }

        let r = self.client.transact_write_items().set_transact_items(Some(items)).send().await;
        match r {
            Ok(_) => Ok(Recorded::New),
            Err(e) if first_condition_failed(&e) => Ok(Recorded::Existing(self.existing(&d.message_id).await?)),
            Err(e) if versioned && condition_failed_at(&e, 1) => Err(PortError::Conflict { what: "deliver message" }),
            Err(e) => Err(classify("deliver message", e)),
        }
    }

    /// One BatchWriteItem per 25 messages: a `SENT` marker beside each idempotency record.
    async fn mark_sent(&self, message_ids: &[String]) -> Result<(), PortError> {
        let now = Timestamp::now();
        let requests = message_ids
            .iter()
            .map(|id| {
                let mut item = key(format!("MSG#{id}"), "SENT");
                item.insert("expires_at".into(), expires(now, IDEMPOTENCY_TTL));
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
