//! DynamoDB adapters. Table layouts (keys are business ids, never random values):
//!
//! | table | pk | sk | what |
//! | --- | --- | --- | --- |
//! | Messages | `MSG#<message id>` | `MSG` | idempotency record + outgoing answer |
//! | Messages | `MSG#<message id>` | `SENT` | the answer was accepted by the outbox |
//! | Messages | `JOURNAL#<national id>` | `<time>#<message id>` | administrative journal (AJ) |
//! | Messages | `INBOX#<department>` | `<time>#<message id>` | department inbox (AJ) |
//! | Messages | `OUT#<message id>` | `OUT` | outbound reply and its receipt status (gsi1: `CITOUT#<national id>`, newest first) |
//! | Citizens | `CIT#<national id>` | `STATE` | consent and digital activity, history |
//! | Citizens | `CIT#<national id>` | `CARD#<dept>#<type>` | record card (gsi1: `SVC#<dept>#<type>`) |
//! | Activations | `ACT#<dept>#<type>` | - | activation and sync state |
//! | Appointments | `PLAN#<national id>#<dept>#<type>` | `A#<assignment>` / `C#<message id>` / `V` | plan, kept cancellations, plan version |
//! | Operations | `DLQ#<message id>` | `RECORD` | recorded error of a failed record |
//! | Operations | `PARKED` | `<message id>` | a parked message and its body ([`super::parked`]) |
//!
//! Item mapping lives here and nowhere else (serde_dynamo for the records).

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, KeysAndAttributes, Put, PutRequest,
    ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update, WriteRequest,
};
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use super::classify;
pub use crate::config::Tables;
use crate::domain::appointment::Assignment;
use crate::domain::consent::AktivFacts;
use crate::domain::dead_letter::{Alert, RecordedError};
use crate::domain::message::{InboxItem, JournalEntry, Outgoing};
use crate::domain::receipt::ReceiptFact;
use crate::domain::reply::OutboundMessage;
use crate::domain::sync::{SyncListing, SyncRun};
use crate::domain::{Activated, Activation, CitizenRecord, DepartmentCode, NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::{
    ActivationStore, AlertSink, AppointmentStore, CitizenReader, DeadLetterLog, SyncStore, SyncUpdate, Delivery, GateFacts, GateReader, MessageStore, OutboundStore, Plan, Processed,
    ReceiptApplied, Recorded, MAX_ASSIGNMENTS_PER_WRITE,
};

type Item = HashMap<String, AttributeValue>;

/// How long idempotency records are kept (far beyond SQS's 14-day retention and the
/// republisher's 10 tries, so a late redelivery is still recognised).
const IDEMPOTENCY_TTL: SignedDuration = SignedDuration::from_hours(24 * 400);
/// How long dead-letter records are kept.
const OPERATIONS_TTL: SignedDuration = SignedDuration::from_hours(24 * 90);

mod her;

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn key(pk: impl Into<String>, sk: impl Into<String>) -> Item {
    HashMap::from([("pk".to_string(), s(pk)), ("sk".to_string(), s(sk))])
}

fn expires(at: Timestamp, ttl: SignedDuration) -> AttributeValue {
    AttributeValue::N(at.checked_add(ttl).unwrap_or(at).as_second().to_string())
}

fn to_item<T: Serialize>(what: &'static str, value: &T) -> Result<Item, PortError> {
    serde_dynamo::to_item(value).map_err(|e| PortError::permanent(what, e))
}

fn from_item<'a, T: Deserialize<'a>>(what: &'static str, item: Item) -> Result<T, PortError> {
    serde_dynamo::from_item(item).map_err(|e| PortError::permanent(what, e))
}

fn with_keys(mut item: Item, pk: String, sk: String) -> Item {
    item.insert("pk".into(), s(pk));
    item.insert("sk".into(), s(sk));
    item
}

fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name).and_then(|v| v.as_s().ok()).map(String::as_str)
}

/// Sort key that orders by time, then message id.
fn time_key(at: Timestamp, message_id: &str) -> String {
    format!("{}#{message_id}", at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"))
}

fn plan_pk(citizen: &NationalId, service: &ServiceKey) -> String {
    format!("PLAN#{}#{}#{}", citizen.expose(), service.department, service.service_type)
}

fn service_suffix(service: &ServiceKey) -> String {
    format!("{}#{}", service.department, service.service_type)
}

/// Writes in chunks of 25 (BatchWriteItem's limit), retrying unprocessed items a few times.
async fn batch_write(client: &Client, table: &str, requests: Vec<WriteRequest>) -> Result<(), PortError> {
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

/// DynamoDB adapter for every store port.
#[derive(Debug, Clone)]
pub struct Dynamo {
    client: Client,
    tables: Tables,
}

/// The `STATE` item. Every field has a default: the delivery transaction's update of
/// `lastMessageAt` must never make an item that cannot be read back.
#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
struct CitizenState {
    pk: String,
    aktiv: AktivFacts,
    synced_at: Option<Timestamp>,
    sync_run: Option<String>,
    consent_first_given_at: Option<Timestamp>,
    consent_withdrawn_at: Option<Timestamp>,
    last_message_at: Option<Timestamp>,
}

impl CitizenState {
    fn into_record(self, citizen: NationalId) -> CitizenRecord {
        let mut r = CitizenRecord::new(citizen);
        r.aktiv = self.aktiv;
        r.synced_at = self.synced_at;
        r.sync_run = self.sync_run;
        r.consent_first_given_at = self.consent_first_given_at;
        r.consent_withdrawn_at = self.consent_withdrawn_at;
        r.last_message_at = self.last_message_at;
        r
    }
}

impl Dynamo {
    /// An adapter over `tables`.
    pub fn new(client: Client, tables: Tables) -> Self {
        Self { client, tables }
    }

    /// Stores many citizens in BatchWriteItem calls of 25 items (the EPJ's bulk load).
    pub async fn put_citizens(&self, citizens: &[CitizenRecord]) -> Result<(), PortError> {
        let mut requests = vec![];
        for c in citizens {
            requests.extend(citizen_items(c)?);
        }
        batch_write(&self.client, &self.tables.citizens, requests).await
    }

    /// Stores a citizen's state and record card (the EPJ's loader and the sync use it).
    pub async fn put_citizen(&self, c: &CitizenRecord) -> Result<(), PortError> {
        batch_write(&self.client, &self.tables.citizens, citizen_items(c)?).await
    }

    /// Loads EPJ data: citizens with record cards, activations (each through the activation
    /// rule, R-ACT-2/3, as of `now`), plans (re-dated so kept cancellations survive, R-APT-5)
    /// and outbound messages. An activation the rule refuses stops the load with its reason.
    pub async fn load_epj(&self, data: &crate::app::epj::EpjData, now: Timestamp) -> Result<(), PortError> {
        for c in &data.citizens {
            self.put_citizen(&c.record()).await?;
        }
        for a in &data.activations {
            crate::app::epj::activate(self, a, now).await.map_err(|e| match e {
                crate::app::epj::ActivateError::Refused(r) => PortError::permanent("activation refused", r),
                crate::app::epj::ActivateError::Store(p) => p,
            })?;
        }
        for p in &data.plans {
            crate::app::appointments::redate(self, self, &p.citizen, &p.service, p.assignments.clone(), Timestamp::now()).await?;
        }
        for o in &data.outbound {
            self.put_outbound(o).await?;
        }
        for e in &data.her_ids {
            self.put_her(e).await?;
        }
        Ok(())
    }

    /// Stores an outbound reply directly (EPJ data loads and tests; outbound-reply writes it
    /// in its delivery transaction).
    pub async fn put_outbound(&self, o: &OutboundMessage) -> Result<(), PortError> {
        self.put_one("put outbound", &self.tables.messages, outbound_item(o)?).await
    }

    /// The receipt fact of an outbound message.
    pub async fn outbound_receipt(&self, message_id: &str) -> Result<Option<ReceiptFact>, PortError> {
        Ok(self.reply(message_id).await?.map(|o| o.receipt))
    }

    /// A dead-letter record, if one was written for `message_id`.
    pub async fn dead_letter(&self, message_id: &str) -> Result<Option<RecordedError>, PortError> {
        let item = self.get("get dead letter", &self.tables.operations, key(format!("DLQ#{message_id}"), "RECORD")).await?;
        item.map(|i| from_item("dead letter", i)).transpose()
    }

    /// BatchGetItem, retrying unprocessed keys a few times; (table, item) pairs.
    async fn batch_get(
        &self,
        what: &'static str,
        mut request: HashMap<String, KeysAndAttributes>,
    ) -> Result<Vec<(String, Item)>, PortError> {
        let mut found = vec![];
        for attempt in 0..5 {
            let out = self
                .client
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

    async fn query_pk(&self, table: &str, pk: &str, sk_prefix: &str) -> Result<Vec<Item>, PortError> {
        let mut items = vec![];
        let mut start: Option<Item> = None;
        loop {
            let mut q = self.client.query().table_name(table).expression_attribute_values(":pk", s(pk));
            q = if sk_prefix.is_empty() {
                q.key_condition_expression("pk = :pk")
            } else {
                q.key_condition_expression("pk = :pk AND begins_with(sk, :p)").expression_attribute_values(":p", s(sk_prefix))
            };
            let out = q
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| classify("query", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

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

fn outbound_item(o: &OutboundMessage) -> Result<Item, PortError> {
    let mut item = with_keys(to_item("outbound", o)?, format!("OUT#{}", o.message_id), "OUT".into());
    item.insert("gsi1pk".into(), s(format!("CITOUT#{}", o.citizen.expose())));
    item.insert("gsi1sk".into(), s(time_key(o.sent_at, &o.message_id)));
    Ok(item)
}

type TransactError<R> =
    aws_sdk_dynamodb::error::SdkError<aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError, R>;

/// Whether a TransactWriteItems was cancelled because its first item's condition failed (the
/// idempotency record or marker already exists: the work was done before).
fn first_condition_failed<R>(e: &TransactError<R>) -> bool {
    condition_failed_at(e, 0)
}

/// Whether a TransactWriteItems was cancelled because the condition of item `index` failed.
fn condition_failed_at<R>(e: &TransactError<R>, index: usize) -> bool {
    use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(tc)) => {
            tc.cancellation_reasons().get(index).is_some_and(|r| r.code() == Some("ConditionalCheckFailed"))
        }
        _ => false,
    }
}

/// The condition "the plan is still at `version`" (0: never written, no version item).
fn at_version(version: u64) -> (&'static str, Option<AttributeValue>) {
    if version == 0 { ("attribute_not_exists(pk)", None) } else { ("version = :v", Some(n(version))) }
}

/// R-APT-5: a check that the plan is still at `version`, for a chunk that leaves it there.
fn version_check(table: &str, pk: &str, version: u64) -> Result<TransactWriteItem, PortError> {
    let (condition, v) = at_version(version);
    let mut check = ConditionCheck::builder().table_name(table).set_key(Some(key(pk, "V"))).condition_expression(condition);
    if let Some(v) = v {
        check = check.expression_attribute_values(":v", v);
    }
    Ok(TransactWriteItem::builder().condition_check(check.build().map_err(|e| PortError::permanent("build check", e))?).build())
}

/// R-APT-5: moves the plan from `version` to the next, only if it is still at `version`.
fn version_bump(table: &str, pk: &str, version: u64) -> Result<TransactWriteItem, PortError> {
    let (condition, v) = at_version(version);
    let mut update = Update::builder()
        .table_name(table)
        .set_key(Some(key(pk, "V")))
        .update_expression("SET version = :next")
        .condition_expression(condition)
        .expression_attribute_values(":next", n(version + 1));
    if let Some(v) = v {
        update = update.expression_attribute_values(":v", v);
    }
    Ok(TransactWriteItem::builder().update(update.build().map_err(|e| PortError::permanent("build update", e))?).build())
}

/// The `STATE` and `CARD#…` items of a citizen.
fn citizen_items(c: &CitizenRecord) -> Result<Vec<WriteRequest>, PortError> {
    let pk = format!("CIT#{}", c.citizen.expose());
    let state = CitizenState {
        pk: pk.clone(),
        aktiv: c.aktiv,
        synced_at: c.synced_at,
        sync_run: c.sync_run.clone(),
        consent_first_given_at: c.consent_first_given_at,
        consent_withdrawn_at: c.consent_withdrawn_at,
        last_message_at: c.last_message_at,
    };
    let mut requests = vec![put_request(with_keys(to_item("citizen state", &state)?, pk.clone(), "STATE".into()))?];
    for service in &c.record_card {
        let mut item = to_item("record card", service)?;
        item.insert("gsi1pk".into(), s(format!("SVC#{}", service_suffix(service))));
        item.insert("gsi1sk".into(), s(pk.clone()));
        requests.push(put_request(with_keys(item, pk.clone(), format!("CARD#{}", service_suffix(service))))?);
    }
    Ok(requests)
}

fn put_request(item: Item) -> Result<WriteRequest, PortError> {
    let put = PutRequest::builder().set_item(Some(item)).build().map_err(|e| PortError::permanent("build put", e))?;
    Ok(WriteRequest::builder().put_request(put).build())
}

fn processed_from(message_id: &str, item: &Item, sent: bool) -> Result<Processed, PortError> {
    let outgoing: Vec<Outgoing> = serde_json::from_str(get_s(item, "outgoing").unwrap_or("[]"))
        .map_err(|e| PortError::permanent("read idempotency record", e))?;
    let processed_at = get_s(item, "processedAt")
        .and_then(|t| t.parse().ok())
        .ok_or_else(|| PortError::permanent("read idempotency record", "processedAt missing"))?;
    Ok(Processed { message_id: message_id.to_string(), outgoing, processed_at, sent })
}

fn put(table: &str, item: Item) -> Result<TransactWriteItem, PortError> {
    let p = Put::builder().table_name(table).set_item(Some(item)).build().map_err(|e| PortError::permanent("build put", e))?;
    Ok(TransactWriteItem::builder().put(p).build())
}

impl GateReader for Dynamo {
    /// One BatchGetItem across the citizens and activations tables.
    async fn gate_facts(&self, citizen: &NationalId, service: &ServiceKey) -> Result<GateFacts, PortError> {
        let pk = format!("CIT#{}", citizen.expose());
        let card_sk = format!("CARD#{}", service_suffix(service));
        let citizens = KeysAndAttributes::builder()
            .keys(key(&pk, "STATE"))
            .keys(key(&pk, &card_sk))
            .consistent_read(true)
            .build()
            .map_err(|e| PortError::permanent("build batch get", e))?;
        let activations = KeysAndAttributes::builder()
            .keys(HashMap::from([("pk".to_string(), s(format!("ACT#{}", service_suffix(service))))]))
            .consistent_read(true)
            .build()
            .map_err(|e| PortError::permanent("build batch get", e))?;
        let request = HashMap::from([
            (self.tables.citizens.clone(), citizens),
            (self.tables.activations.clone(), activations),
        ]);
        let found = self.batch_get("read citizen and activation", request).await?;
        let mut facts = GateFacts::default();
        let mut state: Option<CitizenState> = None;
        let mut card = false;
        for (table, item) in found {
            if table == self.tables.activations {
                facts.activation = Some(from_item("activation", item)?);
            } else if get_s(&item, "sk") == Some("STATE") {
                state = Some(from_item("citizen state", item)?);
            } else {
                card = true;
            }
        }
        if state.is_some() || card {
            let mut record = state.unwrap_or_default().into_record(citizen.clone());
            if card {
                record.record_card.insert(service.clone());
            }
            facts.citizen = Some(record);
        }
        Ok(facts)
    }
}

impl CitizenReader for Dynamo {
    /// BatchGetItem of the `STATE` items, 100 keys a call, four calls at a time.
    async fn citizens(&self, ids: &[NationalId]) -> Result<HashMap<NationalId, CitizenRecord>, PortError> {
        use futures::{StreamExt, TryStreamExt};
        let chunks: Vec<Vec<NationalId>> = ids.chunks(100).map(<[NationalId]>::to_vec).collect();
        let found: Vec<Vec<CitizenState>> = futures::stream::iter(chunks)
            .map(|chunk| async move {
                let mut keys = KeysAndAttributes::builder();
                for id in &chunk {
                    keys = keys.keys(key(format!("CIT#{}", id.expose()), "STATE"));
                }
                let request = HashMap::from([(
                    self.tables.citizens.clone(),
                    keys.build().map_err(|e| PortError::permanent("build batch get", e))?,
                )]);
                self.batch_get("read citizens", request)
                    .await?
                    .into_iter()
                    .map(|(_, item)| from_item::<CitizenState>("citizen state", item))
                    .collect::<Result<Vec<_>, _>>()
            })
            .buffer_unordered(4)
            .try_collect()
            .await?;
        let by_pk: HashMap<String, &NationalId> = ids.iter().map(|id| (format!("CIT#{}", id.expose()), id)).collect();
        Ok(found
            .into_iter()
            .flatten()
            .filter_map(|st| {
                let id = (*by_pk.get(&st.pk)?).clone();
                Some((id.clone(), st.into_record(id)))
            })
            .collect())
    }
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
            let r = self
                .client
                .put_item()
                .table_name(&self.tables.messages)
                .set_item(Some(idem))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await;
            return match r {
                Ok(_) => Ok(Recorded::New),
                Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {
                    Ok(Recorded::Existing(self.existing(&d.message_id).await?))
                }
                Err(e) => Err(classify("record message", e)),
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

    async fn journal(&self, citizen: &NationalId) -> Result<Vec<JournalEntry>, PortError> {
        let items = self.query_pk(&self.tables.messages, &format!("JOURNAL#{}", citizen.expose()), "").await?;
        items.into_iter().map(|i| from_item("journal entry", i)).collect()
    }

    async fn inbox(&self, department: &DepartmentCode) -> Result<Vec<InboxItem>, PortError> {
        let items = self.query_pk(&self.tables.messages, &format!("INBOX#{department}"), "").await?;
        items.into_iter().map(|i| from_item("inbox item", i)).collect()
    }
}

impl Dynamo {
    /// One TransactWriteItems: `guard` (the plan version's check or bump) first, then `writes`.
    async fn plan_chunk(&self, what: &'static str, guard: TransactWriteItem, writes: &[TransactWriteItem]) -> Result<(), PortError> {
        let items: Vec<TransactWriteItem> = std::iter::once(guard).chain(writes.iter().cloned()).collect();
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(e) if first_condition_failed(&e) => Err(PortError::Conflict { what }),
            Err(e) => Err(classify(what, e)),
        }
    }
}

impl AppointmentStore for Dynamo {
    /// One Query of the plan's partition: assignments (`A#`), kept cancellations (`C#`) and
    /// the version (`V`).
    async fn plan(&self, citizen: &NationalId, service: &ServiceKey) -> Result<Plan, PortError> {
        let items = self.query_pk(&self.tables.appointments, &plan_pk(citizen, service), "").await?;
        let mut plan = Plan::default();
        for item in items {
            match get_s(&item, "sk") {
                Some(sk) if sk.starts_with("A#") => plan.assignments.push(from_item("assignment", item)?),
                Some(sk) if sk.starts_with("C#") => plan.cancellations.push(from_item("cancellation", item)?),
                Some("V") => {
                    let v = item.get("version").and_then(|v| v.as_n().ok()).and_then(|v| v.parse().ok());
                    plan.version = v.ok_or_else(|| PortError::permanent("read plan version", "not a number"))?;
                }
                _ => {}
            }
        }
        Ok(plan)
    }

    /// One TransactWriteItems: the version's check and the puts.
    async fn write_assignments(&self, citizen: &NationalId, service: &ServiceKey, version: u64, assignments: &[Assignment]) -> Result<(), PortError> {
        let pk = plan_pk(citizen, service);
        let table = &self.tables.appointments;
        let puts = assignments
            .iter()
            .map(|a| put(table, with_keys(to_item("assignment", a)?, pk.clone(), format!("A#{}", a.id.0))))
            .collect::<Result<Vec<_>, _>>()?;
        self.plan_chunk("write assignments", version_check(table, &pk, version)?, &puts).await
    }

    /// Deletes and puts in TransactWriteItems of [`MAX_ASSIGNMENTS_PER_WRITE`], each
    /// conditional on the version read; the last one moves the version on. A conflict part way
    /// leaves a mix that the caller's retry (or the newer writer) overwrites.
    async fn replace_plan(&self, citizen: &NationalId, service: &ServiceKey, version: u64, plan: &[Assignment]) -> Result<(), PortError> {
        let pk = plan_pk(citizen, service);
        let table = &self.tables.appointments;
        let old = self.query_pk(table, &pk, "A#").await?;
        let keep: std::collections::HashSet<String> = plan.iter().map(|a| format!("A#{}", a.id.0)).collect();
        let mut writes = vec![];
        for sk in old.iter().filter_map(|item| get_s(item, "sk")).filter(|sk| !keep.contains(*sk)) {
            let del = Delete::builder().table_name(table).set_key(Some(key(&pk, sk))).build();
            writes.push(TransactWriteItem::builder().delete(del.map_err(|e| PortError::permanent("build delete", e))?).build());
        }
        for a in plan {
            writes.push(put(table, with_keys(to_item("assignment", a)?, pk.clone(), format!("A#{}", a.id.0)))?);
        }
        let chunks: Vec<&[TransactWriteItem]> = writes.chunks(MAX_ASSIGNMENTS_PER_WRITE).collect();
        let (last, ahead) = chunks.split_last().map_or((&[][..], &[][..]), |(l, a)| (*l, a));
        for chunk in ahead {
            self.plan_chunk("replace plan", version_check(table, &pk, version)?, chunk).await?;
        }
        self.plan_chunk("replace plan", version_bump(table, &pk, version)?, last).await
    }
}

impl OutboundStore for Dynamo {
    /// GetItem `OUT#<id>`.
    async fn reply(&self, message_id: &str) -> Result<Option<OutboundMessage>, PortError> {
        let item = self.get("get outbound", &self.tables.messages, key(format!("OUT#{message_id}"), "OUT")).await?;
        item.map(|i| from_item("outbound", i)).transpose()
    }

    /// Query gsi1 `CITOUT#<national id>`, newest first.
    async fn replies_of(&self, citizen: &NationalId) -> Result<Vec<OutboundMessage>, PortError> {
        let mut items = vec![];
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.tables.messages)
                .index_name("gsi1")
                .key_condition_expression("gsi1pk = :pk")
                .expression_attribute_values(":pk", s(format!("CITOUT#{}", citizen.expose())))
                .scan_index_forward(false)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| classify("query replies", e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        items.into_iter().map(|i| from_item("outbound", i)).collect()
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
    async fn set_receipt(&self, message_id: &str, fact: &ReceiptFact, send_side_only: bool) -> Result<bool, PortError> {
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
        match update.send().await {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(classify("set receipt", e)),
        }
    }
}

impl DeadLetterLog for Dynamo {
    /// One PutItem on `DLQ#<message id>`: the latest failure of that message.
    async fn record(&self, error: &RecordedError) -> Result<(), PortError> {
        let mut item = with_keys(to_item("dead letter", error)?, format!("DLQ#{}", error.message_id), "RECORD".into());
        item.insert("expires_at".into(), expires(error.at, OPERATIONS_TTL));
        self.put_one("record dead letter", &self.tables.operations, item).await
    }

    async fn recorded(&self, message_id: &str) -> Result<Option<RecordedError>, PortError> {
        self.dead_letter(message_id).await
    }
}

impl AlertSink for Dynamo {
    /// The alert history: PutItem `ALERTS#<Oslo date>` / `<time>#<type>` (TTL 90 days).
    async fn send(&self, alert: &Alert) -> Result<(), PortError> {
        let now = Timestamp::now();
        let value = serde_json::to_value(alert).map_err(|e| PortError::permanent("encode alert", e))?;
        let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or("alert").to_string();
        let mut item = key(
            format!("ALERTS#{}", crate::domain::sync::run_id_for(now)),
            format!("{}#{kind}#{}", time_key(now, ""), uuid_like(&value)),
        );
        item.insert("alert".into(), s(value.to_string()));
        item.insert("expires_at".into(), expires(now, OPERATIONS_TTL));
        self.put_one("keep alert", &self.tables.operations, item).await
    }
}

/// A short stable discriminator for alerts written in the same millisecond.
fn uuid_like(v: &serde_json::Value) -> String {
    v.get("messageId").and_then(|m| m.as_str()).unwrap_or("summary").to_string()
}

fn n(v: u64) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

impl Dynamo {
    async fn get_run(&self, run_id: &str) -> Result<SyncRun, PortError> {
        let item = self
            .get("read sync run", &self.tables.operations, key(format!("SYNC#{run_id}"), "RUN"))
            .await?
            .ok_or_else(|| PortError::transient("read sync run", "not visible yet"))?;
        from_item("sync run", item)
    }
}

impl Dynamo {
    /// Writes one citizen's synced state unless this run already did; (written, changed).
    async fn write_state(&self, run_id: &str, u: &SyncUpdate) -> Result<(bool, bool), PortError> {
        let r = &u.record;
        let facts = serde_dynamo::to_attribute_value(r.aktiv).map_err(|e| PortError::permanent("encode facts", e))?;
        let mut set = vec!["aktiv = :a".to_string(), "syncRun = :run".to_string()];
        let mut remove = vec![];
        let mut values = HashMap::from([(":a".to_string(), facts), (":run".to_string(), s(run_id))]);
        for (name, placeholder, value) in [
            ("syncedAt", ":s", r.synced_at),
            ("consentFirstGivenAt", ":f", r.consent_first_given_at),
            ("consentWithdrawnAt", ":w", r.consent_withdrawn_at),
        ] {
            match value {
                Some(t) => {
                    set.push(format!("{name} = {placeholder}"));
                    values.insert(placeholder.to_string(), s(t.to_string()));
                }
                None => remove.push(name),
            }
        }
        let mut expr = format!("SET {}", set.join(", "));
        if !remove.is_empty() {
            expr.push_str(&format!(" REMOVE {}", remove.join(", ")));
        }
        let result = self
            .client
            .update_item()
            .table_name(&self.tables.citizens)
            .set_key(Some(key(format!("CIT#{}", r.citizen.expose()), "STATE")))
            .update_expression(expr)
            .condition_expression("attribute_not_exists(syncRun) OR syncRun <> :run")
            .set_expression_attribute_values(Some(values))
            .send()
            .await;
        match result {
            Ok(_) => Ok((true, u.changed)),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok((false, false)),
            Err(e) => Err(classify("write citizen state", e)),
        }
    }
}

impl SyncStore for Dynamo {
    /// Scan of the (small) activations table.
    async fn activations(&self) -> Result<Vec<Activation>, PortError> {
        let mut all = vec![];
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .scan()
                .table_name(&self.tables.activations)
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(|e| classify("scan activations", e))?;
            for item in out.items.unwrap_or_default() {
                all.push(from_item("activation", item)?);
            }
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(all),
            }
        }
    }

    /// Query gsi1 `SVC#<dept>#<type>` (keys only), 1000 a page, ordered by citizen.
    async fn citizens_of(&self, service: &ServiceKey, cursor: Option<String>) -> Result<(Vec<NationalId>, Option<String>), PortError> {
        let start: Option<Item> = match cursor {
            Some(c) => {
                let m: HashMap<String, String> =
                    serde_json::from_str(&c).map_err(|e| PortError::permanent("read sync cursor", e))?;
                Some(m.into_iter().map(|(k, v)| (k, s(v))).collect())
            }
            None => None,
        };
        let out = self
            .client
            .query()
            .table_name(&self.tables.citizens)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(":pk", s(format!("SVC#{}", service_suffix(service))))
            .limit(1000)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(|e| classify("query record cards", e))?;
        let ids = out
            .items
            .unwrap_or_default()
            .iter()
            .filter_map(|i| get_s(i, "pk")?.strip_prefix("CIT#")?.parse().ok())
            .collect();
        let next = match out.last_evaluated_key {
            Some(k) if !k.is_empty() => {
                let m: HashMap<String, String> =
                    k.into_iter().filter_map(|(k, v)| v.as_s().ok().map(|s| (k, s.clone()))).collect();
                Some(serde_json::to_string(&m).map_err(|e| PortError::permanent("write sync cursor", e))?)
            }
            _ => None,
        };
        Ok((ids, next))
    }

    /// Activations and the first step, each `if_not_exists`: a restarted start keeps both.
    async fn begin_listing(&self, run_id: &str, activations: &[ServiceKey]) -> Result<SyncRun, PortError> {
        let keys = serde_dynamo::to_attribute_value(activations).map_err(|e| PortError::permanent("encode activations", e))?;
        let first = SyncListing { run_id: run_id.to_string(), ..SyncListing::default() };
        let first = serde_dynamo::to_attribute_value(&first).map_err(|e| PortError::permanent("encode listing", e))?;
        let r = self
            .client
            .update_item()
            .table_name(&self.tables.operations)
            .set_key(Some(key(format!("SYNC#{run_id}"), "RUN")))
            .update_expression("SET activations = :a, nextListing = :l")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(activations)")
            .expression_attribute_values(":a", keys)
            .expression_attribute_values(":l", first)
            .send()
            .await;
        match r {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {}
            Err(e) => return Err(classify("begin sync listing", e)),
        }
        self.get_run(run_id).await
    }

    /// One conditional UpdateItem on `nextListing.step = :from`.
    async fn advance_listing(&self, run_id: &str, from: u32, next: Option<&SyncListing>, total: u32) -> Result<Option<SyncRun>, PortError> {
        let mut u = self
            .client
            .update_item()
            .table_name(&self.tables.operations)
            .set_key(Some(key(format!("SYNC#{run_id}"), "RUN")))
            .condition_expression("nextListing.step = :from")
            .expression_attribute_values(":from", n(u64::from(from)))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew);
        u = match next {
            Some(l) => {
                let l = serde_dynamo::to_attribute_value(l).map_err(|e| PortError::permanent("encode listing", e))?;
                u.update_expression("SET nextListing = :l").expression_attribute_values(":l", l)
            }
            None => u.update_expression("SET chunksTotal = :t REMOVE nextListing").expression_attribute_values(":t", n(u64::from(total))),
        };
        match u.send().await {
            Ok(out) => Ok(Some(from_item("sync run", out.attributes.unwrap_or_default())?)),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(None),
            Err(e) => Err(classify("advance sync listing", e)),
        }
    }

    async fn begin_run(&self, run_id: &str, at: Timestamp) -> Result<SyncRun, PortError> {
        let mut item = key(format!("SYNC#{run_id}"), "RUN");
        item.insert("runId".into(), s(run_id));
        item.insert("startedAt".into(), s(at.to_string()));
        for counter in ["chunksDone", "chunksFailed", "citizens", "changes"] {
            item.insert(counter.into(), n(0));
        }
        item.insert("expires_at".into(), expires(at, OPERATIONS_TTL));
        let r = self
            .client
            .put_item()
            .table_name(&self.tables.operations)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match r {
            Ok(_) => {}
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {}
            Err(e) => return Err(classify("begin sync run", e)),
        }
        self.get_run(run_id).await
    }

    async fn chunk_done(&self, run_id: &str, chunk: u32) -> Result<bool, PortError> {
        let marker = key(format!("SYNC#{run_id}"), format!("CHUNK#{chunk:06}"));
        Ok(self.get("read sync chunk", &self.tables.operations, marker).await?.is_some())
    }

    /// One conditional UpdateItem per citizen (`syncRun <> :run`), 16 at a time: a citizen
    /// is written at most once per run however often its chunk runs. Only the sync's fields
    /// are set, so a concurrent `lastMessageAt` from the message flow is never overwritten.
    async fn apply_sync(&self, run_id: &str, updates: &[SyncUpdate]) -> Result<(u64, u64), PortError> {
        use futures::{StreamExt, TryStreamExt};
        let results: Vec<(bool, bool)> = futures::stream::iter(updates.to_vec())
            .map(|u| {
                let run_id = run_id.to_string();
                async move { self.write_state(&run_id, &u).await }
            })
            .buffer_unordered(16)
            .try_collect()
            .await?;
        let written = results.iter().filter(|(w, _)| *w).count() as u64;
        let changes = results.iter().filter(|(w, c)| *w && *c).count() as u64;
        Ok((written, changes))
    }

    /// One transaction: the chunk's marker (once) and the run's counters.
    async fn finish_chunk(&self, run_id: &str, chunk: u32, failed: bool, citizens: u64, changes: u64) -> Result<SyncRun, PortError> {
        let now = Timestamp::now();
        let mut marker = key(format!("SYNC#{run_id}"), format!("CHUNK#{chunk:06}"));
        marker.insert("failed".into(), AttributeValue::Bool(failed));
        marker.insert("expires_at".into(), expires(now, OPERATIONS_TTL));
        let put = Put::builder()
            .table_name(&self.tables.operations)
            .set_item(Some(marker))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(|e| PortError::permanent("build put", e))?;
        let counter = if failed { "chunksFailed" } else { "chunksDone" };
        let update = Update::builder()
            .table_name(&self.tables.operations)
            .set_key(Some(key(format!("SYNC#{run_id}"), "RUN")))
            .update_expression(format!("ADD {counter} :one, citizens :c, changes :m"))
            .expression_attribute_values(":one", n(1))
            .expression_attribute_values(":c", n(citizens))
            .expression_attribute_values(":m", n(changes))
            .build()
            .map_err(|e| PortError::permanent("build update", e))?;
        let r = self
            .client
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build())
            .transact_items(TransactWriteItem::builder().update(update).build())
            .send()
            .await;
        if let Err(e) = r {
            let already = first_condition_failed(&e);
            if !already {
                return Err(classify("finish sync chunk", e));
            }
        }
        self.get_run(run_id).await
    }

    /// R-ACT-4: one UpdateItem of `syncedAt`, on condition that `activatedAt` is still the
    /// one read: a re-activation between the read and this write is never overwritten.
    async fn mark_synced(&self, seen: &Activation, synced_at: Timestamp) -> Result<bool, PortError> {
        let seen_at = serde_dynamo::to_attribute_value(seen.activated_at).map_err(|e| PortError::permanent("encode time", e))?;
        let r = self
            .client
            .update_item()
            .table_name(&self.tables.activations)
            .set_key(Some(HashMap::from([("pk".to_string(), s(format!("ACT#{}", service_suffix(&seen.key))))])))
            .update_expression("SET syncedAt = :at")
            .condition_expression("activatedAt = :seen")
            .expression_attribute_values(":at", s(synced_at.to_string()))
            .expression_attribute_values(":seen", seen_at)
            .send()
            .await;
        match r {
            Ok(_) => Ok(true),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(false),
            Err(e) => Err(classify("mark activation synced", e)),
        }
    }

    /// The run's finish time, once.
    async fn finish_run(&self, run: &SyncRun, at: Timestamp) -> Result<(), PortError> {
        let r = self
            .client
            .update_item()
            .table_name(&self.tables.operations)
            .set_key(Some(key(format!("SYNC#{}", run.run_id), "RUN")))
            .update_expression("SET finishedAt = :at")
            .condition_expression("attribute_not_exists(finishedAt)")
            .expression_attribute_values(":at", s(at.to_string()))
            .send()
            .await;
        match r {
            Ok(_) => Ok(()),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => Ok(()),
            Err(e) => Err(classify("finish sync run", e)),
        }
    }
}

impl ActivationStore for Dynamo {
    /// One PutItem of the key, `activatedAt` and `activatedBy`: never a `syncedAt` (R-ACT-4),
    /// so a re-activation waits for the next sync.
    async fn activate(&self, activated: &Activated) -> Result<(), PortError> {
        let a = activated.activation();
        let mut item = to_item("activation", a)?;
        item.remove("syncedAt");
        item.insert("pk".into(), s(format!("ACT#{}", service_suffix(&a.key))));
        self.put_one("put activation", &self.tables.activations, item).await
    }
}
