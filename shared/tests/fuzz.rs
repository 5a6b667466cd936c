//! Fuzzing every parser that takes outside input, as a bounded proptest harness that runs in CI
//! (`make test`) and longer on demand (`FUZZ_CASES=200000 make fuzz`).
//!
//! Inputs are both random text and structure-aware mutations (byte flips, insertions, deletions,
//! truncation, splices, swapped JSON values) of valid messages and of every body in the
//! bad-input corpus (`tests/bad-input/`). Beyond "never panics", each target checks the rule
//! that matters for it: a message is always accounted for (an answer, a record, or a recorded
//! dead letter — never silence), a parsed national id never shows itself in logs. The KITH XML
//! edge gets its own target seeded with `events/kith/` and the XML cases of the corpus.

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;
use shared::adapters::her_directory::MemoryHerDirectory;
use shared::adapters::memory::{ManualClock, MemoryDb};
use shared::app::kith_inbound::{KithInboundService, Transport};
use shared::app::RecordIn;
use shared::app::icon::parse_query;
use shared::app::inbound::InboundService;
use shared::app::outbound::OutboundService;
use shared::app::pipeline::Pipeline;
use shared::app::sync::SyncService;
use shared::domain::{IdMode, NationalId};
use shared::fixtures::{self, CITIZEN, consented_citizen, id, service, ts, usable_activation};

fn cases() -> u32 {
    std::env::var("FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(5000)
}

fn runner() -> TestRunner {
    TestRunner::new(Config { cases: cases(), failure_persistence: None, ..Config::default() })
}

/// Valid bodies of every kind, plus the whole bad-input corpus.
fn seeds() -> Vec<String> {
    let mut seeds = vec![
        fixtures::kith::ekontakt("hn-seed-1", CITIZEN, &service()).body,
        json!({"version": 1, "messageId": "hn-seed-2", "sentAt": "2026-03-29T00:30:00Z", "message": {
            "kind": "appointment-cancellation", "citizen": CITIZEN, "sender": {"role": "citizen"},
            "service": service(), "assignmentId": "A-1", "start": "2026-03-29T01:30:00+01:00"}})
        .to_string(),
        json!({"version": 1, "messageId": "hn-seed-3", "sentAt": "2026-03-01T10:00:00Z", "message": {
            "kind": "apprec", "refersTo": "out-1", "status": "error", "errors": [{"code": "E35", "text": "x"}]}})
        .to_string(),
        json!({"version": 1, "replyId": "r-1", "staff": {"staffId": "s", "functions": ["digihelse_les"], "departments": ["115"]},
            "origin": "dialog-window", "citizen": CITIZEN, "service": service(), "subject": "Svar", "body": "Hei",
            "attachments": [{"name": "a.pdf", "contentType": "application/pdf", "bytes": 10}]})
        .to_string(),
        json!({"nationalId": CITIZEN}).to_string(),
        json!({"nationalIds": [CITIZEN, fixtures::CITIZEN_2032]}).to_string(),
        json!([{"fodselsnummer": CITIZEN, "erDigitaltAktivSelv": true, "erDigitaltAktivViaAndre": false, "tildeltFullmakt": false}])
            .to_string(),
        json!({"runId": "run-1", "chunk": 0, "ids": [CITIZEN]}).to_string(),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/bad-input");
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let case: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(e.path()).unwrap_or_default()).unwrap_or_default();
            if let Some(body) = case["body"].as_str() {
                // Huge bodies are covered by the corpus itself; keep the fuzz cases fast.
                if body.len() < 20_000 {
                    seeds.push(body.to_string());
                }
            }
        }
    }
    seeds
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, char),
    Delete(usize, usize),
    Truncate(usize),
    Splice(usize, usize, usize),
    Value(usize, &'static str),
}

const VALUES: [&str; 14] = [
    "null", "true", "-1", "1e309", "\"\"", "[]", "{}", "\"\u{0}\"", "\"<script>\"", "\"30108299920\"",
    "\"3010829992O\"", "\"٣٠١٠٨٢٩٩٩٢٠\"", "\"9999-99-99T99:99:99Z\"", "18446744073709551616",
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        (any::<usize>(), any::<char>()).prop_map(|(i, c)| Mutation::Insert(i, c)),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<usize>(), 1usize..60).prop_map(|(a, b, n)| Mutation::Splice(a, b, n)),
        (any::<usize>(), proptest::sample::select(&VALUES[..])).prop_map(|(i, v)| Mutation::Value(i, v)),
    ]
}

fn apply(seed: &str, mutations: &[Mutation]) -> String {
    let mut b = seed.as_bytes().to_vec();
    for m in mutations {
        let at = |i: usize, len: usize| if len == 0 { 0 } else { i % (len + 1) };
        match *m {
            Mutation::Flip(i, x) if !b.is_empty() => {
                let i = i % b.len();
                b[i] ^= x;
            }
            Mutation::Insert(i, c) => {
                let i = at(i, b.len());
                let mut buf = [0; 4];
                b.splice(i..i, c.encode_utf8(&mut buf).bytes());
            }
            Mutation::Delete(i, n) if !b.is_empty() => {
                let i = i % b.len();
                b.drain(i..(i + n).min(b.len()));
            }
            Mutation::Truncate(i) => b.truncate(at(i, b.len())),
            Mutation::Splice(from, to, n) if !b.is_empty() => {
                let from = from % b.len();
                let part: Vec<u8> = b[from..(from + n).min(b.len())].to_vec();
                let to = at(to, b.len());
                b.splice(to..to, part);
            }
            Mutation::Value(i, v) => {
                // Replace the JSON value after the i-th colon.
                let colons: Vec<usize> = b.iter().enumerate().filter(|(_, c)| **c == b':').map(|(k, _)| k).collect();
                if let Some(&c) = colons.get(i % colons.len().max(1)) {
                    let end = b[c + 1..].iter().position(|x| *x == b',' || *x == b'}').map_or(b.len(), |p| c + 1 + p);
                    b.splice(c + 1..end, v.bytes());
                }
            }
            _ => {}
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// A JSON value of any shape, small.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "\\PC{0,40}".prop_map(Value::String),
        proptest::sample::select(&VALUES[..]).prop_map(|v| serde_json::from_str(v).unwrap_or(Value::Null)),
        proptest::sample::select(vec![CITIZEN, fixtures::CITIZEN_2032, fixtures::REPRESENTATIVE, "01010012356", "41010112345"])
            .prop_map(|s| Value::String(s.into())),
    ];
    leaf.prop_recursive(2, 8, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map("[a-zA-Z]{1,12}", inner, 0..4).prop_map(|m| json!(m)),
        ]
    })
}

/// Paths to every value in a JSON document.
fn paths(v: &serde_json::Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match v {
        serde_json::Value::Object(m) => m.iter().for_each(|(k, x)| paths(x, [at.clone(), vec![k.clone()]].concat(), out)),
        serde_json::Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| paths(x, [at.clone(), vec![i.to_string()]].concat(), out)),
        _ => {}
    }
}

/// Valid JSON that keeps a seed's shape but replaces or removes some of its values: reaches the
/// rules behind the parser (ids, services, limits, dates) rather than stopping at syntax.
fn json_mutant(seed: &str, edits: &[(usize, bool, serde_json::Value)]) -> String {
    let Ok(mut doc) = serde_json::from_str::<serde_json::Value>(seed) else { return seed.to_string() };
    for (pick, remove, value) in edits {
        let mut all = vec![];
        paths(&doc, vec![], &mut all);
        let path = &all[pick % all.len()];
        let Some((last, parent)) = path.split_last() else { continue };
        let mut node = &mut doc;
        for k in parent {
            node = match node {
                serde_json::Value::Object(m) => m.get_mut(k).expect("path exists"),
                serde_json::Value::Array(a) => &mut a[k.parse::<usize>().expect("index")],
                _ => unreachable!("paths only descend into containers"),
            };
        }
        match node {
            serde_json::Value::Object(m) if *remove => {
                m.remove(last);
            }
            serde_json::Value::Object(m) => {
                m.insert(last.clone(), value.clone());
            }
            serde_json::Value::Array(a) => {
                let i = last.parse::<usize>().expect("index");
                a[i] = value.clone();
            }
            _ => {}
        }
    }
    doc.to_string()
}

/// Random text, a byte-mutated seed, or a value-mutated seed.
fn input() -> impl Strategy<Value = String> {
    let seeds = seeds();
    prop_oneof![
        1 => "\\PC{0,200}",
        1 => proptest::collection::vec(any::<u8>(), 0..200).prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        4 => (proptest::sample::select(seeds.clone()), proptest::collection::vec(mutation(), 1..6)).prop_map(|(s, m)| apply(&s, &m)),
        4 => (proptest::sample::select(seeds), proptest::collection::vec((any::<usize>(), proptest::bool::weighted(0.3), json_value()), 1..4))
            .prop_map(|(s, e)| json_mutant(&s, &e)),
    ]
}

fn world() -> (MemoryDb, ManualClock) {
    let db = MemoryDb::new();
    let mut s = db.state();
    s.citizens.insert(id(CITIZEN), consented_citizen(CITIZEN, &service()));
    s.activations.insert(service(), usable_activation(&service()));
    drop(s);
    (db, ManualClock::at(ts("2026-03-01T10:00:00Z")))
}

fn pipeline(db: &MemoryDb, clock: &ManualClock, queue: &str) -> Pipeline<MemoryDb, MemoryDb, MemoryDb, ManualClock> {
    Pipeline { messages: db.clone(), outbox: db.clone(), dead_letters: db.clone(), clock: clock.clone(), source_queue: queue.into() }
}

type Inbound = KithInboundService<MemoryDb, MemoryDb, MemoryDb, MemoryDb, MemoryDb, MemoryDb, ManualClock, MemoryHerDirectory>;

/// inbound-message's use case behind its KITH edge (the only way into it).
fn inbound(db: &MemoryDb, clock: &ManualClock, id_mode: IdMode) -> Inbound {
    KithInboundService {
        inbound: InboundService {
            gate: db.clone(),
            appointments: db.clone(),
            outbound: db.clone(),
            pipeline: pipeline(db, clock, "InboundQueue"),
            id_mode,
        },
        directory: MemoryHerDirectory { entries: vec![fixtures::her_entry()] },
    }
}

/// Records without transport attributes (as a republished message arrives).
fn bare(records: Vec<RecordIn>) -> Vec<(RecordIn, Transport)> {
    records.into_iter().map(|r| (r, Transport::default())).collect()
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

fn record(body: String) -> Vec<RecordIn> {
    vec![RecordIn { sqs_message_id: "sqs-fuzz".into(), body, receive_count: 1 }]
}

/// Outcomes seen: answered/recorded, dead-lettered.
#[derive(Default)]
struct Seen {
    answered: std::sync::atomic::AtomicUsize,
    dead_letters: std::sync::atomic::AtomicUsize,
}

impl Seen {
    fn report(&self, what: &str) {
        use std::sync::atomic::Ordering::Relaxed;
        let (a, d) = (self.answered.load(Relaxed), self.dead_letters.load(Relaxed));
        println!("fuzz {what}: {} cases: {a} answered or recorded, {d} dead-lettered, 0 silent, 0 panics", a + d);
    }
}

/// Something was recorded for the message: an answer, a business record, or a dead letter.
fn accounted(db: &MemoryDb, failed: &[String], seen: &Seen) -> Result<(), TestCaseError> {
    use std::sync::atomic::Ordering::Relaxed;
    let s = db.state();
    if failed.is_empty() {
        seen.answered.fetch_add(1, Relaxed);
        let answered = !s.sent.is_empty() || !s.processed.is_empty() || !s.alerts.is_empty() || !s.dead_letters.is_empty();
        prop_assert!(answered, "processed without any answer or record: silence");
    } else {
        seen.dead_letters.fetch_add(1, Relaxed);
        prop_assert!(s.dead_letters.contains_key("sqs-fuzz"), "a failed record has its dead-letter record");
    }
    Ok(())
}

/// KITH seeds: our samples and every XML body of the corpus.
fn xml_seeds() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out: Vec<String> = std::fs::read_dir(root.join("events/kith"))
        .map(|d| d.flatten().filter_map(|e| std::fs::read_to_string(e.path()).ok()).collect())
        .unwrap_or_default();
    out.extend(seeds().into_iter().filter(|s| s.trim_start_matches('\u{feff}').trim_start().starts_with('<')));
    out
}

#[test]
fn r_in_2_fuzzed_kith_xml_is_answered_or_dead_lettered_never_silent() {
    let rt = rt();
    let seen = Seen::default();
    let seeds = xml_seeds();
    assert!(seeds.len() > 30, "the KITH seeds are found");
    let xml = prop_oneof![
        1 => "<\\PC{0,200}",
        6 => (proptest::sample::select(seeds), proptest::collection::vec(mutation(), 1..6)).prop_map(|(s, m)| apply(&s, &m)),
    ];
    runner()
        .run(&xml, |body| {
            let _ = shared::kith::msghead::read_document(body.as_bytes(), shared::kith::ReadLimits::INBOUND);
            let (db, clock) = world();
            let svc = KithInboundService {
                inbound: InboundService {
                    gate: db.clone(),
                    appointments: db.clone(),
                    outbound: db.clone(),
                    pipeline: pipeline(&db, &clock, "InboundQueue"),
                    id_mode: IdMode::Production,
                },
                directory: MemoryHerDirectory { entries: vec![fixtures::her_entry()] },
            };
            let failed = rt.block_on(svc.handle_batch(&[(record(body).remove(0), Transport::default())], 10));
            accounted(&db, &failed, &seen)
        })
        .expect("the KITH edge survives fuzzing");
    seen.report("inbound-message (KITH XML)");
}

#[test]
fn r_in_2_fuzzed_inbound_messages_are_answered_or_dead_lettered_never_silent() {
    let rt = rt();
    let seen = Seen::default();
    runner()
        .run(&input(), |body| {
            let (db, clock) = world();
            let svc = inbound(&db, &clock, IdMode::Production);
            let failed = rt.block_on(svc.handle_batch(&bare(record(body)), 10));
            accounted(&db, &failed, &seen)
        })
        .expect("inbound-message survives fuzzing");
    seen.report("inbound-message");
}

#[test]
fn r_out_1_fuzzed_reply_requests_get_a_result_or_a_dead_letter() {
    let rt = rt();
    let seen = Seen::default();
    runner()
        .run(&input(), |body| {
            let (db, clock) = world();
            let svc = OutboundService { gate: db.clone(), pipeline: pipeline(&db, &clock, "OutboundQueue"), id_mode: IdMode::Production };
            let failed = rt.block_on(svc.handle_batch(&record(body), 10));
            accounted(&db, &failed, &seen)
        })
        .expect("outbound-reply survives fuzzing");
    seen.report("outbound-reply");
}

#[test]
fn r_icon_7_fuzzed_lookup_bodies_parse_or_are_refused() {
    runner()
        .run(&input(), |body| {
            for many in [false, true] {
                for mode in [IdMode::Production, IdMode::Test] {
                    if let Ok(ids) = parse_query(body.as_bytes(), many, mode) {
                        prop_assert!(!ids.is_empty() && ids.len() <= 1000);
                        prop_assert!(many || ids.len() == 1);
                    }
                }
            }
            Ok(())
        })
        .expect("status-icon's parser survives fuzzing");
}

/// Log output captured from a real `tracing` subscriber at TRACE.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    fn take(&self) -> String {
        let mut buf = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&std::mem::take(&mut *buf)).into_owned()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[test]
fn r_cit_6_fuzzed_national_ids_never_panic_and_never_show_in_logs() {
    let ids = prop_oneof![
        "[0-9]{11}",
        "[0-9 ٠-٩０-９.-]{0,14}",
        "\\PC{0,16}",
        (proptest::sample::select(vec![CITIZEN, fixtures::CITIZEN_2032, fixtures::REPRESENTATIVE]), proptest::collection::vec(mutation(), 1..3))
            .prop_map(|(s, m)| apply(s, &m)),
    ];
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt().with_max_level(tracing::Level::TRACE).with_writer(logs.clone()).finish();
    let rt = rt();
    let parsed = std::sync::atomic::AtomicUsize::new(0);
    tracing::subscriber::with_default(subscriber, || {
        runner()
            .run(&ids, |s| {
                logs.take();
                for mode in [IdMode::Production, IdMode::Test] {
                    if let Ok(nid) = NationalId::parse(&s, mode) {
                        prop_assert_eq!(nid.expose().len(), 11);
                        prop_assert_eq!(NationalId::parse(&nid.expose(), mode).ok(), Some(nid.clone()));
                        tracing::info!(citizen = %nid, parsed = ?nid, "a parsed id in a log line");
                    }
                }
                // The id as citizen and as representative through the inbound use case, which
                // logs at every level; the rejection of an invalid one must not quote it either.
                let (db, clock) = world();
                let svc = inbound(&db, &clock, IdMode::Test);
                let batch = [
                    fixtures::kith::record("sqs-fuzz-1", &fixtures::kith::ekontakt("hn-fuzz-cit", &s, &service())),
                    fixtures::kith::record("sqs-fuzz-2", &fixtures::kith::ekontakt_from_representative("hn-fuzz-rep", CITIZEN, &s, &service())),
                ];
                rt.block_on(svc.handle_batch(&batch, 10));
                let out = logs.take();
                prop_assert!(out.contains("sqs-fuzz-1") && out.contains("sqs-fuzz-2"), "the use case logged: the check reads real output");
                let digits: String = s.chars().filter(char::is_ascii_digit).collect();
                if digits.len() == 11 && s.chars().count() == 11 {
                    prop_assert!(!out.contains(&digits), "an 11-digit id reached a log line");
                }
                if let Ok(nid) = NationalId::parse(&s, IdMode::Test) {
                    parsed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    prop_assert!(!out.contains(&nid.expose()), "a parsed id reached a log line");
                }
                Ok(())
            })
            .expect("the national id parser survives fuzzing and no id reaches a log");
    });
    println!("fuzz national ids: {} cases, {} parsed, logs read after each", cases(), parsed.into_inner());
}

#[test]
fn r_act_4_fuzzed_sync_chunks_are_done_or_dead_lettered() {
    let rt = rt();
    runner()
        .run(&input(), |body| {
            let (db, clock) = world();
            let sync = SyncService {
                store: db.clone(),
                citizens: db.clone(),
                queue: db.clone(),
                aktiv: db.clone(),
                alerts: db.clone(),
                clock: clock.clone(),
                dead_letters: db.clone(),
                source_queue: "SyncWorkQueue".into(),
            };
            let failed = rt.block_on(sync.handle_chunks(&record(body)));
            if !failed.is_empty() {
                prop_assert!(db.state().dead_letters.contains_key("sqs-fuzz"));
            }
            Ok(())
        })
        .expect("consent-sync's chunk reader survives fuzzing");
}

#[cfg(feature = "helsenorge")]
#[test]
fn r_icon_7_fuzzed_helsenorge_aktiv_answers_are_read_or_refused() {
    use shared::adapters::helsenorge::parse_aktiv_response;
    let asked = [id(CITIZEN), id(fixtures::CITIZEN_2032)];
    runner()
        .run(&input(), |body| {
            if let Ok(facts) = parse_aktiv_response(body.as_bytes(), &asked) {
                prop_assert!(facts.iter().all(|(nid, _)| asked.contains(nid)), "only ids asked about");
            }
            Ok(())
        })
        .expect("the HelsenorgeAktiv answer reader survives fuzzing");
}
