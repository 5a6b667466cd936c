//! epj-api end to end on moto: the function under the runtime-API emulator with HTTP API
//! events. The demo path — a citizen's message reaches the inbox (inbound-message), the EPJ
//! reads the inbox, takes the message over, replies from the dialog, and sees the receipt turn
//! green when the AppRec comes back — and the refusals by rule. Also the contract suite of the
//! EPJ ports on the in-memory and the DynamoDB adapters.

use std::collections::BTreeSet;

use aws_sdk_dynamodb::Client as Ddb;
use e2e::sqs::{failures, kith_event};
use e2e::stack::sdk_config;
use e2e::{LocalLambda, LocalStack};
use serde_json::{Value, json};
use shared::adapters::aws::dynamo::Dynamo;
use shared::adapters::aws::epj_store::DynamoEpj;
use shared::adapters::memory::MemoryDb;
use shared::adapters::memory_epj::MemoryEpj;
use shared::domain::activation::Deactivated;
use shared::domain::staff::TakeOver;
use shared::domain::{Activation, CodeListLinks, ServiceKey, StaffFunction, StaffProfile};
use shared::fixtures::kith;
use shared::fixtures::{self, CITIZEN, consented_citizen, id, service, ts};
use shared::kith::AppRecStatusCode;
use shared::ports::ActivationStore;
use shared::ports::epj::{ActivationAdmin, RecordCardStore, TakeOverStore};

/// An HTTP API (payload 2.0) event with method, path, query, headers and body.
fn event(method: &str, path: &str, query: &str, headers: &[(&str, String)], body: Option<&Value>) -> Value {
    let mut h = serde_json::Map::new();
    h.insert("content-type".into(), "application/json".into());
    for (n, v) in headers {
        h.insert((*n).into(), v.clone().into());
    }
    json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query, "headers": h,
        "requestContext": {"accountId": "123456789012", "apiId": "local", "domainName": "local", "domainPrefix": "local",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "epj"},
            "requestId": "r1", "routeKey": "$default", "stage": "$default", "time": "02/Dec/2026:10:00:00 +0000", "timeEpoch": 1795430000000i64},
        "body": body.map(Value::to_string), "isBase64Encoded": false
    })
}

fn nurse() -> String {
    json!({"staffId": "sykepleier-17", "functions": ["digihelse_les"], "departments": ["115"],
        "roles": [{"role": "sykepleier", "gradings": ["AJ"], "departments": ["115"]}]})
    .to_string()
}

fn without_aj() -> String {
    json!({"staffId": "vikar-3", "functions": ["digihelse_les"], "departments": ["115"]}).to_string()
}

struct Answer {
    status: u16,
    body: Value,
    etag: Option<String>,
}

async fn call(api: &LocalLambda, method: &str, path: &str, query: &str, headers: &[(&str, String)], body: Option<Value>) -> Answer {
    let resp = api.invoke(event(method, path, query, headers, body.as_ref())).await.expect("function answered");
    let text = resp["body"].as_str().unwrap_or("");
    Answer {
        status: resp["statusCode"].as_u64().unwrap_or(0) as u16,
        body: if text.is_empty() { Value::Null } else { serde_json::from_str(text).unwrap_or(Value::Null) },
        etag: resp["headers"]["etag"].as_str().map(str::to_string),
    }
}

#[tokio::test]
async fn the_demo_inbox_take_over_reply_and_a_green_receipt_with_refusals_by_rule() {
    let stack = LocalStack::provision("epjdemo");
    let store = Dynamo::new(Ddb::new(&sdk_config().await), stack.tables());
    store.put_citizen(&consented_citizen(CITIZEN, &service())).await.unwrap();
    fixtures::seed_usable_activation(&store, &service()).await.unwrap();
    store.put_her(&fixtures::her_entry()).await.unwrap();
    let inbound = LocalLambda::start("inbound-message", &stack.function_env("InboundMessageFunction")).await;
    let mut api_env = stack.function_env("EpjApiFunction");
    api_env.insert("AWS_LAMBDA_LOG_LEVEL".into(), "TRACE".into());
    let api = LocalLambda::start("epj-api", &api_env).await;
    let staff = |s: String| ("x-epj-staff", s);

    // A citizen writes; the message lands in 115's inbox (R-IN-1).
    let message = kith::ekontakt("hn-1", CITIZEN, &service());
    let resp = inbound.invoke(kith_event(&[("d1", &message)])).await.unwrap();
    assert!(failures(&resp).is_empty());

    // The EPJ reads the inbox; an unchanged poll is answered 304.
    let inbox = call(&api, "GET", "/v1/departments/115/inbox", "limit=10", &[staff(nurse())], None).await;
    assert_eq!(inbox.status, 200, "{}", inbox.body);
    assert_eq!(inbox.body["items"][0]["messageId"], "hn-1");
    assert_eq!(inbox.body["items"][0]["takenOver"], Value::Null);
    let etag = inbox.etag.clone().expect("an ETag");
    let again = call(&api, "GET", "/v1/departments/115/inbox", "limit=10", &[staff(nurse()), ("if-none-match", etag)], None).await;
    assert_eq!(again.status, 304);

    // R-ACC-3: no AJ, no take-over; the nurse with AJ takes it over, idempotently.
    let path = "/v1/departments/115/inbox/hn-1/take-over";
    let refused = call(&api, "POST", path, "", &[staff(without_aj())], None).await;
    assert_eq!((refused.status, refused.body["code"].as_str()), (403, Some("R-ACC-3")));
    let taken = call(&api, "POST", path, "", &[staff(nurse())], None).await;
    assert_eq!((taken.status, taken.body["takenOver"]["staffId"].as_str()), (200, Some("sykepleier-17")), "{}", taken.body);
    assert_eq!(call(&api, "POST", path, "", &[staff(nurse())], None).await.body, taken.body);
    let inbox = call(&api, "GET", "/v1/departments/115/inbox", "", &[staff(nurse())], None).await;
    assert_eq!(inbox.body["items"][0]["takenOver"]["staffId"], "sykepleier-17");

    // R-OUT-1: not from the inbox; from the dialog window it is accepted once.
    let reply = |origin: &str| json!({"citizen": CITIZEN, "service": service(), "origin": origin,
        "subject": "Svar om besøk", "body": "Vi kommer kl. 10.", "inReplyTo": "hn-1"});
    let key = |k: &str| ("idempotency-key", k.to_string());
    let from_inbox = call(&api, "POST", "/v1/replies", "", &[staff(nurse()), key("r-inbox")], Some(reply("department-inbox"))).await;
    assert_eq!((from_inbox.status, from_inbox.body["code"].as_str()), (403, Some("R-OUT-1")));
    let sent = call(&api, "POST", "/v1/replies", "", &[staff(nurse()), key("r-1")], Some(reply("dialog-window"))).await;
    assert_eq!((sent.status, sent.body["replyId"].as_str()), (202, Some("r-1")), "{}", sent.body);
    let repeat = call(&api, "POST", "/v1/replies", "", &[staff(nurse()), key("r-1")], Some(reply("dialog-window"))).await;
    assert_eq!(repeat.status, 202);

    // The dialog: the citizen's message, then the reply, sent and awaiting its receipt.
    let dialog_body = json!({"citizen": CITIZEN, "service": service()});
    let dialog = call(&api, "POST", "/v1/dialog", "", &[staff(nurse())], Some(dialog_body.clone())).await;
    assert_eq!(dialog.status, 200, "{}", dialog.body);
    let messages = dialog.body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!((messages[1]["direction"].as_str(), messages[1]["receipt"]["status"].as_str()), (Some("outbound"), Some("sent")));

    // Helsenorge's AppRec comes back through inbound-message: the receipt turns green (R-OUT-3).
    let apprec = kith::apprec("hn-a1", "r-1", AppRecStatusCode::Ok, &service());
    assert!(failures(&inbound.invoke(kith_event(&[("a1", &apprec)])).await.unwrap()).is_empty());
    let dialog = call(&api, "POST", "/v1/dialog", "", &[staff(nurse())], Some(dialog_body)).await;
    assert_eq!(dialog.body["messages"][1]["receipt"]["flag"], "green-check", "{}", dialog.body);

    // The journal on 115's services, newest first: the reply, then the citizen's message.
    let journal = call(&api, "POST", "/v1/journal", "limit=1", &[staff(nurse())], Some(json!({"citizen": CITIZEN, "department": "115"}))).await;
    assert_eq!((journal.status, journal.body["entries"][0]["messageId"].as_str()), (200, Some("r-1")), "{}", journal.body);
    let cursor = journal.body["nextCursor"].as_str().expect("a second page").to_string();
    let page2 = call(&api, "POST", "/v1/journal", &format!("limit=1&cursor={cursor}"), &[staff(nurse())], Some(json!({"citizen": CITIZEN, "department": "115"}))).await;
    assert_eq!((page2.body["entries"][0]["messageId"].as_str(), &page2.body["nextCursor"]), (Some("hn-1"), &Value::Null));

    // Refusals and edges through the real binary.
    let other = call(&api, "GET", "/v1/departments/116/inbox", "", &[staff(nurse())], None).await;
    assert_eq!(other.body["code"], "R-ACC-2");
    let links = json!({"links": {"nursingServiceArea": true, "administrativeJournal": true}});
    let act = call(&api, "PUT", "/v1/activations/116/HS", "", &[staff(nurse())], Some(links)).await;
    assert_eq!((act.status, act.body["code"].as_str()), (403, Some("R-ACT-3")));
    let malformed = call(&api, "POST", "/v1/journal", "", &[staff(nurse())], None).await;
    assert_eq!((malformed.status, malformed.body["code"].as_str()), (400, Some("malformed-request")));
    let big = json!({"citizen": CITIZEN, "department": "115", "pad": "x".repeat(6 * 1024 * 1024)});
    let oversize = call(&api, "POST", "/v1/journal", "", &[staff(nurse())], Some(big)).await;
    assert_eq!((oversize.status, oversize.body["code"].as_str()), (413, Some("payload-too-large")));
    let no_staff = call(&api, "GET", "/v1/departments/115/inbox", "", &[], None).await;
    assert_eq!(no_staff.status, 400);

    // Activation by an administrator, through the rule, awaiting the next sync (R-ACT-4).
    let adm = json!({"staffId": "adm-1", "functions": ["digihelse_adm"], "departments": ["115", "116"]}).to_string();
    let links = json!({"links": {"nursingServiceArea": true, "administrativeJournal": true}});
    let act = call(&api, "PUT", "/v1/activations/116/HS", "", &[staff(adm.clone())], Some(links)).await;
    assert_eq!((act.status, act.body["state"].as_str()), (200, Some("awaiting-sync")), "{}", act.body);
    let list = call(&api, "GET", "/v1/activations", "", &[staff(adm.clone())], None).await;
    assert_eq!(list.body["activations"].as_array().map(Vec::len), Some(2));
    let off = call(&api, "DELETE", "/v1/activations/116/HS", "", &[staff(adm)], None).await;
    assert_eq!((off.status, off.body["wasActive"].as_bool()), (200, Some(true)));

    let logs = api.logs();
    assert!(!logs.contains(CITIZEN), "no national id in the logs");
    assert!(!logs.contains("Vi kommer kl. 10."), "no message text in the logs");
    api.stop().await;
    inbound.stop().await;
}

/// The EPJ ports' contract, on any adapter.
async fn epj_ports<T: TakeOverStore + ActivationAdmin + RecordCardStore, A: ActivationStore>(epj: &T, activations: &A, tag: &str) {
    let dept = "115".parse().unwrap();
    let first = TakeOver { department: "115".parse().unwrap(), message_id: format!("{tag}-m1"), staff_id: "s1".into(), at: ts("2026-03-01T10:00:00Z") };
    assert_eq!(epj.take_over(&first).await.unwrap(), first);
    let second = TakeOver { staff_id: "s2".into(), at: ts("2026-03-01T11:00:00Z"), ..first.clone() };
    assert_eq!(epj.take_over(&second).await.unwrap(), first, "the first take-over stands");
    assert_eq!(epj.taken_over(&dept).await.unwrap(), vec![first]);
    assert!(epj.taken_over(&"116".parse().unwrap()).await.unwrap().is_empty());

    let key = ServiceKey::parse("117", "HS").unwrap();
    let adm = StaffProfile { staff_id: "adm".into(), functions: [StaffFunction::DigihelseAdm].into(), departments: Default::default(), aj_departments: Default::default() };
    let links = CodeListLinks { nursing_service_area: true, administrative_journal: true };
    let activated = Activation::activate(key.clone(), links, &adm, ts("2026-03-01T10:00:00Z")).unwrap();
    activations.activate(&activated).await.unwrap();
    assert!(epj.activation_list().await.unwrap().iter().any(|a| a.key == key && a.synced_at.is_none()));
    let d = Deactivated { key: key.clone(), deactivated_by: "adm".into(), deactivated_at: ts("2026-03-02T10:00:00Z") };
    assert!(epj.deactivate(&d).await.unwrap());
    assert!(!epj.deactivate(&d).await.unwrap(), "nothing left to deactivate");
    assert!(!epj.activation_list().await.unwrap().iter().any(|a| a.key == key));

    let citizen = id(CITIZEN);
    let card: BTreeSet<ServiceKey> = [service(), ServiceKey::parse("115", "PRAKT").unwrap()].into();
    epj.put_record_card(&citizen, &card).await.unwrap();
    let smaller: BTreeSet<ServiceKey> = [ServiceKey::parse("115", "PRAKT").unwrap()].into();
    epj.put_record_card(&citizen, &smaller).await.unwrap();
}

#[tokio::test]
async fn epj_ports_on_memory() {
    let db = MemoryDb::new();
    let epj = MemoryEpj::new(db.clone());
    epj_ports(&epj, &db, "mem").await;
    assert_eq!(db.state().citizens[&id(CITIZEN)].record_card.len(), 1, "the card is replaced");
}

#[tokio::test]
async fn epj_ports_on_dynamodb() {
    let stack = LocalStack::provision("cepj");
    let client = Ddb::new(&sdk_config().await);
    let store = Dynamo::new(client.clone(), stack.tables());
    epj_ports(&DynamoEpj::new(client, stack.tables()), &store, &stack.prefix).await;
    use shared::ports::GateReader;
    let (citizen, hs, prakt) = (id(CITIZEN), service(), ServiceKey::parse("115", "PRAKT").unwrap());
    assert!(store.gate_facts(&citizen, &hs, None).await.unwrap().citizen.is_none(), "the card is replaced: HS is gone");
    let facts = store.gate_facts(&citizen, &prakt, None).await.unwrap();
    assert!(facts.citizen.is_some_and(|c| c.record_card.contains(&prakt)));
}

/// The demo's `events/epj-api/` files, in the demo's order, through the binary: each answers
/// what the demo shows (the citizen's KITH message and the AppRec through inbound-message).
#[tokio::test]
async fn the_demo_event_files_answer_as_the_demo_shows() {
    let stack = LocalStack::provision("epjevents");
    let store = Dynamo::new(Ddb::new(&sdk_config().await), stack.tables());
    store.put_citizen(&consented_citizen(CITIZEN, &service())).await.unwrap();
    fixtures::seed_usable_activation(&store, &service()).await.unwrap();
    store.put_her(&fixtures::her_entry()).await.unwrap();
    let inbound = LocalLambda::start("inbound-message", &stack.function_env("InboundMessageFunction")).await;
    let api = LocalLambda::start("epj-api", &stack.function_env("EpjApiFunction")).await;
    let file = |dir: &str, name: &str| -> Value {
        let path = e2e::stack::root().join(format!("events/{dir}/{name}.json"));
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"))).expect("an event")
    };
    assert!(failures(&inbound.invoke(file("inbound-message", "dialog-message")).await.unwrap()).is_empty());
    let answer = |resp: Value| -> (u16, Value) {
        let body = resp["body"].as_str().and_then(|b| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
        (resp["statusCode"].as_u64().unwrap_or(0) as u16, body)
    };
    for (name, status, code) in [
        ("inbox", 200, None),
        ("invalid-take-over-without-aj", 403, Some("R-ACC-3")),
        ("take-over", 200, None),
        ("invalid-reply-from-inbox", 403, Some("R-OUT-1")),
        ("reply", 202, None),
        ("invalid-inbox-other-department", 403, Some("R-ACC-2")),
        ("invalid-activation-without-adm", 403, Some("R-ACT-3")),
    ] {
        let (got, body) = answer(api.invoke(file("epj-api", name)).await.unwrap());
        assert_eq!((got, body["code"].as_str()), (status, code), "{name}: {body}");
    }
    let (_, dialog) = answer(api.invoke(file("epj-api", "dialog")).await.unwrap());
    assert_eq!(dialog["messages"][1]["receipt"]["status"], "sent", "{dialog}");
    assert!(failures(&inbound.invoke(file("inbound-message", "apprec-for-epj-api-reply")).await.unwrap()).is_empty());
    let (_, dialog) = answer(api.invoke(file("epj-api", "dialog")).await.unwrap());
    assert_eq!(dialog["messages"][1]["receipt"]["flag"], "green-check", "{dialog}");
    api.stop().await;
    inbound.stop().await;
}
