//! Tracing set-up for a Lambda function: JSON when `AWS_LAMBDA_LOG_FORMAT=JSON` (set by the
//! template's `LoggingConfig`), level from `AWS_LAMBDA_LOG_LEVEL`/`RUST_LOG`.
//!
//! Never log a national id number, a name or a message body: log message ids and counts.

/// Starts the runtime's default subscriber (it honours `AWS_LAMBDA_LOG_*`).
pub fn init() {
    lambda_runtime::tracing::init_default_subscriber();
}
