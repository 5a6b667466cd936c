//! Tracing set-up for a Lambda function, following Lambda's advanced logging controls: JSON
//! when `AWS_LAMBDA_LOG_FORMAT=JSON` (the template's `LoggingConfig`), level from
//! `AWS_LAMBDA_LOG_LEVEL`, else `RUST_LOG`, else INFO. The bridge is a container, not a Lambda:
//! [`init_container`] reads `LOG_LEVEL` (the template's bridge task) and `LOG_FORMAT` the same way.
//!
//! Never log a national id number, a name or a message body: log message ids and counts. The
//! Lambda runtime logs every raw event at TRACE, and the AWS SDK, hyper and rustls log requests
//! and responses (with item contents) at DEBUG/TRACE, so they are capped at WARN whatever level
//! the function runs at (tests/outbound_reply.rs caught the runtime's raw-event line).
//!
//! The filter is a plain per-target filter (`Targets`), not `EnvFilter`: the level is one word,
//! and `EnvFilter` would bring a regex engine (~300 kB) into every binary.

use std::str::FromStr;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Crates that may log payloads below WARN (target prefixes: `aws_` is every AWS SDK crate,
/// `aws_sigv4`'s canonical requests included; `lambda_` every Lambda runtime crate).
const CAPPED: [&str; 7] = ["lambda_", "aws_", "hyper", "h2", "rustls", "reqwest", "tower"];

/// The Lambda runtime's run loop: its one WARN (without the `concurrency-tokio` feature) says
/// that `AWS_LAMBDA_MAX_CONCURRENCY` is set. Lambda sets that variable only on Managed
/// Instances, which the template does not use; `cargo lambda watch` (since 1.9) sets it to `1`
/// for every function it starts, so every local start warned about the sequential run we want.
/// Its ERROR lines (a failed runtime-API call) still show.
const RUN_LOOP: &str = "lambda_runtime::runtime";

/// The filter: the configured level (a level name; anything else means INFO) for helsedialog,
/// at most WARN for the crates above, at most ERROR for the runtime's run loop.
pub fn filter(level: Option<&str>) -> Targets {
    let level = level.and_then(|l| LevelFilter::from_str(l.trim()).ok()).unwrap_or(LevelFilter::INFO);
    let capped = level.min(LevelFilter::WARN);
    CAPPED
        .iter()
        .fold(Targets::new().with_default(level), |f, krate| f.with_target(*krate, capped))
        .with_target(RUN_LOOP, level.min(LevelFilter::ERROR))
}

/// The level word: `primary` if set and not empty, else `RUST_LOG`, else none (INFO).
pub fn level(primary: &str, var: impl Fn(&str) -> Option<String>) -> Option<String> {
    let set = |k: &str| var(k).filter(|v| !v.trim().is_empty());
    set(primary).or_else(|| set("RUST_LOG"))
}

/// Starts the subscriber for a Lambda function, writing to stdout (where Lambda collects logs).
pub fn init() {
    init_from("AWS_LAMBDA_LOG_LEVEL", "AWS_LAMBDA_LOG_FORMAT");
}

/// Starts the subscriber for a long-running container (the bridge on Fargate; awslogs collects
/// stdout): level from `LOG_LEVEL`, else `RUST_LOG`; JSON when `LOG_FORMAT=JSON`.
pub fn init_container() {
    init_from("LOG_LEVEL", "LOG_FORMAT");
}

fn init_from(level_var: &str, format_var: &str) {
    let format = std::env::var(format_var).unwrap_or_default();
    let level = level(level_var, |k| std::env::var(k).ok());
    let registry = tracing_subscriber::registry().with(filter(level.as_deref()));
    let fmt = tracing_subscriber::fmt::layer().with_target(false).without_time();
    if format.eq_ignore_ascii_case("json") {
        registry.with(fmt.json()).init();
    } else {
        registry.with(fmt).init();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_logging_crates_stay_at_warn_at_trace() {
        let f = filter(Some("trace"));
        assert!(f.would_enable("shared::app::inbound", &tracing::Level::TRACE));
        assert!(!f.would_enable("lambda_runtime::layers", &tracing::Level::TRACE));
        assert!(!f.would_enable("aws_smithy_runtime::client", &tracing::Level::DEBUG));
        assert!(!f.would_enable("aws_sigv4::http_request::sign", &tracing::Level::TRACE));
        assert!(!f.would_enable("lambda_http::request", &tracing::Level::DEBUG));
        assert!(f.would_enable("rustls", &tracing::Level::WARN));
    }

    #[test]
    fn the_run_loops_concurrency_warning_is_off_and_its_errors_and_other_runtime_warnings_stay() {
        let f = filter(Some("trace"));
        assert!(!f.would_enable("lambda_runtime::runtime", &tracing::Level::WARN));
        assert!(f.would_enable("lambda_runtime::runtime", &tracing::Level::ERROR));
        assert!(f.would_enable("lambda_runtime::layers::api_response", &tracing::Level::WARN));
    }

    fn vars(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| v.to_string())
    }

    #[test]
    fn the_level_variable_wins_over_rust_log_and_an_empty_one_falls_back() {
        assert_eq!(level("LOG_LEVEL", vars(&[("LOG_LEVEL", "TRACE"), ("RUST_LOG", "warn")])).as_deref(), Some("TRACE"));
        assert_eq!(level("LOG_LEVEL", vars(&[("LOG_LEVEL", " "), ("RUST_LOG", "warn")])).as_deref(), Some("warn"));
        assert_eq!(level("LOG_LEVEL", vars(&[("AWS_LAMBDA_LOG_LEVEL", "DEBUG")])), None);
        assert!(filter(level("LOG_LEVEL", vars(&[("LOG_LEVEL", "TRACE")])).as_deref())
            .would_enable("helsenorge_bridge::run", &tracing::Level::TRACE));
    }

    #[test]
    fn an_unknown_level_means_info_and_error_stays_error() {
        assert!(!filter(Some("loud")).would_enable("shared", &tracing::Level::DEBUG));
        assert!(filter(Some("loud")).would_enable("shared", &tracing::Level::INFO));
        let f = filter(Some("error"));
        assert!(!f.would_enable("hyper", &tracing::Level::WARN));
        assert!(!f.would_enable("shared", &tracing::Level::WARN));
    }
}
