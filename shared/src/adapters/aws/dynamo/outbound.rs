//! The Messages table's outbound side: `OUT#<message id>` / `OUT`, a reply and its receipt
//! status (gsi1: `CITOUT#<national id>`, newest first).

use aws_sdk_dynamodb::types::AttributeValue;

use super::Dynamo;
use super::calls::conditional;
use super::item::{Item, from_item, key, s, time_key, to_item, with_keys};
use crate::domain::receipt::ReceiptFact;
use crate::domain::reply::OutboundMessage;
use crate::error::PortError;
use crate::ports::{OutboundStore, ReceiptApplied};

impl Dynamo {
    /// Stores an outbound reply directly (EPJ data loads and tests; outbound-reply writes it
    /// in its delivery transaction).
    pub async fn put_outbound(&self, o: &OutboundMessage) -> Result<(), PortError> {
        self.put_one("put outbound", &self.tables.messages, outbound_item(o)?).await
    }

    /// The receipt fact of an outbound message.
    pub async fn outbound_receipt(&self, message_id: &str) -> Result<Option<ReceiptFact>, PortError> {
        Ok(self.reply(message_id).await?.map(|o| o.receipt))
    }
}

pub(super) fn outbound_item(o: &OutboundMessage) -> Result<Item, PortError> {
    let mut item = with_keys(to_item("outbound", o)?, format!("OUT#{}", o.message_id), "OUT".into());
    item.insert("gsi1pk".into(), s(format!("CITOUT#{}", o.citizen.expose())));
    item.insert("gsi1sk".into(), s(time_key(o.sent_at, &o.message_id)));
    Ok(item)
}

impl OutboundStore for Dynamo {
    /// GetItem `OUT#<id>`.
    async fn reply(&self, message_id: &str) -> Result<Option<OutboundMessage>, PortError> {
        let item = self.get("get outbound", &self.tables.messages, key(format!("OUT#{message_id}"), "OUT")).await?;
        item.map(|i| from_item("outbound", i)).transpose()
    }

    /// One conditional UpdateItem on `OUT#<id>`; a missing item means an unknown message.
    async fn apply_receipt(&self, answers_message_id: &str, fact: &ReceiptFact) -> Result<ReceiptApplied, PortError> {
        Ok(if self.set_receipt(answers_message_id, fact, false).await? {
            ReceiptApplied::Updated
        } else {
            ReceiptApplied::UnknownMessage
        })
    }
}

impl Dynamo {
    /// Sets the receipt fact of `OUT#<id>` if the item exists (and, with `send_side_only`, if
    /// no AppRec has set it: `receipt.kind` still awaiting or send-failed). False when the
    /// condition did not hold.
    pub(super) async fn set_receipt(&self, message_id: &str, fact: &ReceiptFact, send_side_only: bool) -> Result<bool, PortError> {
        let mut update = self
            .client
            .update_item()
            .table_name(&self.tables.messages)
            .set_key(Some(key(format!("OUT#{message_id}"), "OUT")))
            .update_expression("SET receipt = :r")
            .expression_attribute_values(":r", AttributeValue::M(to_item("receipt", fact)?));
        update = if send_side_only {
            update
                .condition_expression("attribute_exists(pk) AND receipt.#k IN (:awaiting, :failed)")
                .expression_attribute_names("#k", "kind")
                .expression_attribute_values(":awaiting", s("awaiting"))
                .expression_attribute_values(":failed", s("send-failed"))
        } else {
            update.condition_expression("attribute_exists(pk)")
        };
        Ok(conditional("set receipt", update.send().await)?.is_some())
    }
}
