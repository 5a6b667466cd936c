//! The claim check's body store (`domain::claim_check`): large message bodies as objects, the
//! queues and stored answers carry the reference. Adapters: `adapters::memory_bodies` (tests)
//! and `adapters::aws::s3_bodies` (S3, SSE); contract suite `tests/claim_check.rs`.

use std::future::Future;

use crate::domain::claim_check::ClaimRef;
use crate::error::PortError;

/// Keeps and returns bodies by reference.
pub trait BodyStore: Send + Sync {
    /// Stores `body` under `key` (overwriting: a resend stores the same bytes) and returns its
    /// reference once the store has it.
    fn put(&self, key: &str, body: &[u8]) -> impl Future<Output = Result<ClaimRef, PortError>> + Send;
    /// The body behind `claim`; a reference to nothing (expired, another bucket) is permanent.
    fn get(&self, claim: &ClaimRef) -> impl Future<Output = Result<Vec<u8>, PortError>> + Send;
}
