//! Support for the end-to-end tests: the local AWS stack (moto, provisioned from template.yaml
//! by `tools/stack.py`) and a minimal Lambda runtime-API emulator that runs the real, already
//! built function binaries the way Lambda does.
//!
//! The tests need moto running and `AWS_ENDPOINT_URL` pointing at it: `make test` does both.

pub mod billing;
pub mod bridge_peer;
pub mod bridge_ports_contract;
pub mod contract;
pub mod contract_epj;
pub mod contract_gate;
pub mod contract_outbound;
pub mod contract_probe;
pub mod contract_stores;
pub mod contract_sync;
pub mod counting;
pub mod fake;
pub mod fake_cppa;
pub mod kith;
pub mod lambda;
pub mod peer;
pub mod profiles_contract;
pub mod proxy;
pub mod sqs;
pub mod stack;
pub mod tcp_cut;

pub use lambda::LocalLambda;
pub use stack::LocalStack;

/// The `q` quantile (0.0–1.0) of sorted durations, in ms; 0 when there are none.
pub fn quantile_ms(sorted: &[std::time::Duration], q: f64) -> f64 {
    let Some(last) = sorted.len().checked_sub(1) else { return 0.0 };
    let i = ((last as f64) * q).round() as usize;
    sorted[i.min(last)].as_secs_f64() * 1000.0
}
