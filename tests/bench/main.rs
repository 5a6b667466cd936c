//! `make bench`: helsedialog's performance figures in one run, printed as tables and written to
//! `target/bench/summary.json` so they can be compared over time (issue #11).
//!
//! 1. handler throughput per function on in-memory adapters, one core;
//! 2. DynamoDB and SQS calls per message / reply / lookup / 1,000 citizens, counted by an SDK
//!    interceptor against moto, beside a Powertools-style pipeline built from the same adapters;
//! 3. release binary sizes and the heaviest crates (cargo bloat, run by `make bench`);
//! 4. start-up time and memory of the release binaries under the runtime-API emulator;
//! 5. a cost model per million inbound messages on AWS list prices;
//! 6. the Helsenorge bridge: CMS + SQS / AMQP throughput on one core, end-to-end latency over
//!    the local RabbitMQ, its Fargate cost per month (`BENCH_ONLY=bridge` runs this part alone).
//!
//! Figures only: nothing here passes or fails on time. Needs moto and RabbitMQ (`make bench`
//! starts them) and the release binaries beside this one (`make bench` builds them).

mod bridge;
mod calls;
mod epj;
mod startup;
mod throughput;

use std::path::PathBuf;
use std::time::Instant;

use serde_json::{Value, json};

/// AWS list prices used by the cost model (USD, us-east-1, on-demand; checked 2026-11). eu-north-1
/// (Stockholm) lists the same Lambda and SQS prices and DynamoDB within a few percent.
mod price {
    /// Lambda arm64 (the template's default architecture), per GB-second.
    pub const LAMBDA_GB_SECOND_ARM: f64 = 0.000_013_333_4;
    /// Lambda, per request.
    pub const LAMBDA_REQUEST: f64 = 0.20 / 1e6;
    /// DynamoDB on-demand, per write request unit.
    pub const DYNAMODB_WRU: f64 = 0.625 / 1e6;
    /// DynamoDB on-demand, per read request unit.
    pub const DYNAMODB_RRU: f64 = 0.125 / 1e6;
    /// SQS standard queue, per request (64 KB chunk).
    pub const SQS_REQUEST: f64 = 0.40 / 1e6;
}

/// The template's memory size for every function (Globals), MB.
const MEMORY_MB: f64 = 256.0;

fn env_num(name: &str, default: f64) -> f64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn target_dir() -> PathBuf {
    // This binary runs from <target>/release/.
    let exe = std::env::current_exe().expect("current exe");
    exe.parent().and_then(|p| p.parent()).expect("<target>").to_path_buf()
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1_000_000.0
}

/// Section sizes of an ELF binary (`size -A`, binutils); empty when unavailable.
fn section_sizes(path: &std::path::Path) -> std::collections::HashMap<String, u64> {
    let Ok(out) = std::process::Command::new("size").arg("-A").arg(path).output() else { return Default::default() };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?.to_string(), f.next()?.parse().ok()?))
        })
        .collect()
}

fn main() {
    let started = Instant::now();
    let out_dir = target_dir().join("bench");
    std::fs::create_dir_all(&out_dir).expect("create target/bench");
    let scale = env_num("BENCH_SCALE", 1.0);
    let events = env_num("BENCH_EVENTS", 10_000.0) as usize;
    let mut summary = serde_json::Map::new();
    summary.insert("date".into(), json!(jiff::Timestamp::now().to_string()));
    summary.insert("machine".into(), json!({"cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)}));

    // BENCH_ONLY=calls: only parts 2 and 5, calls and cost (a debug build counts the same calls and units).
    let calls_only = std::env::var("BENCH_ONLY").as_deref() == Ok("calls");
    // 1. throughput: one core, current-thread runtime.
    let one_core = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let bridge_figures = || {
        let f = one_core.block_on(bridge::run((200.0 * scale) as usize, (50.0 * scale) as usize));
        bridge::print(&f);
        json!(f)
    };
    if std::env::var("BENCH_ONLY").as_deref() == Ok("bridge") {
        summary.insert("bridge".into(), bridge_figures());
        let path = out_dir.join("summary-bridge.json");
        std::fs::write(&path, serde_json::to_string_pretty(&Value::Object(summary)).expect("json")).expect("write summary");
        println!("\nwritten: {}", path.display());
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    if !calls_only {
        let tp = throughput::run(&one_core, scale);
        println!("\n== Handler throughput on in-memory adapters (one core, release build) ==");
        println!("{:<17} {:<45} {:>9} {:>14}", "function", "unit", "n", "per second");
        for r in &tp {
            println!("{:<17} {:<45} {:>9} {:>14.0}", r.function, r.unit, r.n, r.per_second);
        }
        summary.insert("throughput".into(), json!(tp));

        // The EPJ API (issue #19): latency on in-memory adapters, one core; calls against moto.
        let epj_latency = epj::latency(&one_core, (2_000.0 * scale) as usize);
        println!("\n== EPJ API latency on in-memory adapters (one core) ==");
        println!("{:<34} {:>7} {:>9} {:>9}", "route", "n", "p50 ms", "p99 ms");
        for l in &epj_latency {
            println!("{:<34} {:>7} {:>9.3} {:>9.3}", l.route, l.n, l.p50_ms, l.p99_ms);
        }
        let epj_calls = rt.block_on(epj::calls());
        println!("\n== EPJ API: AWS calls per request (SDK interceptor, against moto) ==");
        for c in &epj_calls {
            println!("{:<34} DynamoDB {:>5.2}  SQS {:>5.2}  {:?}", c.route, c.dynamodb, c.sqs, c.operations);
        }
        summary.insert("epj_api".into(), json!({"latency": epj_latency, "calls": epj_calls}));
        if std::env::var("BENCH_ONLY").as_deref() == Ok("epj") {
            return;
        }
    }

    // 2-5 need the local stack.
    let calls = rt.block_on(calls::run());
    println!("\n== AWS calls per unit of work (SDK interceptor, against moto) ==");
    println!("{:<40} {:<15} {:>9} {:>6} {:>7} {:>7} {:>7}", "flow", "per", "DynamoDB", "SQS", "WRU", "RRU", "SQS req");
    for c in &calls {
        println!(
            "{:<40} {:<15} {:>9.2} {:>6.2} {:>7.2} {:>7.2} {:>7.2}",
            c.flow, c.per, c.dynamodb, c.sqs, c.billed.write_units, c.billed.read_units, c.billed.sqs_requests
        );
    }
    let ours = &calls[0];
    let powertools = calls.iter().find(|c| c.flow.contains("Powertools")).expect("powertools row");
    let ratio = json!({
        "dynamodb_calls": powertools.dynamodb / ours.dynamodb,
        "sqs_calls": powertools.sqs / ours.sqs,
        "all_calls": (powertools.dynamodb + powertools.sqs) / (ours.dynamodb + ours.sqs),
        "write_units": powertools.billed.write_units / ours.billed.write_units,
    });
    println!(
        "Powertools-style / helsedialog, per inbound message: DynamoDB calls {:.2}x, SQS calls {:.2}x, all calls {:.2}x, write units {:.2}x",
        ratio["dynamodb_calls"].as_f64().unwrap_or(0.0),
        ratio["sqs_calls"].as_f64().unwrap_or(0.0),
        ratio["all_calls"].as_f64().unwrap_or(0.0),
        ratio["write_units"].as_f64().unwrap_or(0.0)
    );
    summary.insert("calls".into(), json!(calls));
    summary.insert("powertools_ratio".into(), ratio);

    if !calls_only {
        // 3. binary sizes (release profile: opt-level z, lto, codegen-units 1, strip).
        println!("\n== Release binary size (stripped) ==");
        let release = target_dir().join("release");
        let mut sizes = serde_json::Map::new();
        println!("{:<17} {:>9} {:>22} {:>26}", "function", "size", "unwind tables (kept)", "PIE relocations (kept)");
        for (name, _) in startup::FUNCTIONS {
            let path = release.join(name);
            let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            let sections = section_sizes(&path);
            let unwind: u64 = [".eh_frame", ".eh_frame_hdr", ".gcc_except_table"].iter().map(|s| sections.get(*s).copied().unwrap_or(0)).sum();
            let relocs = sections.get(".rela.dyn").copied().unwrap_or(0);
            println!("{name:<17} {:>6.2} MB {:>19.2} MB {:>23.2} MB", mb(bytes), mb(unwind), mb(relocs));
            sizes.insert(name.into(), json!({"bytes": bytes, "unwind_tables": unwind, "relocations": relocs}));
        }
        summary.insert("binary_bytes".into(), Value::Object(sizes));
        let bloat_file = out_dir.join("bloat.json");
        if let Ok(text) = std::fs::read_to_string(&bloat_file) {
            if let Ok(bloat) = serde_json::from_str::<Value>(&text) {
                println!("heaviest crates in status-icon (cargo bloat, .text {:.2} MB of {:.2} MB unstripped):",
                    mb(bloat["text-section-size"].as_u64().unwrap_or(0)), mb(bloat["file-size"].as_u64().unwrap_or(0)));
                for c in bloat["crates"].as_array().into_iter().flatten().take(15) {
                    println!("  {:<28} {:>7.0} kB", c["name"].as_str().unwrap_or("?"), c["size"].as_f64().unwrap_or(0.0) / 1000.0);
                }
                summary.insert("bloat_status_icon".into(), bloat);
            }
        } else {
            println!("(no {}: `make bench` runs cargo bloat first)", bloat_file.display());
        }

        // 4. start-up and memory.
        let runs = env_num("BENCH_STARTS", 5.0) as usize;
        let (starts, steady) = rt.block_on(startup::run(runs, events));
        println!("\n== Start-up under the runtime-API emulator (spawn -> first /next, {runs} runs) ==");
        println!("{:<17} {:>10} {:>8} {:>8} {:>14}", "function", "median ms", "min ms", "max ms", "RSS at init");
        for s in &starts {
            println!("{:<17} {:>10.1} {:>8.1} {:>8.1} {:>11} kB", s.function, s.median_ms, s.min_ms, s.max_ms, s.rss_after_init_kb);
        }
        println!("\n== After {events} events, one at a time through the emulator (moto behind) ==");
        println!("{:<17} {:<34} {:>9} {:>9} {:>8} {:>8} {:>9}", "function", "event", "RSS kB", "peak kB", "p50 ms", "p99 ms", "events/s");
        for s in &steady {
            println!("{:<17} {:<34} {:>9} {:>9} {:>8.2} {:>8.2} {:>9.0}", s.function, s.event, s.rss_kb, s.peak_kb, s.p50_ms, s.p99_ms, s.per_second);
        }
        summary.insert("startup".into(), json!(starts));
        summary.insert("steady".into(), json!(steady));
    }

    // 5. cost per million inbound messages, batches of 10.
    // Billed duration: the batch's wall time measured on moto (an upper bound: DynamoDB answers
    // in single-digit ms), rounded up to the next ms as Lambda bills.
    let batch_ms = ours.batch_ms_p50.ceil();
    let pt_batch_ms = powertools.batch_ms_p50.ceil();
    let per_msg = ours;
    let invocations = 1e6 / 10.0;
    let gb_s = invocations * (batch_ms / 1000.0) * (MEMORY_MB / 1024.0);
    let pt_gb_s = invocations * (pt_batch_ms / 1000.0) * (MEMORY_MB / 1024.0);
    // SQS: our sends, plus Lambda's poller (ReceiveMessage + DeleteMessageBatch per batch) and
    // the bridge's SendMessage of each inbound message.
    let sqs_requests = 1e6 * per_msg.billed.sqs_requests + invocations * 2.0 + 1e6;
    let rows = [
        ("Lambda requests", invocations, price::LAMBDA_REQUEST),
        ("Lambda GB-seconds (arm64)", gb_s, price::LAMBDA_GB_SECOND_ARM),
        ("DynamoDB write units", 1e6 * per_msg.billed.write_units, price::DYNAMODB_WRU),
        ("DynamoDB read units", 1e6 * per_msg.billed.read_units, price::DYNAMODB_RRU),
        ("SQS requests", sqs_requests, price::SQS_REQUEST),
    ];
    let pt_rows = [
        rows[0].1 * price::LAMBDA_REQUEST,
        pt_gb_s * price::LAMBDA_GB_SECOND_ARM,
        1e6 * powertools.billed.write_units * price::DYNAMODB_WRU,
        1e6 * powertools.billed.read_units * price::DYNAMODB_RRU,
        (1e6 * powertools.billed.sqs_requests + invocations * 2.0 + 1e6) * price::SQS_REQUEST,
    ];
    println!("\n== Cost per million inbound messages (AWS list prices, us-east-1; {MEMORY_MB} MB, {batch_ms} ms per batch of 10 [Powertools-style {pt_batch_ms} ms], measured on moto) ==");
    println!("{:<28} {:>14} {:>12} {:>18}", "item", "quantity", "helsedialog", "Powertools-style");
    let mut cost = vec![];
    let (mut total, mut pt_total) = (0.0, 0.0);
    for ((item, qty, unit), pt) in rows.iter().zip(pt_rows) {
        let usd = qty * unit;
        total += usd;
        pt_total += pt;
        println!("{item:<28} {qty:>14.0} {:>11.2}$ {:>17.2}$", usd, pt);
        cost.push(json!({"item": item, "quantity": qty, "usd": usd, "powertools_style_usd": pt}));
    }
    println!("{:<28} {:>14} {:>11.2}$ {:>17.2}$", "total", "", total, pt_total);
    summary.insert(
        "cost_per_million_inbound".into(),
        json!({"rows": cost, "total_usd": total, "powertools_style_total_usd": pt_total, "batch_ms": batch_ms,
            "powertools_style_batch_ms": pt_batch_ms, "memory_mb": MEMORY_MB}),
    );

    // 6. the Helsenorge bridge (issue 18); BENCH_ONLY=calls leaves it out.
    if !calls_only {
        summary.insert("bridge".into(), bridge_figures());
    }

    summary.insert("bench_seconds".into(), json!(started.elapsed().as_secs_f64()));
    let path = out_dir.join("summary.json");
    std::fs::write(&path, serde_json::to_string_pretty(&Value::Object(summary)).expect("json")).expect("write summary");
    println!("\nwritten: {} ({:.0} s)", path.display(), started.elapsed().as_secs_f64());
}
