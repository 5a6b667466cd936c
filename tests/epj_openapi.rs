//! `openapi.yaml` against the epj-api function's code: every route the function serves is
//! documented with its method and every documented path is served, and the responses the
//! code sends (a scenario over every route, on the in-memory adapters) have the documented
//! shape: required keys present, no undocumented keys, types and enums as documented.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use shared::adapters::memory::{ManualClock, MemoryDb};
use shared::adapters::memory_epj::MemoryEpj;
use shared::app::epj_api::{EpjApi, ROUTES, Settings};
use shared::app::http::{HttpRequest, HttpResponse};
use shared::app::outbound::OutboundService;
use shared::app::pipeline::Pipeline;
use shared::domain::IdMode;
use shared::domain::dead_letter::{ParkedMessage, ParkedRecord};
use shared::domain::message::{Author, EntryKind, GRADING_AJ, InboxItem, JournalEntry};
use shared::domain::receipt::ReceiptFact;
use shared::fixtures::{CITIZEN, consented_citizen, dated, id, service, ts, usable_activation};
use shared::ports::{Delivery, MessageStore, OutboundStore, ParkedStore};

fn spec() -> Value {
    let text = std::fs::read_to_string(e2e::stack::root().join("openapi.yaml")).expect("openapi.yaml");
    serde_norway::from_str(&text).expect("openapi.yaml is YAML")
}

#[test]
fn every_served_route_is_documented_and_every_documented_route_is_served() {
    let spec = spec();
    assert_eq!(spec["openapi"].as_str().map(|v| v.starts_with("3.1")), Some(true));
    let mut documented = BTreeSet::new();
    for (path, item) in spec["paths"].as_object().expect("paths") {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                documented.insert((method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    let served: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p, _)| (m.to_string(), p.to_string())).collect();
    assert_eq!(served, documented);
}

/// `schema` with `$ref`s resolved against the document.
fn resolve<'a>(spec: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => resolve(spec, spec.pointer(r.trim_start_matches('#')).unwrap_or_else(|| panic!("{r} resolves"))),
        None => schema,
    }
}

fn type_ok(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => false,
    }
}

/// The structural check of `v` against `schema` (the subset of JSON Schema openapi.yaml uses).
fn check(spec: &Value, schema: &Value, v: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(spec, schema);
    if let Some(options) = schema.get("oneOf").and_then(Value::as_array) {
        return if options.iter().any(|s| check(spec, s, v, at).is_ok()) { Ok(()) } else { Err(format!("{at}: no oneOf matches {v}")) };
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        if !types.iter().any(|t| type_ok(t, v)) {
            return Err(format!("{at}: {v} is not {types:?}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !v.is_null() && !e.contains(v) {
            return Err(format!("{at}: {v} not in {e:?}"));
        }
    }
    if let Value::Object(map) = v {
        let props = schema.get("properties").and_then(Value::as_object);
        for r in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
            if !map.contains_key(r) {
                return Err(format!("{at}: required {r} missing"));
            }
        }
        for (k, val) in map {
            match props.and_then(|p| p.get(k)) {
                Some(s) => check(spec, s, val, &format!("{at}.{k}"))?,
                None if schema.get("additionalProperties") == Some(&Value::Bool(false)) => {
                    return Err(format!("{at}: {k} is not documented"));
                }
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(s)) = (v, schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check(spec, s, item, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

type Api = EpjApi<MemoryDb, MemoryEpj, MemoryDb, OutboundService<MemoryDb, MemoryDb, MemoryDb, MemoryDb, ManualClock>, ManualClock>;

fn api(db: &MemoryDb) -> Api {
    let clock = ManualClock::at(ts("2026-03-02T08:00:00Z"));
    let pipeline = Pipeline { messages: db.clone(), outbox: db.clone(), dead_letters: db.clone(), clock: clock.clone(), source_queue: "epj-api".into() };
    EpjApi {
        records: db.clone(),
        epj: MemoryEpj::new(db.clone()),
        parked: db.clone(),
        replies: OutboundService { gate: db.clone(), pipeline, id_mode: IdMode::Production },
        clock,
        settings: Settings { id_mode: IdMode::Production, ..Settings::default() },
    }
}

fn staff(functions: &[&str]) -> Value {
    json!({"staffId": "sykepleier-17", "functions": functions, "departments": ["115"],
        "roles": [{"role": "sykepleier", "gradings": ["AJ"], "departments": ["115"]}]})
}

fn req(method: &str, path: &str, staff: &Value, body: Option<Value>, headers: &[(&str, &str)]) -> HttpRequest {
    let mut r = HttpRequest::new(method, path, body.map(|b| b.to_string().into_bytes()).unwrap_or_default());
    r.headers.push(("x-epj-staff".into(), staff.to_string()));
    r.headers.extend(headers.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    r
}

async fn seed(db: &MemoryDb) {
    {
        let mut s = db.state();
        s.citizens.insert(id(CITIZEN), consented_citizen(CITIZEN, &service()));
        s.activations.insert(service(), usable_activation(&service()));
    }
    let at = ts("2026-03-01T10:00:00Z");
    let entry = |kind| JournalEntry {
        message_id: "m1".into(),
        citizen: id(CITIZEN),
        service: service(),
        kind,
        author: Author::Citizen,
        subject: "Spørsmål".into(),
        body: "Kan dere komme senere?".into(),
        grading: GRADING_AJ.into(),
        at,
    };
    let item = InboxItem {
        department: "115".parse().unwrap(),
        message_id: "m1".into(),
        citizen: id(CITIZEN),
        service: service(),
        kind: EntryKind::DialogMessage,
        subject: "Spørsmål".into(),
        grading: GRADING_AJ.into(),
        at,
    };
    let d = Delivery { inbox: vec![item], journal: vec![entry(EntryKind::DialogMessage)], ..Delivery::answers_only("m1", vec![], at) };
    db.record(&d).await.unwrap();
    let record = ParkedRecord {
        message_id: "0a1b2c3d-4e5f-6789".into(),
        source_queue: "InboundQueue".into(),
        kind: None,
        republished: 10,
        last_error: Some("store unavailable".into()),
        parked_at: at,
    };
    db.park(&ParkedMessage { record, body: "{}".into() }).await.unwrap();
}

#[tokio::test]
async fn every_response_the_code_sends_has_the_documented_shape() {
    let spec = spec();
    let db = MemoryDb::new();
    seed(&db).await;
    let api = api(&db);
    let les = staff(&["digihelse_les"]);
    let adm = staff(&["digihelse_adm", "0"]);
    let other = json!({"staffId": "s-2", "functions": ["digihelse_les"], "departments": ["115"],
        "roles": [{"role": "r", "gradings": ["AJ"], "departments": ["115"]}]});
    let reply = json!({"citizen": CITIZEN, "service": service(), "origin": "dialog-window", "subject": "Svar", "body": "Kl. 10."});
    let mut from_inbox = reply.clone();
    from_inbox["origin"] = "department-inbox".into();
    let links = json!({"links": {"nursingServiceArea": true, "administrativeJournal": true}});
    let unlinked = json!({"links": {"nursingServiceArea": false, "administrativeJournal": true}});
    let plan = json!({"citizen": CITIZEN, "service": service(), "assignments": [dated("a1", &service(), ts("2026-03-05T08:00:00Z"))]});
    let calls: Vec<(&str, HttpRequest)> = vec![
        ("/v1/departments/{department}/inbox", req("GET", "/v1/departments/115/inbox", &les, None, &[])),
        ("/v1/departments/{department}/inbox", req("GET", "/v1/departments/116/inbox", &les, None, &[])),
        ("/v1/departments/{department}/inbox/{messageId}/take-over", req("POST", "/v1/departments/115/inbox/m1/take-over", &les, None, &[])),
        ("/v1/departments/{department}/inbox/{messageId}/take-over", req("POST", "/v1/departments/115/inbox/m1/take-over", &other, None, &[])),
        ("/v1/departments/{department}/inbox/{messageId}/take-over", req("POST", "/v1/departments/115/inbox/x/take-over", &les, None, &[])),
        ("/v1/departments/{department}/inbox", req("GET", "/v1/departments/115/inbox", &les, None, &[])),
        ("/v1/departments/{department}/redate-flags", req("GET", "/v1/departments/115/redate-flags", &les, None, &[])),
        ("/v1/journal", req("POST", "/v1/journal", &les, Some(json!({"citizen": CITIZEN, "department": "115"})), &[])),
        ("/v1/journal", req("POST", "/v1/journal", &les, Some(json!({"citizen": CITIZEN, "department": "115", "x": 1})), &[])),
        ("/v1/replies", req("POST", "/v1/replies", &les, Some(reply.clone()), &[("idempotency-key", "r-1")])),
        ("/v1/replies", req("POST", "/v1/replies", &les, Some(from_inbox), &[("idempotency-key", "r-2")])),
        ("/v1/replies", req("POST", "/v1/replies", &les, Some(reply), &[])),
        ("/v1/dialog", req("POST", "/v1/dialog", &les, Some(json!({"citizen": CITIZEN, "service": service()})), &[])),
        ("/v1/activations", req("GET", "/v1/activations", &adm, None, &[])),
        ("/v1/activations", req("GET", "/v1/activations", &les, None, &[])),
        ("/v1/activations/{department}/{serviceType}", req("PUT", "/v1/activations/116/HS", &adm, Some(links), &[])),
        ("/v1/activations/{department}/{serviceType}", req("PUT", "/v1/activations/117/HS", &adm, Some(unlinked), &[])),
        ("/v1/activations/{department}/{serviceType}", req("DELETE", "/v1/activations/116/HS", &adm, None, &[])),
        ("/v1/record-cards", req("PUT", "/v1/record-cards", &les, Some(json!({"citizen": CITIZEN, "recordCard": [service()]})), &[])),
        ("/v1/work-plans", req("PUT", "/v1/work-plans", &les, Some(plan), &[])),
        ("/v1/support/parked", req("GET", "/v1/support/parked", &adm, None, &[])),
        ("/v1/support/parked", req("GET", "/v1/support/parked", &les, None, &[])),
    ];
    let mut ok_routes = BTreeSet::new();
    for (path, r) in calls {
        if path == "/v1/dialog" {
            db.apply_receipt("r-1", &ReceiptFact::Ok { at: ts("2026-03-02T08:01:00Z") }).await.unwrap();
        }
        let resp: HttpResponse = api.answer(&r).await;
        let method = r.method.to_ascii_lowercase();
        let documented = &spec["paths"][path][method.as_str()]["responses"][resp.status.to_string()];
        assert!(!documented.is_null(), "{} {path} answered {} which is not documented: {}", r.method, resp.status, resp.body);
        let documented = resolve(&spec, documented);
        let schema = &documented["content"]["application/json"]["schema"];
        assert!(!schema.is_null(), "{} {path} {} has a documented body", r.method, resp.status);
        if let Err(e) = check(&spec, schema, &resp.body, "body") {
            panic!("{} {path} {}: {e}", r.method, resp.status);
        }
        if resp.status < 300 {
            ok_routes.insert((r.method.clone(), path));
        }
    }
    assert_eq!(ok_routes.len(), ROUTES.len(), "every route answered a success: {ok_routes:?}");
}

#[test]
fn the_checker_finds_an_undocumented_key_and_a_missing_one() {
    let spec = spec();
    let error = json!({"$ref": "#/components/schemas/Error"});
    assert!(check(&spec, &error, &json!({"code": "R-ACC-1", "message": "m"}), "b").is_ok());
    assert!(check(&spec, &error, &json!({"code": "R-ACC-1"}), "b").is_err());
    assert!(check(&spec, &error, &json!({"code": "R-ACC-1", "message": "m", "extra": 1}), "b").is_err());
}
