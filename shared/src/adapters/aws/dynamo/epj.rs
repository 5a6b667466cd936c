//! Loading EPJ data (the admin tool and the tests).

use jiff::Timestamp;

use super::Dynamo;
use crate::error::PortError;

impl Dynamo {
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
}
