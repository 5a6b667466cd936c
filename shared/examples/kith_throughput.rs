//! KITH codec throughput on one core, for a quick release-mode figure without the whole bench:
//! `cargo run --release -p shared --example kith_throughput [N]`. Parses the EKONTAKT sample
//! (namespaces checked) and writes its AppRec 1.1, N times (default 200,000).

use std::time::Instant;

use shared::app::kith_edge::Answering;
use shared::kith::msghead::{KithDocument, read_document};
use shared::kith::{AppRecStatusCode, ReadLimits};

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../events/kith/ekontakt.xml");
    let template = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let bodies: Vec<String> = (0..n).map(|i| template.replace("6f1c2a10-0000-4000-8000-000000000001", &format!("hn-kith-{i}"))).collect();
    let now = jiff::Timestamp::now();
    let t = Instant::now();
    let mut written = 0usize;
    for b in &bodies {
        let Ok(KithDocument::MsgHead(m)) = read_document(b.as_bytes(), ReadLimits::INBOUND) else { panic!("the sample parses") };
        let answer = Answering::of(&m, None).apprec(AppRecStatusCode::Ok, vec![], now);
        written += std::hint::black_box(answer).id.len();
    }
    let secs = t.elapsed().as_secs_f64();
    println!("{n} EKONTAKT parsed + AppRec written in {secs:.3} s: {:.0} messages/s on one core ({written} id bytes)", n as f64 / secs);
}
