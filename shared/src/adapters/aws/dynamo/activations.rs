//! The Activations table: `ACT#<dept>#<type>`, an activation (R-ACT-1) and its sync state.

use super::Dynamo;
use super::item::{s, service_suffix, to_item};
use crate::domain::Activated;
use crate::error::PortError;
use crate::ports::ActivationStore;

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
