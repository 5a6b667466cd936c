//! Use cases: one per function, generic over the ports, no AWS types.

pub mod appointments;
pub mod inbound;
