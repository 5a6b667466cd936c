//! [`Seed`] and the HER-id directory over the [`MemoryDb`]: the same writes the admin tool's
//! EPJ data load makes on DynamoDB, so a contract suite seeds either adapter the same way.

use crate::domain::{CitizenRecord, ServiceKey};
use crate::domain::reply::OutboundMessage;
use crate::error::PortError;
use crate::ports::{HerDirectory, HerEntry, Seed};

use super::MemoryDb;

impl Seed for MemoryDb {
    /// Replaces each citizen's record (state and record card), as the bulk load does.
    async fn put_citizens(&self, citizens: &[CitizenRecord]) -> Result<(), PortError> {
        let mut s = self.state();
        for c in citizens {
            s.citizens.insert(c.citizen.clone(), c.clone());
        }
        Ok(())
    }

    async fn put_outbound(&self, outbound: &OutboundMessage) -> Result<(), PortError> {
        super::messages::check_item_size("put outbound", outbound)?;
        self.state().outbound.insert(outbound.message_id.clone(), outbound.clone());
        Ok(())
    }

    async fn put_her(&self, entry: &HerEntry) -> Result<(), PortError> {
        let mut s = self.state();
        s.her_ids.insert(entry.her_id.clone(), entry.clone());
        s.her_services.insert(entry.service.clone(), entry.clone());
        Ok(())
    }
}

impl HerDirectory for MemoryDb {
    async fn service_of(&self, her_id: &str) -> Result<Option<ServiceKey>, PortError> {
        Ok(self.state().her_ids.get(her_id).map(|e| e.service.clone()))
    }

    async fn her_of(&self, service: &ServiceKey) -> Result<Option<HerEntry>, PortError> {
        Ok(self.state().her_services.get(service).cloned())
    }
}
