//! Seeding: the writes only the admin tool's EPJ data load (and the tests) make. The functions
//! never take this port; their writes go through the ports of their use cases.

use std::future::Future;

use crate::domain::CitizenRecord;
use crate::domain::reply::OutboundMessage;
use crate::error::PortError;

use super::HerEntry;

/// Writes EPJ data helsedialog reads but does not own.
pub trait Seed: Send + Sync {
    /// Stores citizens' states and record cards.
    fn put_citizens(&self, citizens: &[CitizenRecord]) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Stores an outbound reply as it is (normally written by outbound-reply).
    fn put_outbound(&self, outbound: &OutboundMessage) -> impl Future<Output = Result<(), PortError>> + Send;

    /// Stores one entry of the HER-id directory.
    fn put_her(&self, entry: &HerEntry) -> impl Future<Output = Result<(), PortError>> + Send;
}
