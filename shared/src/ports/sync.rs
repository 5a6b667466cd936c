//! The consent sync's ports (consent-sync, R-CIT-1..6, R-ICON-1..7): NHN's HelsenorgeAktiv
//! check, the citizens' records, activations, the sync run's bookkeeping and its work queue.

use std::collections::HashMap;
use std::future::Future;

use jiff::Timestamp;

use crate::domain::consent::AktivFacts;
use crate::domain::sync::{SyncListing, SyncRun, SyncWork};
use crate::domain::{Activated, Activation, CitizenRecord, NationalId, ServiceKey};
use crate::error::PortError;

/// NHN's HelsenorgeAktiv check (R-ICON-1..7, R-CIT-3).
pub trait AktivClient: Send + Sync {
    /// The facts for up to 1000 ids in one call; an id NHN does not answer for is left out.
    fn lookup(&self, ids: &[NationalId]) -> impl Future<Output = Result<Vec<(NationalId, AktivFacts)>, PortError>> + Send;
}

/// Reads citizens' records (consent state and history).
pub trait CitizenReader: Send + Sync {
    /// The records of those of `ids` that are known, as the record keeps them (the sync's
    /// read: `last_message_at` may be missing where a store derives it from the journal).
    fn citizens(&self, ids: &[NationalId]) -> impl Future<Output = Result<HashMap<NationalId, CitizenRecord>, PortError>> + Send;

    /// The same records with their R-ICON-1 history whole: `last_message_at` is the newest
    /// journal entry's time where the store keeps the history in the journal (DynamoDB: a
    /// message writes no citizen item, #16 item 8). The status icon's read.
    fn citizens_with_history(
        &self,
        ids: &[NationalId],
    ) -> impl Future<Output = Result<HashMap<NationalId, CitizenRecord>, PortError>> + Send {
        self.citizens(ids)
    }
}

/// One citizen's new state from a sync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncUpdate {
    /// The record after [`CitizenRecord::apply_sync`].
    pub record: CitizenRecord,
    /// Whether consent or activity changed.
    pub changed: bool,
}

/// Where activations are written (R-ACT-2/3): the only write takes what the rule admitted,
/// and never carries a sync time (R-ACT-4: only consent-sync's [`SyncStore::mark_synced`]
/// sets it; a re-activation clears it).
pub trait ActivationStore: Send + Sync {
    /// Stores the activation, replacing what was stored for its key.
    fn activate(&self, activated: &Activated) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// What the consent sync reads and writes.
pub trait SyncStore: Send + Sync {
    /// Every activation (few: one per activated department and service type).
    fn activations(&self) -> impl Future<Output = Result<Vec<Activation>, PortError>> + Send;

    /// One page of the citizens whose record card holds `service`, in a stable order, and the
    /// cursor of the next page.
    fn citizens_of(
        &self,
        service: &ServiceKey,
        cursor: Option<String>,
    ) -> impl Future<Output = Result<(Vec<NationalId>, Option<String>), PortError>> + Send;

    /// Starts run `run_id` if it does not exist; returns its state either way.
    fn begin_run(&self, run_id: &str, at: jiff::Timestamp) -> impl Future<Output = Result<SyncRun, PortError>> + Send;

    /// Gives a run that has none yet its activations and its first listing step (both kept
    /// if already set: a restarted start resumes the listing); returns the run's state.
    fn begin_listing(&self, run_id: &str, activations: &[ServiceKey]) -> impl Future<Output = Result<SyncRun, PortError>> + Send;

    /// Moves the listing's checkpoint from step `from` (only if it is still there) to `next`,
    /// or, with `next` none, ends the listing with `total` chunks. The run's state after, or
    /// none when the checkpoint had moved already (a duplicate step).
    fn advance_listing(
        &self,
        run_id: &str,
        from: u32,
        next: Option<&SyncListing>,
        total: u32,
    ) -> impl Future<Output = Result<Option<SyncRun>, PortError>> + Send;

    /// Whether a chunk is already done (a resumed run skips it).
    fn chunk_done(&self, run_id: &str, chunk: u32) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Writes the citizens' new states, each at most once per run (a second write in the same
    /// run is skipped). Returns how many were written.
    fn apply_sync(&self, run_id: &str, updates: &[SyncUpdate]) -> impl Future<Output = Result<(u64, u64), PortError>> + Send;

    /// Marks a chunk done (or failed) at `at` (the use case's clock, which also dates the
    /// marker's expiry) and adds its counts, once per chunk; returns the run's state after.
    fn finish_chunk(
        &self,
        run_id: &str,
        chunk: u32,
        failed: bool,
        counts: (u64, u64),
        at: Timestamp,
    ) -> impl Future<Output = Result<SyncRun, PortError>> + Send;

    /// R-ACT-4: sets `synced_at` on the activation as `seen` was read, only if it has not been
    /// activated again since (its `activated_at` unchanged); false when it had been.
    fn mark_synced(&self, seen: &Activation, synced_at: Timestamp) -> impl Future<Output = Result<bool, PortError>> + Send;

    /// Gives the run its finish time, once.
    fn finish_run(&self, run: &SyncRun, at: Timestamp) -> impl Future<Output = Result<(), PortError>> + Send;
}

/// The sync work queue.
pub trait ChunkQueue: Send + Sync {
    /// Sends work items (batched).
    fn send(&self, work: &[SyncWork]) -> impl Future<Output = Result<(), PortError>> + Send;
}
