//! consent-sync's ports: the fake HelsenorgeAktiv, the citizens' reads, the sync store and
//! the work queue.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::domain::consent::AktivFacts;
use crate::domain::sync::{SyncListing, SyncRun, SyncWork};
use crate::domain::{Activation, CitizenRecord, NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::{AktivClient, ChunkQueue, CitizenReader, SyncStore, SyncUpdate};

use super::{AktivMode, MemoryDb};

impl AktivClient for MemoryDb {
    async fn lookup(&self, ids: &[NationalId]) -> Result<Vec<(NationalId, AktivFacts)>, PortError> {
        let mode = {
            let mut s = self.state();
            s.aktiv_calls.push(ids.len());
            s.aktiv_mode
        };
        match mode {
            AktivMode::Normal => {
                let s = self.state();
                Ok(ids.iter().filter_map(|id| s.aktiv.get(id).map(|f| (id.clone(), *f))).collect())
            }
            AktivMode::Fail => Err(PortError::transient("HelsenorgeAktiv", "503 Service Unavailable")),
            AktivMode::Hang => std::future::pending().await,
        }
    }
}

impl CitizenReader for MemoryDb {
    async fn citizens(&self, ids: &[NationalId]) -> Result<HashMap<NationalId, CitizenRecord>, PortError> {
        let s = self.state();
        Ok(ids.iter().filter_map(|id| s.citizens.get(id).map(|c| (id.clone(), c.clone()))).collect())
    }
}

impl SyncStore for MemoryDb {
    async fn activations(&self) -> Result<Vec<Activation>, PortError> {
        Ok(self.state().activations.values().cloned().collect())
    }

    async fn citizens_of(&self, service: &ServiceKey, cursor: Option<String>) -> Result<(Vec<NationalId>, Option<String>), PortError> {
        let s = self.state();
        let mut ids: Vec<NationalId> =
            s.citizens.values().filter(|c| c.record_card.contains(service)).map(|c| c.citizen.clone()).collect();
        ids.sort();
        let start: usize = cursor.and_then(|c| c.parse().ok()).unwrap_or(0);
        let page: Vec<NationalId> = ids.iter().skip(start).take(1000).cloned().collect();
        let next = (start + page.len() < ids.len()).then(|| (start + page.len()).to_string());
        Ok((page, next))
    }

    async fn begin_run(&self, run_id: &str, at: Timestamp) -> Result<SyncRun, PortError> {
        let mut s = self.state();
        let run = s.sync_runs.entry(run_id.to_string()).or_insert_with(|| SyncRun {
            run_id: run_id.to_string(),
            started_at: Some(at),
            ..SyncRun::default()
        });
        Ok(run.clone())
    }

    async fn begin_listing(&self, run_id: &str, activations: &[ServiceKey]) -> Result<SyncRun, PortError> {
        let mut s = self.state();
        let run = s.sync_runs.get_mut(run_id).ok_or_else(|| PortError::permanent("begin listing", "no such run"))?;
        if run.activations.is_empty() && run.next_listing.is_none() && run.chunks_total.is_none() {
            run.activations = activations.to_vec();
            run.next_listing = Some(SyncListing { run_id: run_id.to_string(), ..SyncListing::default() });
        }
        Ok(run.clone())
    }

    async fn advance_listing(&self, run_id: &str, from: u32, next: Option<&SyncListing>, total: u32) -> Result<Option<SyncRun>, PortError> {
        let mut s = self.state();
        let run = s.sync_runs.get_mut(run_id).ok_or_else(|| PortError::permanent("advance listing", "no such run"))?;
        if run.next_listing.as_ref().map(|l| l.step) != Some(from) {
            return Ok(None);
        }
        run.next_listing = next.cloned();
        if next.is_none() {
            run.chunks_total = Some(total);
        }
        Ok(Some(run.clone()))
    }

    async fn chunk_done(&self, run_id: &str, chunk: u32) -> Result<bool, PortError> {
        Ok(self.state().sync_chunks.contains_key(&(run_id.to_string(), chunk)))
    }

    async fn apply_sync(&self, run_id: &str, updates: &[SyncUpdate]) -> Result<(u64, u64), PortError> {
        let mut s = self.state();
        let (mut written, mut changes) = (0, 0);
        for u in updates {
            let id = &u.record.citizen;
            if s.synced_in.get(id).map(String::as_str) == Some(run_id) {
                continue; // already written in this run
            }
            s.synced_in.insert(id.clone(), run_id.to_string());
            let rec = s.citizens.entry(id.clone()).or_insert_with(|| u.record.clone());
            rec.sync_run = Some(run_id.to_string());
            rec.aktiv = u.record.aktiv;
            rec.synced_at = u.record.synced_at;
            rec.consent_first_given_at = u.record.consent_first_given_at;
            rec.consent_withdrawn_at = u.record.consent_withdrawn_at;
            written += 1;
            changes += u64::from(u.changed);
        }
        Ok((written, changes))
    }

    async fn finish_chunk(&self, run_id: &str, chunk: u32, failed: bool, counts: (u64, u64), at: Timestamp) -> Result<SyncRun, PortError> {
        let (citizens, changes) = counts;
        let mut s = self.state();
        let first = match s.sync_chunks.entry((run_id.to_string(), chunk)) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(at);
                true
            }
        };
        let run = s.sync_runs.get_mut(run_id).ok_or_else(|| PortError::permanent("finish chunk", "no such run"))?;
        if first {
            if failed {
                run.chunks_failed += 1;
            } else {
                run.chunks_done += 1;
            }
            run.citizens += citizens;
            run.changes += changes;
        }
        Ok(run.clone())
    }

    async fn mark_synced(&self, seen: &Activation, synced_at: Timestamp) -> Result<bool, PortError> {
        let mut s = self.state();
        match s.activations.get_mut(&seen.key) {
            Some(a) if a.activated_at == seen.activated_at => {
                a.synced_at = Some(synced_at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn finish_run(&self, run: &SyncRun, at: Timestamp) -> Result<(), PortError> {
        let mut s = self.state();
        if let Some(r) = s.sync_runs.get_mut(&run.run_id) {
            r.finished_at.get_or_insert(at);
        }
        Ok(())
    }
}

impl ChunkQueue for MemoryDb {
    async fn send(&self, work: &[SyncWork]) -> Result<(), PortError> {
        self.state().sync_queue.extend(work.iter().cloned());
        Ok(())
    }
}
