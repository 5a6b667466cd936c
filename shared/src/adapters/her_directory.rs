//! The HER-id directory in memory: the EPJ data's `herIds` list (tests, the bench, and a
//! function that loads the list at start-up).

use crate::domain::ServiceKey;
use crate::error::PortError;
use crate::ports::{HerDirectory, HerEntry};

/// A fixed list of HER-ids.
#[derive(Debug, Clone, Default)]
pub struct MemoryHerDirectory {
    /// The entries.
    pub entries: Vec<HerEntry>,
}

impl HerDirectory for MemoryHerDirectory {
    async fn service_of(&self, her_id: &str) -> Result<Option<ServiceKey>, PortError> {
        Ok(self.entries.iter().find(|e| e.her_id == her_id).map(|e| e.service.clone()))
    }

    async fn her_of(&self, service: &ServiceKey) -> Result<Option<HerEntry>, PortError> {
        Ok(self.entries.iter().find(|e| &e.service == service).cloned())
    }
}
