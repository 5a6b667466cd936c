//! The bad-input corpus (`tests/bad-input/`, one case a file with its expected outcome) through
//! the real functions on the local stack. Every case gets a clear coded answer (AppRec
//! rejection, a refusal for the EPJ, HTTP 400) or a recorded dead letter: never a panic, a hang
//! or a silent drop. Cases with an `event` are whole Lambda events (the runtime's edge): the
//! invocation fails with an error that names what is wrong, and no national id reaches an
//! answer or a log line.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use aws_sdk_sqs::Client as Sqs;
use e2e::fake::Fake;
use e2e::sqs::{drain, failures, http_event, sqs_event_with_attributes};
use shared::kith::ReadLimits;
use shared::kith::codes::AppRecStatusCode;
use shared::kith::msghead::{KithDocument, read_document};
use e2e::stack::{root, sdk_config};
use e2e::{LocalLambda, LocalStack};
use serde::Deserialize;
use shared::adapters::aws::dynamo::Dynamo;
use shared::domain::message::OutMessage;
use shared::domain::reply::ReplyOutcome;
use shared::fixtures::{self, CITIZEN, consented_citizen, id, service, ts};
use shared::ports::AppointmentStore;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Case {
    function: String,
    expect: String,
    why: String,
    /// An SQS body or HTTP body.
    #[serde(default)]
    body: String,
    /// A whole Lambda event instead.
    #[serde(default)]
    event: Option<serde_json::Value>,
    /// Transport attributes on the SQS message (KITH cases).
    #[serde(default)]
    attributes: BTreeMap<String, String>,
    /// Pad the body with trailing whitespace to this many bytes (size limits).
    #[serde(default)]
    pad_to_bytes: Option<usize>,
}

#[tokio::test]
async fn every_bad_input_gets_a_coded_answer_or_a_recorded_dead_letter() {
    let stack = LocalStack::provision("badinput");
    let sdk = sdk_config().await;
    let store = Dynamo::new(aws_sdk_dynamodb::Client::new(&sdk), stack.tables());
    let sqs = Sqs::new(&sdk);
    store.put_citizen(&consented_citizen(CITIZEN, &service())).await.unwrap();
    fixtures::seed_usable_activation(&store, &service()).await.unwrap();
    store.put_her(&shared::fixtures::her_entry()).await.unwrap();
    store.replace_plan(&id(CITIZEN), &service(), 0, &[fixtures::dated("A-1", &service(), ts("2027-03-28T08:00:00Z"))]).await.unwrap();

    let fake = Fake::start(SocketAddr::from(([127, 0, 0, 1], 0)), Default::default()).await.unwrap();
    let icon_env = stack.function_env_with_fake("StatusIconFunction", &fake);
    let lambdas: BTreeMap<&str, LocalLambda> = BTreeMap::from([
        ("inbound-message", LocalLambda::start("inbound-message", &stack.function_env("InboundMessageFunction")).await),
        ("outbound-reply", LocalLambda::start("outbound-reply", &stack.function_env("OutboundReplyFunction")).await),
        ("status-icon", LocalLambda::start("status-icon", &icon_env).await),
        ("consent-sync", LocalLambda::start("consent-sync", &stack.function_env_with_fake("ConsentSyncFunction", &fake)).await),
        ("dlq-republisher", LocalLambda::start("dlq-republisher", &stack.function_env("DlqRepublisherFunction")).await),
        ("summary-alert", LocalLambda::start("summary-alert", &stack.function_env("SummaryAlertFunction")).await),
        ("epj-api", LocalLambda::start("epj-api", &stack.function_env("EpjApiFunction")).await),
    ]);

    let mut files: Vec<_> = std::fs::read_dir(root().join("tests/bad-input")).unwrap().map(|f| f.unwrap().path()).collect();
    files.sort();
    assert!(files.len() >= 50, "at least 50 cases");
    let mut tried = 0;
    for path in &files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let case: Case = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let lambda = &lambdas[case.function.as_str()];
        let sqs_id = format!("sqs-{name}");
        if case.expect == "invocation-error" {
            let event = case.event.clone().unwrap_or_else(|| panic!("{name}: an event"));
            let err = lambda.invoke(event).await.err().unwrap_or_else(|| panic!("{name}: refused ({})", case.why));
            assert!(err["errorMessage"].as_str().is_some_and(|m| !m.is_empty()), "{name}: says why: {err}");
            assert!(!err.to_string().contains("3010829992") && !err.to_string().contains("AAAAAAAA"), "{name}: {err}");
        } else if case.function == "epj-api" {
            // `httpNNN:code`: the status and the coded answer's code (a rule id or the kind).
            let event = case.event.clone().unwrap_or_else(|| panic!("{name}: an HTTP API event"));
            let resp = lambda.invoke(event).await.unwrap_or_else(|e| panic!("{name}: {e}"));
            let body: serde_json::Value = serde_json::from_str(resp["body"].as_str().unwrap_or("null")).unwrap_or_default();
            let got = format!("http{}:{}", resp["statusCode"].as_u64().unwrap_or(0), body["code"].as_str().unwrap_or(""));
            assert_eq!(got, case.expect, "{name}: {} {body}", case.why);
            assert!(!resp["body"].as_str().unwrap_or("").contains("3010829992"), "{name}: the id is not echoed");
        } else if case.function == "status-icon" {
            let p = if case.body.contains("nationalIds") { "/status-icons" } else { "/status-icon" };
            let event = case.event.clone().unwrap_or_else(|| http_event(p, &case.body));
            let resp = lambda.invoke(event).await.unwrap_or_else(|e| panic!("{name}: {e}"));
            let status = resp["statusCode"].as_u64().unwrap_or(0);
            assert_eq!(format!("http{status}"), case.expect, "{name}: {}", case.why);
            assert!(!resp["body"].as_str().unwrap_or("").contains("3010829992"), "{name}: the id is not echoed");
        } else {
            let mut body = case.body.clone();
            if let Some(n) = case.pad_to_bytes {
                body.push_str(&" ".repeat(n.saturating_sub(body.len())));
            }
            let attrs: Vec<(&str, &str)> = case.attributes.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let resp = lambda.invoke(sqs_event_with_attributes(&[(&sqs_id, body, attrs)])).await.unwrap_or_else(|e| panic!("{name}: {e}"));
            let failed = failures(&resp);
            let to_hn = drain(&sqs, stack.queue("ToHelsenorgeQueue")).await;
            let epj = drain(&sqs, stack.queue("EpjResultsQueue")).await;
            let (kind, detail) = case.expect.split_once(':').unwrap_or((case.expect.as_str(), ""));
            match kind {
                "dead-letter" => {
                    assert_eq!(failed, vec![sqs_id.clone()], "{name}: reported failed ({})", case.why);
                    assert!(store.dead_letter(&sqs_id).await.unwrap().is_some(), "{name}: recorded for the republisher");
                    assert!(to_hn.is_empty() && epj.is_empty(), "{name}: nothing answered");
                }
                // KITH XML: an AppRec 1.1 document on the queue, OK or with its 8221 code.
                "apprec" => {
                    assert!(failed.is_empty(), "{name}: {}", case.why);
                    let rec = to_hn.iter().find_map(|o| match &o.message {
                        OutMessage::Wire(w) => match read_document(w.body.as_bytes(), ReadLimits::INBOUND) {
                            Ok(KithDocument::AppRec(a)) => Some(*a),
                            _ => None,
                        },
                        _ => None,
                    });
                    let rec = rec.unwrap_or_else(|| panic!("{name}: an AppRec document ({})", case.why));
                    if detail == "ok" {
                        assert_eq!(rec.status, AppRecStatusCode::Ok, "{name}: {} {:?}", case.why, rec.errors);
                    } else {
                        assert_eq!(rec.status, AppRecStatusCode::Rejected, "{name}");
                        assert_eq!(rec.errors[0].0.code(), detail, "{name}: {} ({})", case.why, rec.errors[0].1);
                        assert!(!rec.errors[0].1.is_empty() && !rec.errors[0].1.contains("3010829992"), "{name}");
                    }
                }
                "refused" | "sent" => {
                    assert!(failed.is_empty(), "{name}");
                    let r = epj.iter().find_map(|o| if let OutMessage::ReplyResult(r) = &o.message { Some(r) } else { None });
                    let r = r.unwrap_or_else(|| panic!("{name}: a result for the EPJ"));
                    if kind == "sent" {
                        assert_eq!(r.outcome, ReplyOutcome::Sent, "{name}");
                    } else {
                        assert_eq!(r.outcome, ReplyOutcome::Refused, "{name}");
                        let v = serde_json::to_value(r.refusal.as_ref().unwrap()).unwrap();
                        assert_eq!(v["reason"], detail, "{name}: {}", case.why);
                        assert!(!v.to_string().contains(CITIZEN), "{name}: no id in the refusal");
                    }
                }
                other => panic!("{name}: unknown expectation {other}"),
            }
        }
        tried += 1;
    }
    for (name, l) in &lambdas {
        let logs = l.logs();
        assert!(!logs.contains("panicked"), "{name} panicked");
        assert!(!logs.contains("30108299920") && !logs.contains("AAAAAAAAAAAA"), "{name} logged an id or the raw input");
    }
    println!("bad-input corpus: {tried} cases, each answered as expected");
}
