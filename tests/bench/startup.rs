//! Start-up and memory of the release binaries under the runtime-API emulator (the way Lambda
//! starts them, without Docker): time from spawning the process to its first request for an
//! event (init: config, AWS clients, the HelseID key from Secrets Manager where used), and the
//! resident memory after many events.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use e2e::fake::Fake;
use e2e::sqs::{failures, http_event, kith_event};
use e2e::stack::sdk_config;
use e2e::{LocalLambda, LocalStack, quantile_ms};
use serde_json::json;
use shared::adapters::aws::dynamo::Dynamo;
use shared::fixtures::kith;
use shared::fixtures::{self, CITIZEN, consented_citizen, service};

/// Start-up of one function.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Startup {
    /// The function.
    pub function: &'static str,
    /// Median of the runs, ms.
    pub median_ms: f64,
    /// Fastest run, ms.
    pub min_ms: f64,
    /// Slowest run, ms.
    pub max_ms: f64,
    /// Resident memory right after init, kB.
    pub rss_after_init_kb: u64,
}

/// Memory after a run of events.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Steady {
    /// The function.
    pub function: &'static str,
    /// What each event was.
    pub event: &'static str,
    /// Events handled.
    pub events: usize,
    /// Resident memory after them, kB.
    pub rss_kb: u64,
    /// Peak resident memory, kB.
    pub peak_kb: u64,
    /// Round-trip latency per event through the emulator (moto included), ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// Events per second, one at a time.
    pub per_second: f64,
}

/// The six functions: binary name and template logical id.
pub const FUNCTIONS: [(&str, &str); 7] = [
    ("inbound-message", "InboundMessageFunction"),
    ("outbound-reply", "OutboundReplyFunction"),
    ("consent-sync", "ConsentSyncFunction"),
    ("status-icon", "StatusIconFunction"),
    ("dlq-republisher", "DlqRepublisherFunction"),
    ("summary-alert", "SummaryAlertFunction"),
    ("epj-api", "EpjApiFunction"),
];

async fn env_of(stack: &LocalStack, fake: &Fake, logical: &str) -> BTreeMap<String, String> {
    match logical {
        "ConsentSyncFunction" | "StatusIconFunction" => stack.function_env_with_fake(logical, fake),
        _ => stack.function_env(logical),
    }
}

/// Starts each function `runs` times and reads its init time; then `events` events through
/// inbound-message (redelivered duplicates, one record each) and status-icon (lookups).
pub async fn run(runs: usize, events: usize) -> (Vec<Startup>, Vec<Steady>) {
    let stack = LocalStack::provision("bench-startup");
    let fake = Fake::start(SocketAddr::from(([127, 0, 0, 1], 0)), Default::default()).await.expect("fake");
    let mut startups = vec![];
    for (name, logical) in FUNCTIONS {
        let env = env_of(&stack, &fake, logical).await;
        let mut times = vec![];
        let mut rss = 0;
        for _ in 0..runs {
            let f = LocalLambda::start(name, &env).await;
            let t = f.startup(Duration::from_secs(30)).await.unwrap_or_else(|| panic!("{name} did not start: {}", f.logs()));
            rss = f.memory_kb().map_or(0, |(rss, _)| rss);
            times.push(t);
            f.stop().await;
        }
        times.sort();
        startups.push(Startup {
            function: name,
            median_ms: quantile_ms(&times, 0.5),
            min_ms: quantile_ms(&times, 0.0),
            max_ms: quantile_ms(&times, 1.0),
            rss_after_init_kb: rss,
        });
    }

    let sdk = sdk_config().await;
    let store = Dynamo::new(aws_sdk_dynamodb::Client::new(&sdk), stack.tables());
    store.put_citizen(&consented_citizen(CITIZEN, &service())).await.expect("seed");
    fixtures::seed_usable_activation(&store, &service()).await.expect("seed");
    store.put_her(&shared::fixtures::her_entry()).await.expect("seed her-id");
    let mut steady = vec![];

    let inbound = LocalLambda::start("inbound-message", &stack.function_env("InboundMessageFunction")).await;
    let messages: Vec<kith::OnQueue> = (0..20).map(|i| kith::ekontakt(&format!("hn-steady-{i}"), CITIZEN, &service())).collect();
    for (i, m) in messages.iter().enumerate() {
        let resp = inbound.invoke(kith_event(&[(&format!("sqs-first-{i}"), m)])).await.expect("first delivery");
        assert!(failures(&resp).is_empty(), "first delivery processed: {resp}");
    }
    steady.push(measure("inbound-message", "redelivered message (1 record)", &inbound, events, |i| {
        kith_event(&[(&format!("sqs-again-{i}"), &messages[i % messages.len()])])
    })
    .await);
    inbound.stop().await;

    let icons = LocalLambda::start("status-icon", &env_of(&stack, &fake, "StatusIconFunction").await).await;
    let body = json!({ "nationalId": CITIZEN }).to_string();
    steady.push(measure("status-icon", "lookup of one citizen", &icons, events, |_| http_event("/status-icon", &body)).await);
    icons.stop().await;
    (startups, steady)
}

async fn measure(
    function: &'static str,
    event: &'static str,
    f: &LocalLambda,
    events: usize,
    make: impl Fn(usize) -> serde_json::Value,
) -> Steady {
    let mut took = Vec::with_capacity(events);
    let start = Instant::now();
    for i in 0..events {
        let t = Instant::now();
        let resp = f.invoke(make(i)).await.unwrap_or_else(|e| panic!("{function}: {e}"));
        took.push(t.elapsed());
        assert!(failures(&resp).is_empty(), "{function}: {resp}");
    }
    let secs = start.elapsed().as_secs_f64();
    took.sort();
    let (rss_kb, peak_kb) = f.memory_kb().unwrap_or_default();
    Steady {
        function,
        event,
        events,
        rss_kb,
        peak_kb,
        p50_ms: quantile_ms(&took, 0.5),
        p99_ms: quantile_ms(&took, 0.99),
        per_second: events as f64 / secs.max(1e-9),
    }
}
