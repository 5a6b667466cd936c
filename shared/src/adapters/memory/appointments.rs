//! Work plans, kept cancellations and plan versions (R-APT-5).

use std::sync::MutexGuard;

use crate::domain::appointment::Assignment;
use crate::domain::{NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::{AppointmentStore, MAX_ASSIGNMENTS_PER_WRITE, Plan};

use super::{MemoryDb, State};

impl MemoryDb {
    /// Locks the state if the plan of `key` is at `version`.
    fn at_version(&self, key: &(NationalId, ServiceKey), version: u64, what: &'static str) -> Result<MutexGuard<'_, State>, PortError> {
        let s = self.state();
        if s.plan_versions.get(key).copied().unwrap_or(0) != version {
            return Err(PortError::Conflict { what });
        }
        Ok(s)
    }
}

impl AppointmentStore for MemoryDb {
    async fn plan(&self, citizen: &NationalId, service: &ServiceKey) -> Result<Plan, PortError> {
        let key = (citizen.clone(), service.clone());
        let s = self.state();
        Ok(Plan {
            assignments: s.plans.get(&key).map(|m| m.values().cloned().collect()).unwrap_or_default(),
            cancellations: s.cancellations.get(&key).map(|m| m.values().cloned().collect()).unwrap_or_default(),
            version: s.plan_versions.get(&key).copied().unwrap_or(0),
        })
    }

    async fn write_assignments(&self, citizen: &NationalId, service: &ServiceKey, version: u64, assignments: &[Assignment]) -> Result<(), PortError> {
        if assignments.len() > MAX_ASSIGNMENTS_PER_WRITE {
            return Err(PortError::permanent("write assignments", "a transaction holds at most 100 items"));
        }
        let key = (citizen.clone(), service.clone());
        let mut s = self.at_version(&key, version, "write assignments")?;
        let plan = s.plans.entry(key).or_default();
        for a in assignments {
            plan.insert(a.id.0.clone(), a.clone());
        }
        Ok(())
    }

    async fn replace_plan(&self, citizen: &NationalId, service: &ServiceKey, version: u64, plan: &[Assignment]) -> Result<(), PortError> {
        let key = (citizen.clone(), service.clone());
        let mut s = self.at_version(&key, version, "replace plan")?;
        s.plans.insert(key.clone(), plan.iter().map(|a| (a.id.0.clone(), a.clone())).collect());
        s.plan_versions.insert(key, version + 1);
        Ok(())
    }
}
