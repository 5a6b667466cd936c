//! What lands in the citizen's administrative journal and the department inbox (R-IN-1).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::consent::Sender;
use super::national_id::NationalId;
use super::masked::masked_debug;
use super::org::{DepartmentCode, ServiceKey};

/// Who wrote a journal entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "kebab-case")]
pub enum Author {
    /// The citizen.
    Citizen,
    /// A representative for the citizen (R-CIT-4: journaled on the citizen, with who wrote it).
    Representative {
        /// The representative.
        representative: NationalId,
    },
    /// A staff member (EPJ staff id).
    #[serde(rename_all = "camelCase")]
    Staff {
        /// Staff id.
        staff_id: String,
    },
    /// helsedialog itself (return messages, notices).
    System,
}

impl From<Sender> for Author {
    fn from(s: Sender) -> Self {
        match s {
            Sender::Citizen => Self::Citizen,
            Sender::Representative { representative } => Self::Representative { representative },
        }
    }
}

/// What a journal entry or inbox item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntryKind {
    /// A dialog message from the citizen.
    DialogMessage,
    /// A cancellation of one dated appointment (R-APT-2).
    Cancellation,
    /// A cancellation of a period: the service pauses (R-APT-4).
    PeriodCancellation,
    /// The return message for a refused cancellation (R-APT-3).
    ReturnMessage,
    /// A reply from staff.
    Reply,
    /// A kept cancellation whose assignment the EPJ moved when it re-dated the plan: staff
    /// must decide whether it still holds (R-APT-5).
    RedateFlag,
}

/// An entry in the citizen's administrative journal (R-IN-1).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// The message id.
    pub message_id: String,
    /// Journaled on this citizen (never on a representative, R-CIT-4).
    pub citizen: NationalId,
    /// The service.
    pub service: ServiceKey,
    /// What it is.
    pub kind: EntryKind,
    /// Who wrote it.
    pub author: Author,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// Always `AJ`.
    pub grading: String,
    /// When.
    pub at: Timestamp,
}

impl JournalEntry {
    /// Who wrote it, for display (a representative's id masked).
    pub fn author_label(&self) -> String {
        match &self.author {
            Author::Citizen => "citizen".into(),
            Author::Representative { representative } => format!("representative {representative}"),
            Author::Staff { staff_id } => format!("staff {staff_id}"),
            Author::System => "system".into(),
        }
    }
}

/// An item in a department's inbox, graded `AJ` (R-IN-1). Follow-up is not tied to one person.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InboxItem {
    /// The department.
    pub department: DepartmentCode,
    /// The message id (with a suffix for a second item of one message).
    pub message_id: String,
    /// The citizen.
    pub citizen: NationalId,
    /// The service.
    pub service: ServiceKey,
    /// What it is.
    pub kind: EntryKind,
    /// Subject shown in the inbox.
    pub subject: String,
    /// Always `AJ`.
    pub grading: String,
    /// When.
    pub at: Timestamp,
}

masked_debug!(JournalEntry { message_id, citizen, service, kind, author, grading, at } masking { subject, body });
masked_debug!(InboxItem { department, message_id, citizen, service, kind, grading, at } masking { subject });
