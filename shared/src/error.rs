//! Errors shared by the functions. Domain refusals are values (see [`crate::domain`]), not
//! errors; what is here is what stops a record from being processed at all.

/// A boxed error source.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Whether a failure should be retried by SQS or answered/recorded as permanent.
pub trait Retryable {
    /// `true` for transient faults (throttling, timeouts, 5xx): the record is reported failed
    /// and SQS delivers it again. `false` for permanent ones: reject or record a dead letter.
    fn is_retryable(&self) -> bool;
}

/// A port (store, queue, HTTP service) failed.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// Throttling, a timeout, a 5xx, a dropped connection: worth trying again.
    #[error("{what} is temporarily unavailable")]
    Transient {
        /// Which operation.
        what: &'static str,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
    /// A conditional write found the data changed since it was read (another writer came
    /// first): read again and retry.
    #[error("{what} found the data changed since it was read")]
    Conflict {
        /// Which operation.
        what: &'static str,
    },
    /// A fault that will not go away by retrying (a missing table, a denied permission, a
    /// stored item that cannot be read).
    #[error("{what} failed")]
    Permanent {
        /// Which operation.
        what: &'static str,
        /// The underlying error.
        #[source]
        source: BoxError,
    },
}

impl PortError {
    /// A transient failure of `what`.
    pub fn transient(what: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Transient { what, source: source.into() }
    }

    /// Whether a conditional write lost to another writer.
    pub fn is_conflict(&self) -> bool {
        matches!(self, Self::Conflict { .. })
    }

    /// A permanent failure of `what`.
    pub fn permanent(what: &'static str, source: impl Into<BoxError>) -> Self {
        Self::Permanent { what, source: source.into() }
    }
}

impl Retryable for PortError {
    fn is_retryable(&self) -> bool {
        matches!(self, Self::Transient { .. } | Self::Conflict { .. })
    }
}
