//! Adapters for the ports: in-memory ones for tests and benchmarks, AWS ones behind `aws`.

#[cfg(feature = "aws")]
pub mod aws;
#[cfg(feature = "helsenorge")]
pub mod helsenorge;
pub mod memory;
