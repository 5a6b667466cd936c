//! Pure domain types and rules. Each rule cites its id from DOMAIN.md; `grep -rn R-XXX-N`
//! finds the code that enforces it and the tests (named `r_xxx_n_…`) that check it.

pub mod activation;
pub mod appointment;
pub mod claim_check;
pub mod consent;
pub mod dead_letter;
pub mod icon;
pub mod journal;
pub mod masked;
pub mod message;
pub mod national_id;
pub mod org;
pub mod receipt;
pub mod reply;
pub mod staff;
pub mod sync;
pub mod text;
pub mod transport;

pub use activation::{Activated, Activation, Deactivated, ActivationError, ActivationState, CodeListLinks};
pub use appointment::{Assignment, AssignmentId, CancelOutcome, Cancellation, Period};
pub use consent::{AktivFacts, CitizenRecord, GateDecision, RejectReason, Sender, consent_gate};
pub use dead_letter::{Alert, RepublishDecision};
pub use icon::{LocalHistory, StatusIcon, status_icon};
pub use national_id::{IdMode, NationalId, NationalIdError};
pub use org::{DepartmentCode, ServiceKey, ServiceType, StaffFunction, StaffProfile};
pub use receipt::{AppRec, AppRecStatus, KithErrorCode, OutboundStatus, ReceiptFact};
