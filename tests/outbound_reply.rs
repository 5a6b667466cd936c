//! outbound-reply end to end on moto: every refusal, attachments with their content, idempotent
//! resend, the receipt statuses (AppRecs fed back through inbound-message, send failures noted
//! on the record), and no national id, subject or body in the logs of either function.

use aws_sdk_dynamodb::Client as Ddb;
use aws_sdk_sqs::Client as Sqs;
use e2e::sqs::{drain, failures, kith_event, sqs_event};
use shared::kith::msghead::{Content, KithDocument, MsgHead, read_document};
use shared::kith::ReadLimits;
use e2e::stack::sdk_config;
use e2e::{LocalLambda, LocalStack};
use jiff::SignedDuration;
use serde_json::{Value, json};
use shared::adapters::aws::dynamo::Dynamo;
use shared::domain::message::{OutMessage, Outgoing};
use shared::domain::receipt::OutboundStatus;
use shared::domain::reply::{ReplyOutcome, ReplyResult};
use shared::fixtures::kith;
use shared::fixtures::{self, CITIZEN, consented_citizen, id, service};
use shared::kith::AppRecStatusCode;
use shared::ports::{Inspect, MessageStore, OutboundStore};

const SUBJECT: &str = "Svar om besøk hos Kari";
const BODY: &str = "Vi kommer kl. 10 i morgen med nye medisiner.";

struct Env {
    stack: LocalStack,
    store: Dynamo,
    sqs: Sqs,
    outbound: LocalLambda,
}

async fn env(name: &str) -> Env {
    let stack = LocalStack::provision(name);
    let sdk = sdk_config().await;
    let store = Dynamo::new(Ddb::new(&sdk), stack.tables());
    store.put_citizen(&consented_citizen(CITIZEN, &service())).await.unwrap();
    fixtures::seed_usable_activation(&store, &service()).await.unwrap();
    store.put_her(&shared::fixtures::her_entry()).await.unwrap();
    let mut fn_env = stack.function_env("OutboundReplyFunction");
    fn_env.insert("AWS_LAMBDA_LOG_LEVEL".into(), "TRACE".into());
    let outbound = LocalLambda::start("outbound-reply", &fn_env).await;
    Env { store, sqs: Sqs::new(&sdk), outbound, stack }
}

fn request(reply_id: &str) -> Value {
    let mut r = shared::fixtures::reply_request(reply_id, "115");
    r["subject"] = SUBJECT.into();
    r["body"] = BODY.into();
    r
}

async fn send(e: &Env, requests: &[(&str, Value)]) -> Vec<String> {
    let records: Vec<(&str, String)> = requests.iter().map(|(id, r)| (*id, r.to_string())).collect();
    failures(&e.outbound.invoke(sqs_event(&records)).await.expect("handler succeeded"))
}

fn results(out: &[Outgoing]) -> Vec<ReplyResult> {
    out.iter()
        .filter_map(|o| match &o.message {
            OutMessage::ReplyResult(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn r_out_2_every_refusal_reaches_the_epj_and_nothing_is_sent() {
    let e = env("refusals").await;
    let mut cases: Vec<(&str, Value, &str)> = vec![];
    let mut r = request("no-les");
    r["staff"]["functions"] = json!([]);
    cases.push(("no-les", r, "missing-digihelse-les"));
    let mut r = request("no-dept");
    r["staff"]["departments"] = json!(["116"]);
    cases.push(("no-dept", r, "no-department-access"));
    let mut r = request("inbox");
    r["origin"] = json!("department-inbox");
    cases.push(("inbox", r, "not-from-dialog-window"));
    let mut r = request("bad-id");
    r["citizen"] = json!("12345678901");
    cases.push(("bad-id", r, "invalid-national-id"));
    let mut r = request("no-consent");
    r["citizen"] = json!("02013299997");
    cases.push(("no-consent", r, "no-consent"));
    let mut r = request("not-activated");
    r["service"] = json!({"department": "1151", "serviceType": "HS"});
    r["staff"]["departments"] = json!(["1151"]);
    cases.push(("not-activated", r, "not-activated"));
    let mut r = request("not-base64");
    r["attachments"] = json!([{"name": "x.pdf", "mediaType": "application/pdf", "content": "JVBERi0x*LjQK"}]);
    cases.push(("not-base64", r, "attachment-not-base64"));
    let mut r = request("exe");
    r["attachments"] = json!([{"name": "x.exe", "mediaType": "application/x-msdownload", "content": "TVo="}]);
    cases.push(("exe", r, "media-type-not-allowed"));
    let mut r = request("empty");
    r["body"] = json!("   ");
    cases.push(("empty", r, "text"));

    let requests: Vec<(&str, Value)> = cases.iter().map(|(i, r, _)| (*i, r.clone())).collect();
    assert!(send(&e, &requests).await.is_empty(), "refusals are results, not failures");
    let epj = results(&drain(&e.sqs, e.stack.queue("EpjResultsQueue")).await);
    assert_eq!(epj.len(), cases.len());
    for (reply_id, _, reason) in &cases {
        let r = epj.iter().find(|r| r.reply_id == *reply_id).unwrap_or_else(|| panic!("result for {reply_id}"));
        assert_eq!(r.outcome, ReplyOutcome::Refused, "{reply_id}");
        let v = serde_json::to_value(r.refusal.as_ref().unwrap()).unwrap();
        assert_eq!(v["reason"], *reason, "{reply_id}");
        assert!(!r.message.is_empty());
    }
    assert!(drain(&e.sqs, e.stack.queue("ToHelsenorgeQueue")).await.is_empty(), "nothing sent to Helsenorge");
    assert!(e.store.journal(&id(CITIZEN)).await.unwrap().is_empty());
    e.outbound.stop().await;
}

#[tokio::test]
async fn r_out_4_an_attachment_travels_with_its_content_and_a_resend_sends_once() {
    let e = env("limits").await;
    let mut max = request("max");
    max["attachments"] = json!([{"name": "scan.pdf", "mediaType": "application/pdf", "content": "JVBERi0xLjQK"}]);
    assert!(send(&e, &[("s1", max.clone())]).await.is_empty());
    // The same request delivered again: twice concurrently in one batch, then once more.
    assert!(send(&e, &[("s2", max.clone()), ("s3", max.clone())]).await.is_empty());
    assert!(send(&e, &[("s4", max)]).await.is_empty());
    let to_hn = drain(&e.sqs, e.stack.queue("ToHelsenorgeQueue")).await;
    // The reply leaves as KITH MsgHead + Dialogmelding; the attachment as a base64 document.
    let messages: Vec<MsgHead> = to_hn
        .iter()
        .filter_map(|o| match &o.message {
            OutMessage::Wire(w) => match read_document(w.body.as_bytes(), ReadLimits::WITH_ATTACHMENTS) {
                Ok(KithDocument::MsgHead(m)) => Some(*m),
                _ => None,
            },
            _ => None,
        })
        .collect();
    assert_eq!(messages.len(), 1, "sent once");
    // R-OUT-4: the content itself, in a Base64Container, measured decoded (9 bytes).
    assert_eq!(messages[0].documents[1].content, Content::Base64(b"%PDF-1.4\n".to_vec()));
    assert_eq!(messages[0].patient.as_ref().and_then(|p| p.national_id()).map(|(n, _)| n), Some(CITIZEN));
    assert_eq!(e.store.journal(&id(CITIZEN)).await.unwrap().len(), 1, "journaled once on the citizen");
    e.outbound.stop().await;
}

#[tokio::test]
async fn r_out_3_sent_then_receipt_ok_rejected_or_missing_and_no_pii_in_logs() {
    let e = env("statuses").await;
    let mut in_env = e.stack.function_env("InboundMessageFunction");
    in_env.insert("AWS_LAMBDA_LOG_LEVEL".into(), "TRACE".into());
    let inbound = LocalLambda::start("inbound-message", &in_env).await;

    assert!(send(&e, &[("s1", request("r-ok")), ("s2", request("r-rej")), ("s3", request("r-missing"))]).await.is_empty());
    let deadline = SignedDuration::from_hours(1);
    let sent = e.store.reply("r-ok").await.unwrap().expect("recorded");
    let soon = sent.sent_at.checked_add(SignedDuration::from_mins(1)).unwrap();
    assert_eq!(sent.status(soon, deadline), OutboundStatus::Sent);

    // Helsenorge's AppRecs (KITH AppRec 1.1 with the bridge's attributes).
    let ok = kith::apprec("hn-a1", "r-ok", AppRecStatusCode::Ok, &service());
    let rejected = kith::apprec("hn-a2", "r-rej", AppRecStatusCode::Rejected, &service());
    let resp = inbound.invoke(kith_event(&[("a1", &ok), ("a2", &rejected)])).await.unwrap();
    assert!(failures(&resp).is_empty());

    let status = |o: shared::domain::reply::OutboundMessage, now| o.status(now, deadline);
    let ok = e.store.reply("r-ok").await.unwrap().unwrap();
    let rej = e.store.reply("r-rej").await.unwrap().unwrap();
    let missing = e.store.reply("r-missing").await.unwrap().unwrap();
    let later = missing.sent_at.checked_add(deadline + SignedDuration::from_secs(1)).unwrap();
    assert_eq!(status(ok, later), OutboundStatus::ReceiptOk);
    assert_eq!(status(rej, later), OutboundStatus::Rejected { reason: "E35: Pasienten finnes ikke.".into() });
    assert_eq!(status(missing.clone(), soon), OutboundStatus::Sent);
    assert_eq!(status(missing, later), OutboundStatus::Missing, "injected clock past the deadline");

    let newest_first: Vec<String> =
        e.store.replies_of(&id(CITIZEN)).await.unwrap().into_iter().map(|o| o.message_id).collect();
    assert_eq!(newest_first.len(), 3);

    // Privacy: at TRACE, neither function logged the national id, the subject or the body.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    for (name, logs) in [("outbound-reply", e.outbound.logs()), ("inbound-message", inbound.logs())] {
        assert!(logs.contains("processed"), "{name} logged something at all:\n{logs}");
        let leaks: Vec<&str> = logs.lines().filter(|l| l.contains(CITIZEN)).take(3).collect();
        assert!(leaks.is_empty(), "{name} logged a national id:\n{}", leaks.join("\n"));
        assert!(!logs.contains(SUBJECT) && !logs.contains(BODY), "{name} logged message text");
        assert!(!logs.contains("Pasienten finnes ikke"), "{name} logged receipt text");
    }
    inbound.stop().await;
    e.outbound.stop().await;
}

/// Every sample event in events/outbound-reply on the sample EPJ data: `reply*` are sent,
/// `invalid-*` are refused with a result for the EPJ, and none fails.
#[tokio::test]
async fn sample_events_give_their_documented_outcomes() {
    let e = env("events").await;
    let root = e2e::stack::root();
    let data: shared::app::epj::EpjData =
        serde_json::from_str(&std::fs::read_to_string(root.join("events/epj/sample-data.json")).unwrap()).unwrap();
    shared::app::epj::load(&e.store, &data, shared::fixtures::ts("2026-11-20T08:00:00Z")).await.unwrap();
    // The first sync after the activations (R-ACT-4), as consent-sync ends it.
    shared::fixtures::mark_all_synced(&e.store, shared::fixtures::ts("2026-11-21T00:10:00Z")).await.unwrap();
    let mut files: Vec<_> =
        std::fs::read_dir(root.join("events/outbound-reply")).unwrap().map(|f| f.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    files.sort();
    assert!(files.len() >= 6);
    for path in files {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let event: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let resp = e.outbound.invoke(event).await.unwrap_or_else(|err| panic!("{name}: {err}"));
        assert!(failures(&resp).is_empty(), "{name}: {resp}");
        let res = results(&drain(&e.sqs, e.stack.queue("EpjResultsQueue")).await);
        assert_eq!(res.len(), 1, "{name}");
        let want = if name.starts_with("invalid-") { ReplyOutcome::Refused } else { ReplyOutcome::Sent };
        assert_eq!(res[0].outcome, want, "{name}: {:?}", res[0]);
    }
    e.outbound.stop().await;
}

#[tokio::test]
async fn r_out_3_a_send_failure_is_noted_on_the_record_until_a_resend_or_an_apprec() {
    use shared::domain::receipt::{Flag, ReceiptFact, SEND_FAILED_TEXT};
    use shared::domain::reply::OutboundMessage;
    let stack = LocalStack::provision("sendstate");
    let store = Dynamo::new(Ddb::new(&sdk_config().await), stack.tables());
    let sent_at = shared::fixtures::ts("2026-03-01T10:00:00Z");
    let later = shared::fixtures::ts("2026-03-03T10:00:00Z");
    let reply = OutboundMessage {
        message_id: "r-sf".into(),
        citizen: id(CITIZEN),
        service: service(),
        staff_id: "s1".into(),
        sent_at,
        receipt: ReceiptFact::Awaiting,
    };
    store.put_outbound(&reply).await.unwrap();
    let status = |store: Dynamo| async move { store.reply("r-sf").await.unwrap().unwrap().status(later, SignedDuration::from_hours(1)) };
    let failed = ReceiptFact::SendFailed { at: sent_at, reason: SEND_FAILED_TEXT.into() };
    let ids = ["r-sf".to_string(), "r-unknown".to_string()];
    store.note_send(&ids, &failed).await.unwrap();
    assert_eq!(status(store.clone()).await.flag(), Flag::RedFlag, "send error, not missing");
    store.note_send(&ids, &ReceiptFact::Awaiting).await.unwrap();
    assert_eq!(status(store.clone()).await, OutboundStatus::Missing, "went out: now a missing receipt is violet");
    store.apply_receipt("r-sf", &ReceiptFact::Ok { at: later }).await.unwrap();
    store.note_send(&ids, &failed).await.unwrap();
    assert_eq!(status(store.clone()).await, OutboundStatus::ReceiptOk, "an AppRec's fact is final");
    assert!(store.reply("r-unknown").await.unwrap().is_none(), "no record is made up");
}
