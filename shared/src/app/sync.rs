//! The nightly consent sync (R-CIT-3, R-ACT-4). Every invocation's work is bounded, whatever
//! the number of citizens:
//!
//! - the start phase records the run's activations and sends the first listing step;
//! - a listing step reads one page (at most 1000) of an activation's citizens, sends them as a
//!   chunk together with the listing's continuation (the next page, or the next activation),
//!   and moves the run's checkpoint on; the last step sets the run's chunk total;
//! - a chunk looks its citizens up in one HelsenorgeAktiv call (those another chunk of the run
//!   already wrote are skipped, so a citizen on several services is looked up once) and writes
//!   each citizen's new state at most once per run.
//!
//! When every chunk is done or failed, the activations are marked synced and the run's
//! summary is written. Resumable: a listing step that is repeated finds the checkpoint moved
//! and does nothing; a start the same night re-sends the step at the checkpoint (done chunks
//! are skipped); a crash in a chunk is retried by SQS; a chunk that keeps failing goes to the
//! sync dead-letter queue, is recorded and alerted, and the run goes on. A start after the run
//! finished does nothing.

use std::collections::HashMap;

use crate::domain::dead_letter::{Alert, RecordedError};
use crate::domain::sync::{SyncChunk, SyncListing, SyncRun, SyncWork, run_id_for};
use crate::domain::{CitizenRecord, NationalId};
use crate::error::PortError;
use crate::ports::{AktivClient, AlertSink, ChunkQueue, CitizenReader, Clock, DeadLetterLog, SyncStore, SyncUpdate};
use super::pipeline::{FailedRecord, ProcessError, each_record, error_chain, fail_record};

/// What the start phase did (the answer to `{"action":"start"}`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StartReport {
    /// The run.
    pub run_id: String,
    /// The activations the run covers.
    pub activations: u32,
    /// The listing step sent (where the listing starts or resumes); none when there was
    /// nothing to list.
    pub listing_step: Option<u32>,
    /// The run had already finished: nothing was sent.
    pub already_finished: bool,
}

/// What one chunk did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkReport {
    /// Looked up and written.
    Done {
        /// Citizens written.
        citizens: u64,
        /// Of which changed.
        changes: u64,
        /// This chunk completed the run.
        run_finished: bool,
    },
    /// Already done in this run (a resumed or repeated start).
    AlreadyDone,
    /// A listing step: sent a chunk of this many citizens (none for an empty page) and, unless
    /// it was the last step, the listing's continuation.
    Listed {
        /// Citizens in the chunk sent.
        citizens: usize,
        /// The listing ended with this step.
        last: bool,
    },
    /// A listing step the checkpoint had passed already (a duplicate): nothing done.
    StaleListing,
}

/// The consent-sync use case.
pub struct SyncService<S, R, Q, A, L, C, D> {
    /// Runs, chunks, citizens' states, activations.
    pub store: S,
    /// Reads citizens' current records.
    pub citizens: R,
    /// The work queue.
    pub queue: Q,
    /// HelsenorgeAktiv.
    pub aktiv: A,
    /// Alerts.
    pub alerts: L,
    /// Time.
    pub clock: C,
    /// Where failed chunk records are recorded (the same helper as every SQS function).
    pub dead_letters: D,
    /// The work queue's name, for those records.
    pub source_queue: String,
}

/// SQS tries a chunk this many times (the work queue's `maxReceiveCount`) before its
/// dead-letter queue; the last try that fails marks the chunk failed and alerts.
pub const MAX_RECEIVES: u32 = 3;

impl<S, R, Q, A, L, C, D> SyncService<S, R, Q, A, L, C, D>
where
    S: SyncStore,
    R: CitizenReader,
    Q: ChunkQueue,
    A: AktivClient,
    L: AlertSink,
    C: Clock,
    D: DeadLetterLog,
{
    /// The start phase: record the run's activations, send the listing's first step (or the
    /// step at the checkpoint, for a run started before). Bounded by the number of activations.
    pub async fn start(&self, run_id: Option<String>) -> Result<StartReport, PortError> {
        let now = self.clock.now();
        let run_id = run_id.unwrap_or_else(|| run_id_for(now));
        let run = self.store.begin_run(&run_id, now).await?;
        if run.finished_at.is_some() {
            tracing::info!(run = %run_id, "run already finished tonight; nothing to do");
            return Ok(StartReport { run_id, activations: 0, listing_step: None, already_finished: true });
        }
        let mut keys: Vec<_> = self.store.activations().await?.into_iter().map(|a| a.key).collect();
        keys.sort();
        let run = self.store.begin_listing(&run_id, &keys).await?;
        let activations = run.activations.len() as u32;
        let listing_step = match &run.next_listing {
            Some(step) => {
                self.queue.send(&[SyncWork::Listing(step.clone())]).await?;
                Some(step.step)
            }
            None => {
                // The listing ended before (or there is nothing to list): finish if complete.
                self.finish_if_complete(&run).await?;
                None
            }
        };
        tracing::info!(run = %run_id, activations, listing_step, "sync started");
        Ok(StartReport { run_id, activations, listing_step, already_finished: false })
    }

    /// One listing step: one page of citizens, sent as a chunk with the listing's continuation
    /// in one batch; then the checkpoint moves on (a repeated step finds it moved).
    pub async fn list(&self, step: &SyncListing) -> Result<ChunkReport, PortError> {
        // The run's state (begin_run only reads a run that exists, as every step's does).
        let run = self.store.begin_run(&step.run_id, self.clock.now()).await?;
        if run.next_listing.as_ref().map(|l| l.step) != Some(step.step) {
            return Ok(ChunkReport::StaleListing);
        }
        let (mut page, cursor) = match run.activations.get(step.activation as usize) {
            Some(service) => self.store.citizens_of(service, step.cursor.clone()).await?,
            // No activation at all: the listing ends with this step, and the run with it.
            None => (vec![], None),
        };
        page.dedup();
        let citizens = page.len();
        let mut chunk_no = step.chunk;
        let mut work = vec![];
        if !page.is_empty() {
            if !self.store.chunk_done(&step.run_id, chunk_no).await? {
                work.push(SyncWork::Chunk(SyncChunk { run_id: step.run_id.clone(), chunk: chunk_no, ids: page }));
            }
            chunk_no += 1;
        }
        let next = match cursor {
            Some(c) => Some((step.activation, Some(c))),
            None => ((step.activation as usize + 1) < run.activations.len()).then_some((step.activation + 1, None)),
        };
        let next = next.map(|(activation, cursor)| SyncListing {
            run_id: step.run_id.clone(),
            step: step.step + 1,
            activation,
            cursor,
            chunk: chunk_no,
        });
        work.extend(next.clone().map(SyncWork::Listing));
        if !work.is_empty() {
            self.queue.send(&work).await?;
        }
        let last = next.is_none();
        if let Some(run) = self.store.advance_listing(&step.run_id, step.step, next.as_ref(), chunk_no).await?
            && last
        {
            self.finish_if_complete(&run).await?;
        }
        tracing::info!(run = %step.run_id, step = step.step, citizens, last, "sync listing step");
        Ok(ChunkReport::Listed { citizens, last })
    }

    /// Whatever sits on the work queue: a chunk or a listing step.
    pub async fn work(&self, work: &SyncWork) -> Result<ChunkReport, PortError> {
        match work {
            SyncWork::Chunk(c) => self.chunk(c).await,
            SyncWork::Listing(l) => self.list(l).await,
        }
    }

    /// The chunk phase: one HelsenorgeAktiv call for the citizens this run has not written yet,
    /// each written at most once per run.
    pub async fn chunk(&self, c: &SyncChunk) -> Result<ChunkReport, PortError> {
        if self.store.chunk_done(&c.run_id, c.chunk).await? {
            return Ok(ChunkReport::AlreadyDone);
        }
        let current = self.citizens.citizens(&c.ids).await?;
        let todo: Vec<NationalId> =
            c.ids.iter().filter(|id| current.get(*id).and_then(|r| r.sync_run.as_deref()) != Some(c.run_id.as_str())).cloned().collect();
        let facts: HashMap<NationalId, _> =
            if todo.is_empty() { HashMap::new() } else { self.aktiv.lookup(&todo).await?.into_iter().collect() };
        let now = self.clock.now();
        let updates: Vec<SyncUpdate> = todo
            .iter()
            .map(|id| {
                let mut record = current.get(id).cloned().unwrap_or_else(|| CitizenRecord::new(id.clone()));
                // NHN leaving an id out means no consent for it (R-ICON-7).
                let changed = record.apply_sync(facts.get(id).copied().unwrap_or_default(), now);
                SyncUpdate { record, changed }
            })
            .collect();
        let (citizens, changes) = self.store.apply_sync(&c.run_id, &updates).await?;
        let run = self.store.finish_chunk(&c.run_id, c.chunk, false, (citizens, changes), now).await?;
        let run_finished = self.finish_if_complete(&run).await?;
        tracing::info!(run = %c.run_id, chunk = c.chunk, citizens, changes, "sync chunk done");
        Ok(ChunkReport::Done { citizens, changes, run_finished })
    }

    /// A chunk failed for the last time: record it, alert, and let the run go on.
    pub async fn chunk_failed(&self, c: &SyncChunk, error: &str) -> Result<(), PortError> {
        let now = self.clock.now();
        let error = RecordedError::scrub(error);
        tracing::error!(run = %c.run_id, chunk = c.chunk, citizens = c.ids.len(), error = %error, "sync chunk failed");
        self.alerts
            .send(&Alert::SyncChunkFailed {
                run_id: c.run_id.clone(),
                chunk: c.chunk,
                citizens: c.ids.len() as u32,
                error,
                at: now,
            })
            .await?;
        let run = self.store.finish_chunk(&c.run_id, c.chunk, true, (0, 0), now).await?;
        self.finish_if_complete(&run).await?;
        Ok(())
    }

    async fn finish_if_complete(&self, run: &SyncRun) -> Result<bool, PortError> {
        if run.complete() && run.finished_at.is_none() {
            let now = self.clock.now();
            self.mark_activations_synced(run, now).await?;
            self.store.finish_run(run, now).await?;
            tracing::info!(
                run = %run.run_id, citizens = run.citizens, changes = run.changes,
                failed_chunks = run.chunks_failed, "sync finished"
            );
            return Ok(true);
        }
        Ok(false)
    }

    /// R-ACT-4: each activation the run covered, as read now, is marked synced if the run
    /// started after it was activated. The write is conditional on the activation read: one
    /// activated again in between is read again (and then not marked, the run did not see it).
    async fn mark_activations_synced(&self, run: &SyncRun, at: jiff::Timestamp) -> Result<(), PortError> {
        let started = run.started_at.unwrap_or(at);
        for _attempt in 0..3 {
            let mut changed_meanwhile = false;
            for mut a in self.store.activations().await?.into_iter().filter(|a| run.activations.contains(&a.key)) {
                let seen = a.clone();
                if a.mark_synced(started, at) && !self.store.mark_synced(&seen, at).await? {
                    changed_meanwhile = true;
                }
            }
            if !changed_meanwhile {
                return Ok(());
            }
        }
        Err(PortError::transient("mark activations synced", "activations kept changing"))
    }

    /// Processes work records (chunks and listing steps) from the work queue, one at a time,
    /// through the shared per-record path ([`each_record`]: a span per record, a panic fails
    /// that record only); returns the SQS ids to retry. Every failed record is recorded through
    /// the shared helper with its error chain (R-DLQ-4).
    pub async fn handle_chunks(&self, records: &[super::RecordIn]) -> Vec<String> {
        let mut failed = vec![];
        for (r, result) in each_record(records, 1, |r| self.work_record(r)).await {
            if let Err(e) = result {
                let rec = FailedRecord {
                    message_id: &r.sqs_message_id,
                    source_queue: &self.source_queue,
                    kind: Some("sync-chunk".into()),
                    receive_count: r.receive_count,
                };
                fail_record(&self.dead_letters, &self.clock, rec, &e).await;
                failed.push(r.sqs_message_id.clone());
            }
        }
        failed
    }

    /// One work record. Neither a chunk nor a listing step: permanent (SQS redrive takes it to
    /// the sync dead-letter queue). A listing step is retried by SQS until it goes through (or
    /// is dead-lettered). A chunk's last try that fails is alerted and counted failed, and the
    /// run goes on.
    async fn work_record(&self, r: &super::RecordIn) -> Result<(), ProcessError> {
        let work = serde_json::from_str::<SyncWork>(&r.body)
            .map_err(|e| ProcessError::Unreadable(crate::domain::message::describe_json_error(&e)))?;
        match work {
            SyncWork::Listing(step) => {
                self.list(&step).await?;
            }
            SyncWork::Chunk(chunk) => match self.chunk(&chunk).await {
                Ok(_) => {}
                Err(e) if r.receive_count >= MAX_RECEIVES => self.chunk_failed(&chunk, &error_chain(&e)).await?,
                Err(e) => return Err(e.into()),
            },
        }
        Ok(())
    }
}
