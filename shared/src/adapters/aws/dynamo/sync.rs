//! consent-sync's state in the Operations table (`SYNC#<run id>`: `RUN` and `CHUNK#<n>`
//! markers) and its writes to the Citizens and Activations tables.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem, Update};
use jiff::Timestamp;

use super::calls::{conditional, create, first_condition_failed};
use super::item::{Item, expires, from_item, get_s, key, n, s, service_suffix};
use super::{Dynamo, OPERATIONS_TTL};
use crate::adapters::aws::classify;
use crate::domain::sync::{SyncListing, SyncRun};
use crate::domain::{Activation, NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::{SyncStore, SyncUpdate};

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
        Ok(match conditional("write citizen state", result)? {
            Some(_) => (true, u.changed),
            None => (false, false),
        })
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
        conditional("begin sync listing", r)?;
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
        conditional("advance sync listing", u.send().await)?
            .map(|out| from_item("sync run", out.attributes.unwrap_or_default()))
            .transpose()
    }

    async fn begin_run(&self, run_id: &str, at: Timestamp) -> Result<SyncRun, PortError> {
        let mut item = key(format!("SYNC#{run_id}"), "RUN");
        item.insert("runId".into(), s(run_id));
        item.insert("startedAt".into(), s(at.to_string()));
        for counter in ["chunksDone", "chunksFailed", "citizens", "changes"] {
            item.insert(counter.into(), n(0));
        }
        item.insert("expires_at".into(), expires(at, OPERATIONS_TTL));
        create(&self.client, "begin sync run", &self.tables.operations, item).await?;
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

    /// One transaction: the chunk's marker (once, with its time and expiry from `at`) and the
    /// run's counters.
    async fn finish_chunk(&self, run_id: &str, chunk: u32, failed: bool, counts: (u64, u64), at: Timestamp) -> Result<SyncRun, PortError> {
        let (citizens, changes) = counts;
        let mut marker = key(format!("SYNC#{run_id}"), format!("CHUNK#{chunk:06}"));
        marker.insert("failed".into(), AttributeValue::Bool(failed));
        marker.insert("finishedAt".into(), s(at.to_string()));
        marker.insert("expires_at".into(), expires(at, OPERATIONS_TTL));
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
        Ok(conditional("mark activation synced", r)?.is_some())
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
        conditional("finish sync run", r)?;
        Ok(())
    }
}
