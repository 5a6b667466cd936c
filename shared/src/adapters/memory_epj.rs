//! In-memory adapters of the EPJ API's ports ([`crate::ports::epj`]), over a [`MemoryDb`] for
//! what it already holds (activations, citizens) and a state of their own for take-overs and
//! deactivation records. Same semantics as `adapters::aws::epj_store` (the first take-over
//! stands), checked by the same contract suite.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use super::memory::MemoryDb;
use crate::domain::activation::Deactivated;
use crate::domain::staff::TakeOver;
use crate::domain::{Activation, CitizenRecord, DepartmentCode, NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::epj::{ActivationAdmin, RecordCardStore, TakeOverStore};

/// What the EPJ adapters keep beside the [`MemoryDb`].
#[derive(Debug, Default)]
pub struct EpjState {
    /// Take-overs by (department, message id).
    pub take_overs: BTreeMap<(DepartmentCode, String), TakeOver>,
    /// Deactivations, in order.
    pub deactivations: Vec<Deactivated>,
}

/// The EPJ ports in memory.
#[derive(Debug, Clone, Default)]
pub struct MemoryEpj {
    /// The database shared with the other in-memory adapters.
    pub db: MemoryDb,
    state: Arc<Mutex<EpjState>>,
}

impl MemoryEpj {
    /// The EPJ ports over `db`.
    pub fn new(db: MemoryDb) -> Self {
        Self { db, state: Arc::default() }
    }

    /// Locks the EPJ state (for tests to inspect it).
    pub fn state(&self) -> MutexGuard<'_, EpjState> {
        // A panic while holding the lock only happens in a failing test; keep the data usable.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl TakeOverStore for MemoryEpj {
    async fn take_over(&self, t: &TakeOver) -> Result<TakeOver, PortError> {
        let mut s = self.state();
        Ok(s.take_overs.entry((t.department.clone(), t.message_id.clone())).or_insert_with(|| t.clone()).clone())
    }

    async fn taken_over(&self, department: &DepartmentCode) -> Result<Vec<TakeOver>, PortError> {
        Ok(self.state().take_overs.values().filter(|t| &t.department == department).cloned().collect())
    }
}

impl ActivationAdmin for MemoryEpj {
    async fn activation_list(&self) -> Result<Vec<Activation>, PortError> {
        let mut all: Vec<Activation> = self.db.state().activations.values().cloned().collect();
        all.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(all)
    }

    async fn deactivate(&self, d: &Deactivated) -> Result<bool, PortError> {
        let removed = self.db.state().activations.remove(&d.key).is_some();
        self.state().deactivations.push(d.clone());
        Ok(removed)
    }
}

impl RecordCardStore for MemoryEpj {
    async fn put_record_card(&self, citizen: &NationalId, card: &BTreeSet<ServiceKey>) -> Result<(), PortError> {
        let mut s = self.db.state();
        let record = s.citizens.entry(citizen.clone()).or_insert_with(|| CitizenRecord::new(citizen.clone()));
        record.record_card = card.iter().cloned().collect();
        Ok(())
    }
}
