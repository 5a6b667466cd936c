//! The HER-id directory in the Operations table: `HER#<her-id>` (inbound routing) and
//! `HERSVC#<dept>#<type>` (a reply's sender), both sk `DIRECTORY`, one consistent GetItem each.

use super::Dynamo;
use super::item::{from_item, key, service_suffix, to_item, with_keys};
use crate::domain::ServiceKey;
use crate::error::PortError;
use crate::ports::{HerDirectory, HerEntry};

const SK: &str = "DIRECTORY";

impl Dynamo {
    /// Stores one HER-id entry under both of its keys (the EPJ data's `herIds`).
    pub async fn put_her(&self, e: &HerEntry) -> Result<(), PortError> {
        let item = to_item("her entry", e)?;
        let by_her = with_keys(item.clone(), format!("HER#{}", e.her_id), SK.into());
        let by_service = with_keys(item, format!("HERSVC#{}", service_suffix(&e.service)), SK.into());
        self.put_one("put her entry", &self.tables.operations, by_her).await?;
        self.put_one("put her entry", &self.tables.operations, by_service).await
    }

    async fn her_entry(&self, pk: String) -> Result<Option<HerEntry>, PortError> {
        let item = self.get("get her entry", &self.tables.operations, key(pk, SK)).await?;
        item.map(|mut i| {
            i.remove("pk");
            i.remove("sk");
            from_item("her entry", i)
        })
        .transpose()
    }
}

impl HerDirectory for Dynamo {
    async fn service_of(&self, her_id: &str) -> Result<Option<ServiceKey>, PortError> {
        Ok(self.her_entry(format!("HER#{her_id}")).await?.map(|e| e.service))
    }

    async fn her_of(&self, service: &ServiceKey) -> Result<Option<HerEntry>, PortError> {
        self.her_entry(format!("HERSVC#{}", service_suffix(service))).await
    }
}
