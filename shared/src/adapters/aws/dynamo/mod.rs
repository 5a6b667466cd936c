//! DynamoDB adapters. Table layouts (keys are business ids, never random values):
//!
//! | table | pk | sk | what |
//! | --- | --- | --- | --- |
//! | Messages | `MSG#<message id>` | `MSG` | idempotency record + outgoing answer + journal entry (index `journal`: `JOURNAL#<national id>`) + inbox item (index `inbox`: `INBOX#<department>`), see [`message_item`] |
//! | Messages | `MSG#<message id>` | `E#<n>` | a delivery's further journal entries and inbox items (same indexes) |
//! | Messages | `MSG#<message id>` | `SENT` | the answer was accepted by the outbox |
//! | Messages | `OUT#<message id>` | `OUT` | outbound reply and its receipt status (gsi1: `CITOUT#<national id>`, newest first) |
//! | Citizens | `CIT#<national id>` | `STATE` | consent and digital activity, history |
//! | Citizens | `CIT#<national id>` | `CARD#<dept>#<type>` | record card (gsi1: `SVC#<dept>#<type>`) |
//! | Activations | `ACT#<dept>#<type>` | - | activation and sync state |
//! | Appointments | `PLAN#<national id>#<dept>#<type>` | `A#<assignment>` / `C#<message id>` / `V` | plan, kept cancellations, plan version |
//! | Operations | `DLQ#<message id>` | `RECORD` | recorded error of a failed record |
//! | Operations | `PARKED` | `<message id>` | a parked message and its body ([`super::parked`]) |
//!
//! Item mapping lives here and nowhere else (serde_dynamo for the records).
//!
//! Each table or role has its own file: [`messages`] and [`message_item`] (idempotency, journal, inbox),
//! [`outbound`] (replies and receipts), [`citizens`] (the gate's and the sync's reads),
//! [`appointments`], [`sync`], [`activations`], [`operations`] (dead letters, alerts), [`her`]
//! (the HER-id directory), and the calls they share in [`calls`] and [`item`].

use aws_sdk_dynamodb::Client;
use jiff::SignedDuration;

use super::classify;
pub use crate::config::Tables;
use crate::error::PortError;
use item::Item;

mod activations;
mod appointments;
pub(crate) mod calls;
mod citizens;
mod her;
mod inspect;
pub(crate) mod item;
mod message_item;
mod messages;
mod operations;
mod outbound;
mod seed;
mod sync;

/// How long idempotency records are kept (far beyond SQS's 14-day retention and the
/// republisher's 10 tries, so a late redelivery is still recognised).
const IDEMPOTENCY_TTL: SignedDuration = SignedDuration::from_hours(24 * 400);
/// How long dead-letter records are kept.
const OPERATIONS_TTL: SignedDuration = SignedDuration::from_hours(24 * 90);

/// DynamoDB adapter for every store port.
#[derive(Debug, Clone)]
pub struct Dynamo {
    client: Client,
    tables: Tables,
}

impl Dynamo {
    /// An adapter over `tables`.
    pub fn new(client: Client, tables: Tables) -> Self {
        Self { client, tables }
    }

    /// One unconditional PutItem.
    async fn put_one(&self, what: &'static str, table: &str, item: Item) -> Result<(), PortError> {
        self.client.put_item().table_name(table).set_item(Some(item)).send().await.map_err(|e| classify(what, e))?;
        Ok(())
    }

    /// One consistent GetItem.
    async fn get(&self, what: &'static str, table: &str, key: Item) -> Result<Option<Item>, PortError> {
        let out = self
            .client
            .get_item()
            .table_name(table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| classify(what, e))?;
        Ok(out.item)
    }

    /// Every item of partition `pk` (whose sort key starts with `sk_prefix`, if not empty),
    /// consistent, every page.
    async fn query_pk(&self, table: &str, pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError> {
        let q = self.client.query().table_name(table).expression_attribute_values(":pk", item::s(pk));
        let q = if sk_prefix.is_empty() {
            q.key_condition_expression("pk = :pk")
        } else {
            q.key_condition_expression("pk = :pk AND begins_with(sk, :p)").expression_attribute_values(":p", item::s(sk_prefix))
        };
        calls::query_all("query", q.consistent_read(true)).await
    }

    /// BatchGetItem, retrying unprocessed keys a few times; (table, item) pairs.
    async fn batch_get(
        &self,
        what: &'static str,
        request: std::collections::HashMap<String, aws_sdk_dynamodb::types::KeysAndAttributes>,
    ) -> Result<Vec<(String, Item)>, PortError> {
        calls::batch_get(&self.client, what, request).await
    }
}
