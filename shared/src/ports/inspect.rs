//! Inspection: reads only the admin tool and the tests make. The functions never take this
//! port; what they read goes through the ports of their use cases.

use std::future::Future;

use crate::domain::message::{InboxItem, JournalEntry};
use crate::domain::reply::OutboundMessage;
use crate::domain::{DepartmentCode, NationalId};
use crate::error::PortError;

/// What support and the tests look at: journals, inboxes, a citizen's replies.
pub trait Inspect: Send + Sync {
    /// The citizen's administrative journal, oldest first.
    fn journal(&self, citizen: &NationalId) -> impl Future<Output = Result<Vec<JournalEntry>, PortError>> + Send;

    /// A department's inbox, oldest first.
    fn inbox(&self, department: &DepartmentCode) -> impl Future<Output = Result<Vec<InboxItem>, PortError>> + Send;

    /// A citizen's outbound replies, newest first.
    fn replies_of(&self, citizen: &NationalId) -> impl Future<Output = Result<Vec<OutboundMessage>, PortError>> + Send;
}
