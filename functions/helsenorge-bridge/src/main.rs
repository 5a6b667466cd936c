//! helsenorge-bridge: the long-running AMQP 1.0 bridge between Helsenorge's Tjenestebuss and our
//! SQS queues (issue 18). Wiring only; see `helsenorge_bridge::run`.

use helsenorge_bridge::config::BridgeConfig;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    shared::telemetry::init_container();
    let config = match BridgeConfig::from_env() {
        Ok(c) => c,
        Err(error) => {
            tracing::error!(%error, "bridge not started");
            return std::process::ExitCode::FAILURE;
        }
    };
    tokio::select! {
        result = helsenorge_bridge::run::run(config) => {
            if let Err(error) = result {
                tracing::error!(%error, "bridge stopped");
                return std::process::ExitCode::FAILURE;
            }
        }
        _ = stopped() => tracing::info!("bridge stopping on signal"),
    }
    std::process::ExitCode::SUCCESS
}

/// SIGTERM (ECS stops a task with it) or Ctrl-C. Anything unsettled returns to the broker's
/// queue when the connection closes; nothing is accepted before InboundQueue has it (R-TR-2).
async fn stopped() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(t) => t,
        Err(_) => return std::future::pending().await,
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
