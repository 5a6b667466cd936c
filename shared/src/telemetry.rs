//! Tracing set-up for a Lambda function, following Lambda's advanced logging controls: JSON
//! when `AWS_LAMBDA_LOG_FORMAT=JSON` (the template's `LoggingConfig`), level from
//! `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO.
//!
//! Never log a national id number, a name or a message body: log message ids and counts. The
//! Lambda runtime logs every raw event at TRACE, and the AWS SDK, hyper and rustls log requests
//! and responses (with item contents) at DEBUG/TRACE, so they are capped at WARN whatever level
//! the function runs at (tests/outbound_reply.rs caught the runtime's raw-event line).

use std::str::FromStr;

use lambda_runtime::tracing::subscriber::EnvFilter;
use lambda_runtime::tracing::subscriber::filter::{Directive, LevelFilter};

/// Crates that may log payloads below WARN.
const CAPPED: [&str; 13] = [
    "lambda_runtime",
    "lambda_runtime_api_client",
    "lambda_http",
    "aws_smithy_runtime",
    "aws_smithy_http_client",
    "aws_smithy_runtime_api",
    "aws_sdk_dynamodb",
    "aws_sdk_sqs",
    "aws_config",
    "hyper",
    "hyper_util",
    "h2",
    "rustls",
];

/// The filter: the configured level for helsedialog, WARN for the crates above.
pub fn filter(level: Option<&str>) -> EnvFilter {
    let level = level.and_then(|l| LevelFilter::from_str(l).ok()).unwrap_or(LevelFilter::INFO);
    let mut f = EnvFilter::default().add_directive(level.into());
    for krate in CAPPED {
        if let Ok(d) = Directive::from_str(&format!("{krate}=warn")) {
            f = f.add_directive(d);
        }
    }
    f
}

/// Starts the subscriber, writing to stdout (where Lambda collects logs).
pub fn init() {
    let format = std::env::var("AWS_LAMBDA_LOG_FORMAT").unwrap_or_default();
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").or_else(|_| std::env::var("RUST_LOG")).ok();
    let builder = lambda_runtime::tracing::subscriber::fmt()
        .with_target(false)
        .without_time()
        .with_env_filter(filter(level.as_deref()));
    if format.eq_ignore_ascii_case("json") {
        builder.json().init();
    } else {
        builder.init();
    }
}
