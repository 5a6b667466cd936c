//! status-icon end to end: the function under the runtime-API emulator with API Gateway HTTP API
//! events, the HelseID key in moto's Secrets Manager, and the local fake of HelsenorgeAktiv and
//! HelseID (R-ICON-1..7).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::Client as Ddb;
use e2e::fake::{CLIENT_ID, Fake, Mode};
use e2e::sqs::http_event;
use e2e::stack::{root, sdk_config};
use e2e::{LocalLambda, LocalStack};
use serde_json::{Value, json};
use shared::adapters::aws::dynamo::Dynamo;
use shared::adapters::helsenorge;
use shared::config::HelsenorgeConfig;
use shared::domain::consent::{AktivFacts, CitizenRecord};
use shared::fixtures::{CITIZEN, CITIZEN_2032, REPRESENTATIVE, id, ts};
use shared::ports::AktivClient;

struct Env {
    fake: Fake,
    store: Dynamo,
    lambda: LocalLambda,
    helsenorge: HelsenorgeConfig,
}

async fn env(name: &str, deadline_ms: u64) -> Env {
    let stack = LocalStack::provision(name);
    let fake = Fake::start(SocketAddr::from(([127, 0, 0, 1], 0)), Fake::fixture(&root().join("events/helsenorge/aktiv.json")))
        .await
        .unwrap();
    let helsenorge = HelsenorgeConfig {
        aktiv_base_url: fake.base_url(),
        token_url: fake.token_url(),
        client_id: CLIENT_ID.into(),
        scope: "nhn:helsenorge.aktiv".into(),
        key_secret_name: String::new(),
    };
    let mut fn_env = stack.function_env_with_fake("StatusIconFunction", &fake);
    let helsenorge = HelsenorgeConfig { key_secret_name: fn_env["HELSEID_KEY_SECRET_NAME"].clone(), ..helsenorge };
    fn_env.insert("LOOKUP_DEADLINE_MS".into(), deadline_ms.to_string());
    let store = Dynamo::new(Ddb::new(&sdk_config().await), stack.tables());
    let lambda = LocalLambda::start("status-icon", &fn_env).await;
    Env { fake, store, lambda, helsenorge }
}


async fn call(e: &Env, path: &str, body: Value) -> (u16, Value) {
    let resp = e.lambda.invoke(http_event(path, &body.to_string())).await.expect("function answered");
    let status = resp["statusCode"].as_u64().unwrap_or(0) as u16;
    let body: Value = serde_json::from_str(resp["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
    (status, body)
}

fn facts(selv: bool, via: bool, fullmakt: bool) -> Value {
    json!({"erDigitaltAktivSelv": selv, "erDigitaltAktivViaAndre": via, "tildeltFullmakt": fullmakt})
}

/// One citizen's icon through the function, with NHN answering `f` (and, for R-ICON-1, the
/// local history of consent given, a message, consent withdrawn).
async fn icon_through_the_function(name: &str, nid: &str, f: Value, withdrawn_after_use: bool, icon: &str) {
    let e = env(name, 1000).await;
    if withdrawn_after_use {
        let mut rec = CitizenRecord::new(id(nid));
        rec.apply_sync(AktivFacts { er_digitalt_aktiv_selv: true, ..Default::default() }, ts("2026-01-01T02:00:00Z"));
        rec.last_message_at = Some(ts("2026-01-05T10:00:00Z"));
        rec.apply_sync(AktivFacts::default(), ts("2026-02-01T02:00:00Z"));
        e.store.put_citizen(&rec).await.unwrap();
    }
    assert!(nid.parse::<shared::domain::NationalId>().is_ok(), "{nid} is a valid test id");
    e.fake.set_facts(nid, f);
    let (status, body) = call(&e, "/status-icon", json!({"nationalId": nid})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["icon"], icon, "{nid}");
    assert!(body["tooltip"]["nb"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["tooltip"]["en"].as_str().is_some_and(|t| !t.is_empty()));
    e.lambda.stop().await;
}

#[tokio::test]
async fn r_icon_1_withdrawn_after_consent_and_a_message_through_the_function() {
    icon_through_the_function("icon1", "02013299997", facts(false, false, false), true, "not-digitally-active").await;
}

#[tokio::test]
async fn r_icon_2_digitally_active_through_the_function() {
    icon_through_the_function("icon2", CITIZEN, facts(true, false, false), false, "digitally-active").await;
}

#[tokio::test]
async fn r_icon_3_active_self_and_via_others_through_the_function() {
    icon_through_the_function("icon3", CITIZEN_2032, facts(true, true, false), false, "digitally-active-self-and-via-others").await;
}

#[tokio::test]
async fn r_icon_4_active_via_others_through_the_function() {
    icon_through_the_function("icon4", REPRESENTATIVE, facts(false, true, false), false, "digitally-active-via-others").await;
}

#[tokio::test]
async fn r_icon_5_lacks_consent_competence_active_self_through_the_function() {
    icon_through_the_function("icon5", "01010050053", facts(true, false, true), false, "lacks-consent-competence-active-self").await;
}

#[tokio::test]
async fn r_icon_6_lacks_consent_competence_not_active_self_through_the_function() {
    icon_through_the_function("icon6", "01010050134", facts(false, false, true), false, "lacks-consent-competence-not-active-self").await;
}

#[tokio::test]
async fn r_icon_7_no_consent_is_no_icon_through_the_function() {
    icon_through_the_function("icon7", "01010050215", facts(false, false, false), false, "no-icon").await;
}

#[tokio::test]
async fn r_icon_7_batch_of_1000_is_one_call_and_1001_is_refused() {
    let e = env("batch", 1000).await;
    let ids: Vec<&str> = (0..1000).map(|i| [CITIZEN, CITIZEN_2032, REPRESENTATIVE][i % 3]).collect();
    let (status, body) = call(&e, "/status-icons", json!({"nationalIds": ids})).await;
    assert_eq!(status, 200);
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 1000, "one answer per id");
    assert_eq!(results[0]["icon"], "digitally-active-self-and-via-others");
    assert_eq!(results[1]["nationalId"], CITIZEN_2032);
    assert_eq!(e.fake.stats().lookup_calls, 1, "1000 ids in one HelsenorgeAktiv call");
    let too_many: Vec<&str> = (0..1001).map(|_| CITIZEN).collect();
    let (status, body) = call(&e, "/status-icons", json!({"nationalIds": too_many})).await;
    assert_eq!(status, 400);
    assert!(body["error"].as_str().unwrap().contains("1000"));
    let (status, body) = call(&e, "/status-icon", json!({"nationalId": "30108299921"})).await;
    assert_eq!(status, 400);
    assert!(!body.to_string().contains("30108299921"), "the error does not echo the id: {body}");
    e.lambda.stop().await;
}

#[tokio::test]
async fn r_icon_7_a_hanging_upstream_is_answered_no_icon_within_the_deadline() {
    let e = env("hang", 1000).await;
    // A warm-up call fetches the token and fills the connection pool.
    assert_eq!(call(&e, "/status-icon", json!({"nationalId": CITIZEN})).await.0, 200);
    e.fake.set_mode(Mode::Hang, None);
    let started = Instant::now();
    let (status, body) = call(&e, "/status-icon", json!({"nationalId": CITIZEN})).await;
    let took = started.elapsed();
    println!("hanging HelsenorgeAktiv: answered in {took:?} with a 1 s deadline");
    assert_eq!(status, 200);
    assert_eq!(body["icon"], "no-icon");
    assert_eq!(body["reason"], "lookup-unavailable");
    assert!(took < Duration::from_secs(3), "took {took:?}");
    e.fake.set_mode(Mode::Fail, None);
    let (_, body) = call(&e, "/status-icon", json!({"nationalId": CITIZEN})).await;
    assert_eq!(body["reason"], "lookup-unavailable");
    e.lambda.stop().await;
}

#[tokio::test]
async fn helseid_token_is_fetched_once_for_50_concurrent_lookups_and_refreshed_after_expiry() {
    let e = env("token", 1000).await;
    e.lambda.stop().await;
    let client = helsenorge::from_config(&e.helsenorge, &sdk_config().await, Duration::from_secs(5)).await.unwrap();
    let ids = [id(CITIZEN)];
    let lookups = (0..50).map(|_| client.lookup(&ids));
    let results = futures::future::join_all(lookups).await;
    assert!(results.iter().all(Result::is_ok));
    let stats = e.fake.stats();
    assert_eq!(stats.token_requests, 1, "one token for 50 concurrent lookups");
    assert_eq!(stats.lookup_calls, 50);

    // Short-lived tokens are refreshed before they expire.
    e.fake.set_token_ttl(2);
    let client = helsenorge::from_config(&e.helsenorge, &sdk_config().await, Duration::from_secs(5)).await.unwrap();
    client.lookup(&ids).await.unwrap();
    assert_eq!(e.fake.stats().token_requests, 2);
    client.lookup(&ids).await.unwrap();
    assert_eq!(e.fake.stats().token_requests, 2, "still valid: cached");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    client.lookup(&ids).await.unwrap();
    assert_eq!(e.fake.stats().token_requests, 3, "refreshed after (shortly before) expiry");
    let facts: BTreeMap<String, bool> = client
        .lookup(&ids)
        .await
        .unwrap()
        .into_iter()
        .map(|(i, f)| (i.expose(), f.er_digitalt_aktiv_selv))
        .collect();
    assert!(facts[CITIZEN]);
}
