//! Use cases: one per function, generic over the ports, no AWS types.

pub mod appointments;
pub mod bridge_in;
pub mod bridge_out;
#[cfg(test)]
mod bridge_tests;
pub mod epj;
pub mod epj_api;
pub mod events;
pub mod http;
pub mod icon;
pub mod icon_api;
pub mod inbound;
pub mod kith_edge;
pub mod claimed_inbound;
pub mod kith_inbound;
pub mod outbound;
pub mod pipeline;
pub mod republish;
pub mod sync;

/// One SQS record as a use case sees it (no AWS types).
#[derive(Clone, PartialEq, Eq)]
pub struct RecordIn {
    /// SQS message id (what a partial batch failure names).
    pub sqs_message_id: String,
    /// The body.
    pub body: String,
    /// SQS's approximate receive count.
    pub receive_count: u32,
}

crate::domain::masked::masked_debug!(RecordIn { sqs_message_id, receive_count } masking { body });
