//! DynamoDB adapters of the EPJ API's ports ([`crate::ports::epj`]). Layout beside the one in
//! [`super::dynamo`] (keys are business ids):
//!
//! | table | pk | sk | what |
//! | --- | --- | --- | --- |
//! | Messages | `TAKEOVER#<department>` | `<message id>` | who took an inbox item over, when (R-ACC-3) |
//! | Operations | `ACTLOG#<dept>#<type>` | `<time>#deactivated` | who deactivated, when (R-ACT-3) |
//! | Citizens | `CIT#<national id>` | `CARD#<dept>#<type>` | record card, as [`super::dynamo`] writes it |
//!
//! Reads of activations go through [`Dynamo`]'s one scan (the table is small).

use std::collections::BTreeSet;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{DeleteRequest, ReturnValue, WriteRequest};

use super::classify;
use super::dynamo::calls::{batch_write, query_all};
use super::dynamo::item::{Item, key, put_request, s, service_suffix};
use super::dynamo::{Dynamo, Tables};
use crate::domain::activation::Deactivated;
use crate::domain::staff::TakeOver;
use crate::domain::{Activation, DepartmentCode, NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::SyncStore;
use crate::ports::epj::{ActivationAdmin, RecordCardStore, TakeOverStore};

/// The EPJ ports on DynamoDB.
#[derive(Debug, Clone)]
pub struct DynamoEpj {
    client: Client,
    tables: Tables,
    records: Dynamo,
}

impl DynamoEpj {
    /// The adapters over `tables` (messages, citizens, activations, operations).
    pub fn new(client: Client, tables: Tables) -> Self {
        Self { records: Dynamo::new(client.clone(), tables.clone()), client, tables }
    }

    fn take_over_of(item: Item) -> Result<TakeOver, PortError> {
        serde_dynamo::from_item(item).map_err(|e| PortError::permanent("read take-over", e))
    }

    /// One Query of a partition (all pages), consistent.
    async fn query(&self, what: &'static str, table: &str, pk: &str, sk_prefix: Option<&str>) -> Result<Vec<Item>, PortError> {
        let q = self.client.query().table_name(table).expression_attribute_values(":pk", s(pk)).consistent_read(true);
        let q = match sk_prefix {
            None => q.key_condition_expression("pk = :pk"),
            Some(p) => q.key_condition_expression("pk = :pk AND begins_with(sk, :p)").expression_attribute_values(":p", s(p)),
        };
        query_all(what, q).await
    }
}

impl TakeOverStore for DynamoEpj {
    /// One conditional PutItem; when the item was taken over before, one consistent GetItem
    /// of the take-over that stands.
    async fn take_over(&self, t: &TakeOver) -> Result<TakeOver, PortError> {
        let mut item: Item = serde_dynamo::to_item(t).map_err(|e| PortError::permanent("write take-over", e))?;
        let k = key(format!("TAKEOVER#{}", t.department), t.message_id.clone());
        item.extend(k.clone());
        let put = self
            .client
            .put_item()
            .table_name(&self.tables.messages)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk)")
            .send()
            .await;
        match put {
            Ok(_) => Ok(t.clone()),
            Err(e) if e.as_service_error().is_some_and(|se| se.is_conditional_check_failed_exception()) => {
                let out = self
                    .client
                    .get_item()
                    .table_name(&self.tables.messages)
                    .set_key(Some(k))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| classify("read take-over", e))?;
                Self::take_over_of(out.item.ok_or_else(|| PortError::transient("read take-over", "not visible yet"))?)
            }
            Err(e) => Err(classify("take over", e)),
        }
    }

    /// One Query of `TAKEOVER#<department>`.
    async fn taken_over(&self, department: &DepartmentCode) -> Result<Vec<TakeOver>, PortError> {
        let items = self.query("read take-overs", &self.tables.messages, &format!("TAKEOVER#{department}"), None).await?;
        items.into_iter().map(Self::take_over_of).collect()
    }
}

impl ActivationAdmin for DynamoEpj {
    async fn activation_list(&self) -> Result<Vec<Activation>, PortError> {
        let mut all = self.records.activations().await?;
        all.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(all)
    }

    /// PutItem of the record first (a retry after a crash repeats it harmlessly), then
    /// DeleteItem of the activation, returning whether one was there.
    async fn deactivate(&self, d: &Deactivated) -> Result<bool, PortError> {
        let mut record: Item = serde_dynamo::to_item(d).map_err(|e| PortError::permanent("write deactivation", e))?;
        let at = d.deactivated_at.strftime("%Y-%m-%dT%H:%M:%S%.3fZ");
        record.extend(key(format!("ACTLOG#{}", service_suffix(&d.key)), format!("{at}#deactivated")));
        self.client
            .put_item()
            .table_name(&self.tables.operations)
            .set_item(Some(record))
            .send()
            .await
            .map_err(|e| classify("record deactivation", e))?;
        let out = self
            .client
            .delete_item()
            .table_name(&self.tables.activations)
            .key("pk", s(format!("ACT#{}", service_suffix(&d.key))))
            .return_values(ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| classify("deactivate", e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }
}

impl RecordCardStore for DynamoEpj {
    /// One Query of the citizen's `CARD#` items, then BatchWriteItem: deletes of the services
    /// no longer on the card, puts of the card (with the service index). The `STATE` item
    /// (consent, written by consent-sync) is not touched.
    async fn put_record_card(&self, citizen: &NationalId, card: &BTreeSet<ServiceKey>) -> Result<(), PortError> {
        let pk = format!("CIT#{}", citizen.expose());
        let table = &self.tables.citizens;
        let old = self.query("read record card", table, &pk, Some("CARD#")).await?;
        let keep: BTreeSet<String> = card.iter().map(|c| format!("CARD#{}", service_suffix(c))).collect();
        let mut requests = vec![];
        for sk in old.iter().filter_map(|i| i.get("sk").and_then(|v| v.as_s().ok())).filter(|sk| !keep.contains(*sk)) {
            let del = DeleteRequest::builder().set_key(Some(key(&pk, sk))).build().map_err(|e| PortError::permanent("build delete", e))?;
            requests.push(WriteRequest::builder().delete_request(del).build());
        }
        for service in card {
            let mut item: Item = serde_dynamo::to_item(service).map_err(|e| PortError::permanent("write record card", e))?;
            item.extend(key(&pk, format!("CARD#{}", service_suffix(service))));
            item.insert("gsi1pk".into(), s(format!("SVC#{}", service_suffix(service))));
            item.insert("gsi1sk".into(), s(pk.clone()));
            requests.push(put_request(item)?);
        }
        batch_write(&self.client, table, requests).await
    }
}
