//! The nightly consent sync (R-CIT-3, R-ACT-4). The start phase walks every activation's
//! citizens page by page, keeps each distinct citizen once, and sends chunks of at most 1000 to
//! the sync work queue; the chunk phase looks a chunk up in one HelsenorgeAktiv call and writes
//! each citizen's new state at most once per run. When every chunk is done or failed, the
//! activations are marked synced and the run's summary is written.
//!
//! Resumable: a crash in the start phase is repaired by starting again (the same enumeration
//! gives the same chunks; done chunks are skipped); a crash in a chunk is retried by SQS; a
//! chunk that keeps failing goes to the sync dead-letter queue, is recorded and alerted, and
//! the rest of the run goes on. A second run the same night finds the finished run: harmless.

use std::collections::{HashMap, HashSet};

use crate::domain::dead_letter::{Alert, RecordedError};
use crate::domain::sync::{CHUNK_SIZE, SyncChunk, SyncRun, run_id_for};
use crate::domain::{CitizenRecord, NationalId};
use crate::error::{PortError, Retryable};
use crate::ports::{AktivClient, AlertSink, ChunkQueue, CitizenReader, Clock, DeadLetterLog, SyncStore, SyncUpdate};
use super::pipeline::{FailedRecord, record_failure};

/// What the start phase did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartReport {
    /// The run.
    pub run_id: String,
    /// Chunks sent.
    pub chunks: u32,
    /// Distinct citizens in them.
    pub citizens: u64,
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

/// A compact key for the set of citizens seen in a run (8 bytes each: 100,000 citizens take
/// under 2 MB, while every page of ids is streamed).
fn compact(id: &NationalId) -> u64 {
    id.expose().parse().unwrap_or_default()
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
    /// The start phase: enumerate, dedupe, send chunks.
    pub async fn start(&self, run_id: Option<String>) -> Result<StartReport, PortError> {
        let now = self.clock.now();
        let run_id = run_id.unwrap_or_else(|| run_id_for(now));
        let run = self.store.begin_run(&run_id, now).await?;
        if run.finished_at.is_some() {
            tracing::info!(run = %run_id, "run already finished tonight; nothing to do");
            return Ok(StartReport { run_id, chunks: 0, citizens: 0, already_finished: true });
        }
        let mut activations = self.store.activations().await?;
        activations.sort_by(|a, b| a.key.cmp(&b.key));
        let mut seen: HashSet<u64> = HashSet::new();
        let mut chunk: Vec<NationalId> = Vec::with_capacity(CHUNK_SIZE);
        let mut outbox: Vec<SyncChunk> = vec![];
        let mut chunk_no = 0u32;
        let mut citizens = 0u64;
        for a in &activations {
            let mut cursor = None;
            loop {
                let (page, next) = self.store.citizens_of(&a.key, cursor).await?;
                for id in page {
                    if seen.insert(compact(&id)) {
                        citizens += 1;
                        chunk.push(id);
                        if chunk.len() == CHUNK_SIZE {
                            let c = SyncChunk { run_id: run_id.clone(), chunk: chunk_no, ids: std::mem::take(&mut chunk) };
                            self.queue_unless_done(c, &mut outbox).await?;
                            chunk_no += 1;
                        }
                    }
                }
                if outbox.len() >= 10 {
                    self.queue.send(&outbox).await?;
                    outbox.clear();
                }
                match next {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
        }
        if !chunk.is_empty() {
            self.queue_unless_done(SyncChunk { run_id: run_id.clone(), chunk: chunk_no, ids: chunk }, &mut outbox).await?;
            chunk_no += 1;
        }
        self.queue.send(&outbox).await?;
        let keys: Vec<_> = activations.iter().map(|a| a.key.clone()).collect();
        let run = self.store.set_total(&run_id, chunk_no, &keys).await?;
        if run.complete() {
            // No citizens at all (or everything already done): finish now.
            self.store.finish_run(&run, self.clock.now()).await?;
        }
        tracing::info!(run = %run_id, chunks = chunk_no, citizens, activations = keys.len(), "sync started");
        Ok(StartReport { run_id, chunks: chunk_no, citizens, already_finished: false })
    }

    /// A resumed start sends only the chunks not done yet (the checkpoint is the set of done
    /// chunks; the enumeration is deterministic, so chunk numbers match).
    async fn queue_unless_done(&self, c: SyncChunk, outbox: &mut Vec<SyncChunk>) -> Result<(), PortError> {
        if !self.store.chunk_done(&c.run_id, c.chunk).await? {
            outbox.push(c);
        }
        Ok(())
    }

    /// The chunk phase: one HelsenorgeAktiv call, each citizen written at most once per run.
    pub async fn chunk(&self, c: &SyncChunk) -> Result<ChunkReport, PortError> {
        if self.store.chunk_done(&c.run_id, c.chunk).await? {
            return Ok(ChunkReport::AlreadyDone);
        }
        let facts: HashMap<NationalId, _> = self.aktiv.lookup(&c.ids).await?.into_iter().collect();
        let current = self.citizens.citizens(&c.ids).await?;
        let now = self.clock.now();
        let updates: Vec<SyncUpdate> = c
            .ids
            .iter()
            .map(|id| {
                let mut record = current.get(id).cloned().unwrap_or_else(|| CitizenRecord::new(id.clone()));
                // NHN leaving an id out means no consent for it (R-ICON-7).
                let changed = record.apply_sync(facts.get(id).copied().unwrap_or_default(), now);
                SyncUpdate { record, changed }
            })
            .collect();
        let (citizens, changes) = self.store.apply_sync(&c.run_id, &updates).await?;
        let run = self.store.finish_chunk(&c.run_id, c.chunk, false, citizens, changes).await?;
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
        let run = self.store.finish_chunk(&c.run_id, c.chunk, true, 0, 0).await?;
        self.finish_if_complete(&run).await?;
        Ok(())
    }

    async fn finish_if_complete(&self, run: &SyncRun) -> Result<bool, PortError> {
        if run.complete() && run.finished_at.is_none() {
            self.store.finish_run(run, self.clock.now()).await?;
            tracing::info!(
                run = %run.run_id, citizens = run.citizens, changes = run.changes,
                failed_chunks = run.chunks_failed, "sync finished"
            );
            return Ok(true);
        }
        Ok(false)
    }

    /// Processes chunk records from the work queue; returns the SQS ids to retry. Every failed
    /// record is recorded through the shared helper (R-DLQ-4).
    pub async fn handle_chunks(&self, records: &[super::RecordIn]) -> Vec<String> {
        let mut failed = vec![];
        for r in records {
            let span = tracing::info_span!("chunk", message_id = %r.sqs_message_id, receive_count = r.receive_count);
            let _enter = span.enter();
            let outcome = match serde_json::from_str::<SyncChunk>(&r.body) {
                // Not a chunk: SQS redrive takes it to the sync dead-letter queue.
                Err(e) => Err((false, crate::domain::message::describe_json_error(&e))),
                Ok(chunk) => match self.chunk(&chunk).await {
                    Ok(_) => Ok(()),
                    Err(e) if r.receive_count >= MAX_RECEIVES => {
                        // The last try: alert, count it failed, let the run go on.
                        match self.chunk_failed(&chunk, &e.to_string()).await {
                            Ok(()) => Ok(()),
                            Err(e2) => Err((e2.is_retryable(), e2.to_string())),
                        }
                    }
                    Err(e) => Err((e.is_retryable(), e.to_string())),
                },
            };
            if let Err((retryable, error)) = outcome {
                tracing::warn!(retryable, error = %RecordedError::scrub(&error), "sync chunk failed");
                let rec = FailedRecord {
                    message_id: &r.sqs_message_id,
                    source_queue: &self.source_queue,
                    kind: Some("sync-chunk".into()),
                    receive_count: r.receive_count,
                };
                if let Err(e) = record_failure(&self.dead_letters, &self.clock, rec, retryable, &error).await {
                    tracing::error!(error = %RecordedError::scrub(&e.to_string()), "could not record the failure");
                }
                failed.push(r.sqs_message_id.clone());
            }
        }
        failed
    }
}
