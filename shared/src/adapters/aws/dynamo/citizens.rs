//! The Citizens table: `CIT#<national id>` / `STATE` (consent, digital activity, history) and
//! `CARD#<dept>#<type>` (record card, gsi1 `SVC#<dept>#<type>`); the consent gate's one read.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{KeysAndAttributes, WriteRequest};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::Dynamo;
use super::calls::batch_write;
use super::item::{from_item, get_s, key, put_request, s, service_suffix, to_item, with_keys};
use super::message_item::{JOURNAL_INDEX, journal_pk, journal_time};
use crate::domain::consent::AktivFacts;
use crate::domain::{CitizenRecord, NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::{CitizenReader, GateFacts, GateReader};

/// The `STATE` item. Every field has a default: an item written by one writer's fields only
/// (the sync's update) must always read back. `lastMessageAt` is no longer written by the
/// message flow (#16 item 8): [`CitizenReader::citizens_with_history`] reads it from the
/// journal index; a value seeded here (the EPJ's loader) still counts.
#[derive(Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub(super) struct CitizenState {
    pk: String,
    aktiv: AktivFacts,
    synced_at: Option<Timestamp>,
    sync_run: Option<String>,
    consent_first_given_at: Option<Timestamp>,
    consent_withdrawn_at: Option<Timestamp>,
    last_message_at: Option<Timestamp>,
}

impl CitizenState {
    pub(super) fn into_record(self, citizen: NationalId) -> CitizenRecord {
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

impl GateReader for Dynamo {
    /// One BatchGetItem across the citizens, activations and (with a message id) messages
    /// tables: the idempotency record and its `SENT` marker come with the gate's facts.
    async fn gate_facts(&self, citizen: &NationalId, service: &ServiceKey, message_id: Option<&str>) -> Result<GateFacts, PortError> {
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
        let mut request = HashMap::from([
            (self.tables.citizens.clone(), citizens),
            (self.tables.activations.clone(), activations),
        ]);
        if let Some(m) = message_id {
            let pk = format!("MSG#{m}");
            let messages = KeysAndAttributes::builder()
                .keys(key(&pk, "MSG"))
                .keys(key(&pk, "SENT"))
                .consistent_read(true)
                .build()
                .map_err(|e| PortError::permanent("build batch get", e))?;
            request.insert(self.tables.messages.clone(), messages);
        }
        let found = self.batch_get("read citizen and activation", request).await?;
        let mut facts = GateFacts::default();
        let mut state: Option<CitizenState> = None;
        let mut card = false;
        let (mut record, mut sent) = (None, false);
        for (table, item) in found {
            if table == self.tables.messages {
                match get_s(&item, "sk") {
                    Some("SENT") => sent = true,
                    _ => record = Some(item),
                }
            } else if table == self.tables.activations {
                facts.activation = Some(from_item("activation", item)?);
            } else if get_s(&item, "sk") == Some("STATE") {
                state = Some(from_item("citizen state", item)?);
            } else {
                card = true;
            }
        }
        if let (Some(m), Some(item)) = (message_id, record) {
            facts.processed = Some(super::messages::processed_from(m, &item, sent)?);
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

    /// [`Self::citizens`], then for each record found one Query of the `journal` index
    /// (newest first, Limit 1, keys only), eight at a time: the R-ICON-1 history.
    async fn citizens_with_history(&self, ids: &[NationalId]) -> Result<HashMap<NationalId, CitizenRecord>, PortError> {
        use futures::{StreamExt, TryStreamExt};
        let mut found = self.citizens(ids).await?;
        let newest: Vec<(NationalId, Option<Timestamp>)> = futures::stream::iter(found.keys().cloned().collect::<Vec<_>>())
            .map(|id| async move {
                let out = self
                    .client
                    .query()
                    .table_name(&self.tables.messages)
                    .index_name(JOURNAL_INDEX)
                    .key_condition_expression("jpk = :pk")
                    .expression_attribute_values(":pk", s(journal_pk(&id)))
                    .projection_expression("jsk")
                    .scan_index_forward(false)
                    .limit(1)
                    .send()
                    .await
                    .map_err(|e| crate::adapters::aws::classify("read journal history", e))?;
                let at = out.items.unwrap_or_default().first().and_then(journal_time);
                Ok::<_, PortError>((id, at))
            })
            .buffer_unordered(8)
            .try_collect()
            .await?;
        for (id, at) in newest {
            if let (Some(r), Some(at)) = (found.get_mut(&id), at) {
                r.last_message_at = Some(r.last_message_at.map_or(at, |t| t.max(at)));
            }
        }
        Ok(found)
    }
}
