//! Support for the end-to-end tests: the local AWS stack (moto, provisioned from template.yaml
//! by `tools/stack.py`) and a minimal Lambda runtime-API emulator that runs the real, already
//! built function binaries the way Lambda does.
//!
//! The tests need moto running and `AWS_ENDPOINT_URL` pointing at it: `make test` does both.

pub mod counting;
pub mod fake;
pub mod lambda;
pub mod proxy;
pub mod sqs;
pub mod stack;

pub use lambda::LocalLambda;
pub use stack::LocalStack;
