//! The Appointments table: `PLAN#<national id>#<dept>#<type>` with assignments (`A#`), kept
//! cancellations (`C#`) and the plan's version (`V`, R-APT-5).

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, Delete, TransactWriteItem, Update};

use super::Dynamo;
use super::calls::first_condition_failed;
use super::item::{from_item, get_s, key, n, plan_pk, put, to_item, with_keys};
use crate::adapters::aws::classify;
use crate::domain::appointment::Assignment;
use crate::domain::{NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::{AppointmentStore, MAX_ASSIGNMENTS_PER_WRITE, Plan};

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
pub(super) fn version_bump(table: &str, pk: &str, version: u64) -> Result<TransactWriteItem, PortError> {
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
