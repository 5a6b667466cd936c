//! The claim check's body store in memory (`ports::bodies`), for use-case tests and the
//! contract suite; can be switched to fail (S3 down).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::domain::claim_check::ClaimRef;
use crate::error::PortError;
use crate::ports::bodies::BodyStore;

/// Objects by key in one named bucket.
#[derive(Debug, Clone, Default)]
pub struct MemoryBodies {
    bucket: String,
    objects: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    down: Arc<AtomicBool>,
}

impl MemoryBodies {
    /// An empty store calling itself `bucket`.
    pub fn new(bucket: impl Into<String>) -> Self {
        Self { bucket: bucket.into(), ..Self::default() }
    }

    /// Every later call fails transiently (`true`) or works again.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }

    /// How many objects it holds.
    pub fn len(&self) -> usize {
        self.objects.lock().map(|o| o.len()).unwrap_or_default()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn check(&self, what: &'static str) -> Result<(), PortError> {
        if self.down.load(Ordering::SeqCst) { Err(PortError::transient(what, "switched off by the test")) } else { Ok(()) }
    }
}

impl BodyStore for MemoryBodies {
    async fn put(&self, key: &str, body: &[u8]) -> Result<ClaimRef, PortError> {
        self.check("store body")?;
        let mut objects = self.objects.lock().map_err(|_| PortError::transient("store body", "lock poisoned"))?;
        objects.insert(key.to_string(), body.to_vec());
        Ok(ClaimRef { bucket: self.bucket.clone(), key: key.to_string() })
    }

    async fn get(&self, claim: &ClaimRef) -> Result<Vec<u8>, PortError> {
        self.check("read body")?;
        let objects = self.objects.lock().map_err(|_| PortError::transient("read body", "lock poisoned"))?;
        match objects.get(&claim.key) {
            Some(body) if claim.bucket == self.bucket => Ok(body.clone()),
            _ => Err(PortError::permanent("read body", format!("no object at {claim}"))),
        }
    }
}
