//! helsedialog's shared crate: the domain rules of DigiHelse (each cited by its R-id from
//! `DOMAIN.md`), the ports the functions need, and their adapters.
//!
//! - [`domain`]: pure, synchronous types and rules; no AWS imports.
//! - [`ports`]: the async traits the use cases are generic over.
//! - [`adapters`]: in-memory adapters always; DynamoDB/SQS adapters behind the `aws` feature.
//! - [`config`]: configuration read once at start-up.

#![warn(missing_docs)]

pub mod adapters;
pub mod app;
pub mod config;
pub mod domain;
pub mod error;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod kith;
pub mod ports;
pub mod ports_transport;
#[cfg(feature = "aws")]
pub mod telemetry;
pub use domain::national_id::NationalId;
