//! The HER-id directory in memory: the EPJ data's `herIds` list (tests, the bench, and a
//! function that loads the list at start-up).

use crate::domain::ServiceKey;
use crate::error::PortError;
use crate::ports::{HerDirectory, HerEntry};

/// A fixed list of HER-ids.
#[derive(Debug, Clone, Default)]
pub struct MemoryHerDirectory {
    /// The entries.
    pub entries: Vec<HerEntry>,
}

impl HerDirectory for MemoryHerDirectory {
    async fn service_of(&self, her_id: &str) -> Result<Option<ServiceKey>, PortError> {
        Ok(self.entries.iter().find(|e| e.her_id == her_id).map(|e| e.service.clone()))
    }

    async fn her_of(&self, service: &ServiceKey) -> Result<Option<HerEntry>, PortError> {
        Ok(self.entries.iter().find(|e| &e.service == service).cloned())
    }
}

/// How long a HER-id directory answer is reused within one Lambda instance.
pub const HER_CACHE_TTL: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);
/// At most this many answers are kept; a full cache starts over.
const HER_CACHE_MAX: usize = 1024;

type Cached<T> = std::sync::Arc<std::sync::Mutex<std::collections::HashMap<String, (jiff::Timestamp, T)>>>;

/// The directory read through a small in-process cache: the directory is EPJ data that
/// changes when the EPJ data is loaded, while every inbound message and every reply looks its
/// HER-id up. Without it, routing would add a third DynamoDB call to each message's path (the
/// gate's read and the delivery's write are the other two). An answer, found or not, is reused
/// for [`HER_CACHE_TTL`], so a newly loaded HER-id routes within a minute. Clones share the cache.
#[derive(Clone)]
pub struct CachedHerDirectory<R, C> {
    inner: R,
    clock: C,
    services: Cached<Option<ServiceKey>>,
    hers: Cached<Option<HerEntry>>,
}

impl<R: HerDirectory, C: crate::ports::Clock> CachedHerDirectory<R, C> {
    /// Wraps a directory.
    pub fn new(inner: R, clock: C) -> Self {
        Self { inner, clock, services: Default::default(), hers: Default::default() }
    }

    fn fresh<T: Clone>(&self, cache: &Cached<T>, key: &str) -> Option<T> {
        let now = self.clock.now();
        let map = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(key).filter(|(at, _)| now.duration_since(*at) < HER_CACHE_TTL).map(|(_, v)| v.clone())
    }

    fn keep<T>(&self, cache: &Cached<T>, key: String, value: T) {
        let mut map = cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if map.len() >= HER_CACHE_MAX {
            map.clear();
        }
        map.insert(key, (self.clock.now(), value));
    }
}

impl<R: HerDirectory, C: crate::ports::Clock> HerDirectory for CachedHerDirectory<R, C> {
    async fn service_of(&self, her_id: &str) -> Result<Option<ServiceKey>, PortError> {
        if let Some(hit) = self.fresh(&self.services, her_id) {
            return Ok(hit);
        }
        let found = self.inner.service_of(her_id).await?;
        self.keep(&self.services, her_id.to_string(), found.clone());
        Ok(found)
    }

    async fn her_of(&self, service: &ServiceKey) -> Result<Option<HerEntry>, PortError> {
        let key = format!("{}/{}", service.department, service.service_type);
        if let Some(hit) = self.fresh(&self.hers, &key) {
            return Ok(hit);
        }
        let found = self.inner.her_of(service).await?;
        self.keep(&self.hers, key, found.clone());
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;
    use crate::adapters::memory::ManualClock;

    struct Counting(MemoryHerDirectory, AtomicU32);

    impl HerDirectory for Counting {
        async fn service_of(&self, her_id: &str) -> Result<Option<ServiceKey>, PortError> {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.service_of(her_id).await
        }
        async fn her_of(&self, service: &ServiceKey) -> Result<Option<HerEntry>, PortError> {
            self.1.fetch_add(1, Ordering::SeqCst);
            self.0.her_of(service).await
        }
    }

    #[tokio::test]
    async fn answers_are_reused_for_the_ttl_then_read_again() {
        let clock = ManualClock::at(crate::fixtures::ts("2026-03-01T10:00:00Z"));
        let inner = Counting(MemoryHerDirectory { entries: vec![crate::fixtures::her_entry()] }, AtomicU32::new(0));
        let d = CachedHerDirectory::new(inner, clock.clone());
        let service = crate::fixtures::service();
        for _ in 0..3 {
            assert_eq!(d.service_of("80115").await.unwrap(), Some(service.clone()));
            assert_eq!(d.service_of("99999").await.unwrap(), None, "not found is an answer too");
            assert_eq!(d.her_of(&service).await.unwrap().map(|e| e.her_id), Some("80115".to_string()));
        }
        assert_eq!(d.inner.1.load(Ordering::SeqCst), 3, "one read per key");
        clock.advance(HER_CACHE_TTL);
        assert_eq!(d.service_of("80115").await.unwrap(), Some(service));
        assert_eq!(d.inner.1.load(Ordering::SeqCst), 4, "read again after the TTL");
    }
}
