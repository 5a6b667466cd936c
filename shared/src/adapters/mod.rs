//! Adapters for the ports: in-memory ones for tests and benchmarks, AWS ones behind `aws`.

#[cfg(feature = "aws")]
pub mod aws;
pub mod claim_check;
pub mod claim_check_answers;
pub mod claim_check_inbound;
pub mod clock;
#[cfg(feature = "helsenorge")]
pub mod helsenorge;
pub mod her_directory;
pub mod kith_outbox;
pub mod memory;
pub mod memory_bodies;
pub mod memory_epj;
pub mod memory_transport;
pub mod profiles_config;

/// Sends every alert to two sinks (the alerts queue, and the table that keeps the history).
#[derive(Debug, Clone)]
pub struct Tee<A, B>(pub A, pub B);

impl<A: crate::ports::AlertSink, B: crate::ports::AlertSink> crate::ports::AlertSink for Tee<A, B> {
    async fn send(&self, alert: &crate::domain::dead_letter::Alert) -> Result<(), crate::error::PortError> {
        self.0.send(alert).await?;
        self.1.send(alert).await
    }
}
