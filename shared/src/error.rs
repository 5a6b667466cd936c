//! Errors shared by the functions. Domain refusals are values (see [`crate::domain`]), not
//! errors; what is here is what stops a record from being processed at all.

/// Whether a failure should be retried by SQS or answered/recorded as permanent.
pub trait Retryable {
    /// `true` for transient faults (throttling, timeouts, 5xx): the record is reported failed
    /// and SQS delivers it again. `false` for permanent ones: reject or record a dead letter.
    fn is_retryable(&self) -> bool;
}

/// Returned by a function whose use case is not built yet. It never counts as success.
#[derive(Debug, thiserror::Error)]
#[error("{0} is not implemented yet")]
pub struct NotImplemented(pub &'static str);
