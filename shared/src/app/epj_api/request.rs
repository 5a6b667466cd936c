//! Reading a request (the asserted staff member, a JSON body with no unknown fields, path
//! codes) and the one place an API failure becomes a coded answer.

use serde::de::DeserializeOwned;
use serde_json::json;

use crate::app::http::{HttpRequest, HttpResponse};
use crate::app::pipeline::ProcessError;
use crate::domain::message::describe_json_error;
use crate::domain::reply::ReplyRefusal;
use crate::domain::staff::{AccessRefusal, Staff, StaffError};
use crate::domain::{ActivationError, DepartmentCode, NationalId, ServiceKey};
use crate::error::{PortError, Retryable};

/// The header carrying the acting staff member as JSON ([`Staff`]).
pub const STAFF_HEADER: &str = "x-epj-staff";

/// Why a request is not answered with what it asked for. Each maps to one status and code.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No such route.
    #[error("no such route")]
    NotFound,
    /// The route does not answer that method.
    #[error("this route does not answer that method")]
    MethodNotAllowed,
    /// The body is larger than the limit.
    #[error("the request body is too large")]
    TooLarge,
    /// The staff header is missing or unreadable.
    #[error("the x-epj-staff header is missing or not a staff member: {0}")]
    Staff(String),
    /// The body is not the route's JSON (malformed, wrong type, unknown field).
    #[error("the request body is invalid: {0}")]
    Malformed(String),
    /// A query parameter, path code or header value is invalid (`code` names which).
    #[error("{message}")]
    Invalid {
        /// The kind of problem.
        code: &'static str,
        /// What is wrong (no personal data).
        message: &'static str,
    },
    /// A staff rule refused the action (R-ACC-1..3, R-ACT-3).
    #[error(transparent)]
    Access(#[from] AccessRefusal),
    /// The activation rule refused (R-ACT-2, R-ACT-3).
    #[error(transparent)]
    Activation(#[from] ActivationError),
    /// The reply was refused (R-ACC-1/2, R-OUT-1..4, R-CIT-6).
    #[error(transparent)]
    Reply(#[from] ReplyRefusal),
    /// The item does not exist.
    #[error("{0} not found")]
    Missing(&'static str),
    /// The state forbids it now (e.g. the same key is being processed).
    #[error("{message}")]
    Conflict {
        /// The kind of conflict.
        code: &'static str,
        /// What to do.
        message: &'static str,
    },
    /// A store or queue failed.
    #[error(transparent)]
    Port(PortError),
    /// The reply use case failed.
    #[error(transparent)]
    Process(#[from] ProcessError),
}

impl ApiError {
    /// The status and code of the answer. Classified here once: rule refusals are 403 (who
    /// acts) or 422 (what is asked), retryable faults 503, other faults 500.
    fn status_and_code(&self) -> (u16, &'static str) {
        match self {
            Self::NotFound => (404, "not-found"),
            Self::MethodNotAllowed => (405, "method-not-allowed"),
            Self::TooLarge => (413, "payload-too-large"),
            Self::Staff(_) => (400, "staff-invalid"),
            Self::Malformed(_) => (400, "malformed-request"),
            Self::Invalid { code, .. } => (400, code),
            Self::Access(r) => (403, r.code()),
            Self::Activation(ActivationError::NotPermitted) => (403, "R-ACT-3"),
            Self::Activation(_) => (422, "R-ACT-2"),
            Self::Reply(r) => reply_status(r),
            Self::Missing(_) => (404, "not-found"),
            Self::Conflict { code, .. } => (409, code),
            Self::Port(e) if e.is_retryable() => (503, "unavailable"),
            Self::Process(ProcessError::InProgress) => (409, "in-progress"),
            Self::Process(e) if e.is_retryable() => (503, "unavailable"),
            Self::Port(_) | Self::Process(_) => (500, "internal"),
        }
    }

    /// The coded answer `{"code", "message"}`. Faults say only that they happened (their text
    /// may name internals); they are logged, scrubbed, here.
    pub fn response(&self) -> HttpResponse {
        let (status, code) = self.status_and_code();
        let message = if status >= 500 {
            let error = crate::domain::dead_letter::RecordedError::scrub(&crate::app::pipeline::error_chain(self));
            tracing::warn!(status, error = %error, "request failed");
            "the request could not be completed now; try again".to_string()
        } else {
            self.to_string()
        };
        HttpResponse::json(status, json!({ "code": code, "message": message }))
    }
}

/// R-ACC-1/2 and R-OUT-1 are about who acts (403); the rest about what is asked (422).
fn reply_status(r: &ReplyRefusal) -> (u16, &'static str) {
    match r {
        ReplyRefusal::MissingDigihelseLes => (403, "R-ACC-1"),
        ReplyRefusal::NoDepartmentAccess => (403, "R-ACC-2"),
        ReplyRefusal::NotFromDialogWindow => (403, "R-OUT-1"),
        ReplyRefusal::InvalidNationalId(_) => (422, "R-CIT-6"),
        ReplyRefusal::NoConsent => (422, "R-OUT-2"),
        ReplyRefusal::NotActivated => (422, "R-ACT-4"),
        ReplyRefusal::AttachmentsTooLarge { .. } => (422, "R-OUT-4"),
        ReplyRefusal::AttachmentNotBase64(_) | ReplyRefusal::MediaTypeNotAllowed(_) => (422, "invalid-attachment"),
        ReplyRefusal::Text(_) => (422, "invalid-text"),
        ReplyRefusal::InvalidRequest(_) => (400, "malformed-request"),
    }
}

/// The acting staff member from [`STAFF_HEADER`], checked ([`Staff::validate`]).
pub fn staff(req: &HttpRequest) -> Result<Staff, ApiError> {
    let raw = req.header(STAFF_HEADER).ok_or_else(|| ApiError::Staff("missing".into()))?;
    let staff: Staff = serde_json::from_str(raw).map_err(|e| ApiError::Staff(describe_json_error(&e)))?;
    staff.validate().map_err(|e: StaffError| ApiError::Staff(e.to_string()))?;
    Ok(staff)
}

/// The body as `T` (whose fields deny unknown ones).
pub fn body<T: DeserializeOwned>(req: &HttpRequest) -> Result<T, ApiError> {
    serde_json::from_slice(&req.body).map_err(|e| ApiError::Malformed(describe_json_error(&e)))
}

/// A department code from the path.
pub fn department(code: &str) -> Result<DepartmentCode, ApiError> {
    code.parse().map_err(|_| ApiError::Invalid { code: "invalid-department", message: "the department code is invalid" })
}

/// A (department, service type) from the path.
pub fn service(department: &str, service_type: &str) -> Result<ServiceKey, ApiError> {
    ServiceKey::parse(department, service_type)
        .map_err(|_| ApiError::Invalid { code: "invalid-service", message: "the department or service type code is invalid" })
}

/// A citizen's national id from a body (R-CIT-6); the error never carries the number.
pub fn citizen(raw: &str, mode: crate::domain::IdMode) -> Result<NationalId, ApiError> {
    NationalId::parse(raw, mode).map_err(|e| ApiError::Reply(ReplyRefusal::InvalidNationalId(e.to_string())))
}

/// A value as JSON for an answer; a value that cannot be written is a fault (500).
pub fn to_json<T: serde::Serialize>(value: &T) -> Result<serde_json::Value, ApiError> {
    serde_json::to_value(value).map_err(|e| ApiError::Port(PortError::permanent("write the answer", e)))
}
