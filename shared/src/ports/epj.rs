//! Ports of the EPJ API (`app::epj_api`) beyond the message flow's: take-overs of inbox items
//! (R-ACC-3), the activation list and deactivation (R-ACT-1..4), and record cards pushed by the
//! EPJ. Each has an in-memory adapter (`adapters::memory_epj`) and a DynamoDB one
//! (`adapters::aws::epj_store`), checked by the same contract suite.

use std::collections::BTreeSet;
use std::future::Future;

use crate::domain::activation::Deactivated;
use crate::domain::staff::TakeOver;
use crate::domain::{Activation, DepartmentCode, NationalId, ServiceKey};
use crate::error::PortError;

/// Take-overs of department inbox items (R-ACC-3).
pub trait TakeOverStore: Send + Sync {
    /// Records `take_over` unless the item was taken over before; returns the take-over that
    /// stands (the first one): idempotent, and a second staff member learns who came first.
    fn take_over(&self, take_over: &TakeOver) -> impl Future<Output = Result<TakeOver, PortError>> + Send;

    /// The take-overs of a department's inbox items.
    fn taken_over(&self, department: &DepartmentCode) -> impl Future<Output = Result<Vec<TakeOver>, PortError>> + Send;
}

/// Reading and removing activations (writing one is [`crate::ports::ActivationStore`]).
pub trait ActivationAdmin: Send + Sync {
    /// Every activation, with its sync state (R-ACT-4).
    fn activation_list(&self) -> impl Future<Output = Result<Vec<Activation>, PortError>> + Send;

    /// Removes the activation of `deactivated.key` and keeps who removed it and when; false
    /// when none was stored (the record is kept either way).
    fn deactivate(&self, deactivated: &Deactivated) -> impl Future<Output = Result<bool, PortError>> + Send;
}

/// Record cards as the EPJ pushes them.
pub trait RecordCardStore: Send + Sync {
    /// Replaces the citizen's record card (the (department, service type) pairs they receive),
    /// leaving their consent state as consent-sync wrote it.
    fn put_record_card(
        &self,
        citizen: &NationalId,
        card: &BTreeSet<ServiceKey>,
    ) -> impl Future<Output = Result<(), PortError>> + Send;
}
