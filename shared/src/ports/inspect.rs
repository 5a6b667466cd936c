//! Inspection: reads of journals, inboxes and replies. The message-flow functions never take
//! this port; the EPJ API serves these reads to staff, each gated by its staff rule
//! (R-ACC-1/2 in `domain::staff`), and the admin tool and the tests read them too.

use std::future::Future;

use crate::domain::message::{InboxItem, JournalEntry};
use crate::domain::reply::OutboundMessage;
use crate::domain::{DepartmentCode, NationalId};
use crate::error::PortError;

/// What staff (through the EPJ API), support and the tests look at: journals, inboxes, a
/// citizen's replies.
pub trait Inspect: Send + Sync {
    /// The citizen's administrative journal, oldest first.
    fn journal(&self, citizen: &NationalId) -> impl Future<Output = Result<Vec<JournalEntry>, PortError>> + Send;

    /// A department's inbox, oldest first.
    fn inbox(&self, department: &DepartmentCode) -> impl Future<Output = Result<Vec<InboxItem>, PortError>> + Send;

    /// A citizen's outbound replies, newest first.
    fn replies_of(&self, citizen: &NationalId) -> impl Future<Output = Result<Vec<OutboundMessage>, PortError>> + Send;
}
