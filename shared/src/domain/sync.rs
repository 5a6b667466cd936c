//! The nightly consent sync's units of work (R-CIT-3, R-ACT-4): a run per Oslo night; listing
//! steps that each read one page of a service's citizens and pass the listing's continuation
//! on, and chunks of at most 1000 citizens (one HelsenorgeAktiv call each). Every unit is
//! bounded, whatever the number of citizens.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{NationalId, ServiceKey};

/// At most this many citizens per chunk (HelsenorgeAktiv's limit per call).
pub const CHUNK_SIZE: usize = super::consent::AKTIV_MAX_IDS_PER_CALL;

/// The run id of a night: the Oslo date the run starts on (`2026-11-23`). A second start the
/// same night finds the same run and is harmless.
pub fn run_id_for(at: Timestamp) -> String {
    at.to_zoned_datetime(super::appointment::oslo()).date().to_string()
}

/// A chunk of citizens to sync, as it sits on the sync work queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncChunk {
    /// The run.
    pub run_id: String,
    /// Its number in the run (deterministic: the same enumeration gives the same chunks).
    pub chunk: u32,
    /// The citizens, at most [`CHUNK_SIZE`].
    pub ids: Vec<NationalId>,
}

/// One step of a run's listing, as it sits on the sync work queue and as the run's checkpoint:
/// read one page of the citizens of `run.activations[activation]` from `cursor`, send them as
/// chunk `chunk`, and pass the continuation on as step `step + 1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SyncListing {
    /// The run.
    pub run_id: String,
    /// The step's number in the run (the checkpoint moves from one step to the next once).
    pub step: u32,
    /// Which of the run's activations is being listed (index into [`SyncRun::activations`]).
    pub activation: u32,
    /// Where the listing of that activation's citizens continues (none: from the start).
    #[serde(default)]
    pub cursor: Option<String>,
    /// The number the next chunk gets.
    pub chunk: u32,
}

/// A message on the sync work queue: a chunk to look up, or a listing step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SyncWork {
    /// Look these citizens up and write their states.
    Chunk(SyncChunk),
    /// List the next page of citizens.
    Listing(SyncListing),
}

/// A run's state, kept in the operations table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncRun {
    /// The run.
    pub run_id: String,
    /// When it started.
    pub started_at: Option<Timestamp>,
    /// When it finished (all chunks done or failed).
    pub finished_at: Option<Timestamp>,
    /// Chunks enumerated (set when the start phase has sent them all).
    pub chunks_total: Option<u32>,
    /// Chunks done.
    pub chunks_done: u32,
    /// Chunks failed after retries.
    pub chunks_failed: u32,
    /// Citizens updated.
    pub citizens: u64,
    /// Citizens whose consent or activity changed.
    pub changes: u64,
    /// The activations the run covered (marked synced when it finishes, R-ACT-4).
    pub activations: Vec<ServiceKey>,
    /// The listing's checkpoint: the next step to do (none before the start phase and after
    /// the listing's end, when `chunks_total` is set).
    pub next_listing: Option<SyncListing>,
}

impl SyncRun {
    /// Every chunk is accounted for.
    pub fn complete(&self) -> bool {
        self.chunks_total.is_some_and(|t| self.chunks_done + self.chunks_failed >= t)
    }
}
