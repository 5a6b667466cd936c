//! Every route on the in-memory adapters: the happy path, each refusal by the rule it names,
//! malformed and unknown-field bodies, oversize bodies and pagination edges. Here the reading
//! routes and the shared set-up; `tests_writes.rs` has the routes that write.

use serde_json::{Value, json};

use super::{EpjApi, Settings};
use crate::adapters::memory::{ManualClock, MemoryDb};
use crate::adapters::memory_epj::MemoryEpj;
use crate::app::http::HttpRequest;
use crate::app::outbound::OutboundService;
use crate::app::pipeline::Pipeline;
use crate::domain::IdMode;
use crate::domain::message::{Author, EntryKind, GRADING_AJ, InboxItem, JournalEntry};
use crate::domain::receipt::ReceiptFact;
use crate::fixtures::{CITIZEN, consented_citizen, id, service, ts, usable_activation};
use crate::ports::{Clock, Delivery, MessageStore, OutboundStore};

type Replies = OutboundService<MemoryDb, MemoryDb, MemoryDb, MemoryDb, ManualClock>;
type Api = EpjApi<MemoryDb, MemoryEpj, MemoryDb, Replies, ManualClock>;

pub(super) struct World {
    pub api: Api,
    pub db: MemoryDb,
    pub epj: MemoryEpj,
    pub clock: ManualClock,
}

pub(super) fn world() -> World {
    let db = MemoryDb::new();
    let epj = MemoryEpj::new(db.clone());
    let clock = ManualClock::at(ts("2026-03-02T08:00:00Z"));
    {
        let mut s = db.state();
        s.citizens.insert(id(CITIZEN), consented_citizen(CITIZEN, &service()));
        s.activations.insert(service(), usable_activation(&service()));
    }
    let replies = OutboundService {
        gate: db.clone(),
        pipeline: Pipeline {
            messages: db.clone(),
            outbox: db.clone(),
            dead_letters: db.clone(),
            clock: clock.clone(),
            source_queue: "epj-api".into(),
        },
        id_mode: IdMode::Production,
    };
    let settings = Settings { max_body_bytes: 64 * 1024, ..Settings::default() };
    let api = EpjApi { records: db.clone(), epj: epj.clone(), parked: db.clone(), replies, clock: clock.clone(), settings };
    World { api, db, epj, clock }
}

/// A nurse on 115 with `digihelse_les` and an `AJ` role on 115.
pub(super) fn nurse() -> Value {
    json!({"staffId": "sykepleier-17", "functions": ["digihelse_les"], "departments": ["115"],
        "roles": [{"role": "sykepleier", "gradings": ["AJ"], "departments": ["115"]}]})
}

pub(super) fn staff_with(functions: &[&str], aj: bool) -> Value {
    let roles = if aj { json!([{"role": "r", "gradings": ["AJ"], "departments": ["115"]}]) } else { json!([]) };
    json!({"staffId": "s-2", "functions": functions, "departments": ["115"], "roles": roles})
}

pub(super) fn req(method: &str, path: &str, staff: &Value, body: Option<Value>) -> HttpRequest {
    let mut r = HttpRequest::new(method, path, body.map(|b| b.to_string().into_bytes()).unwrap_or_default());
    r.headers.push(("x-epj-staff".into(), staff.to_string()));
    r
}

/// An inbound message journaled on the citizen and delivered to 115's inbox (R-IN-1).
pub(super) async fn inbound(db: &MemoryDb, message_id: &str, at: &str) {
    let at = ts(at);
    let d = Delivery {
        inbox: vec![InboxItem {
            department: "115".parse().unwrap(),
            message_id: message_id.into(),
            citizen: id(CITIZEN),
            service: service(),
            kind: EntryKind::DialogMessage,
            subject: "Spørsmål".into(),
            grading: GRADING_AJ.into(),
            at,
        }],
        journal: vec![JournalEntry {
            message_id: message_id.into(),
            citizen: id(CITIZEN),
            service: service(),
            kind: EntryKind::DialogMessage,
            author: Author::Citizen,
            subject: "Spørsmål".into(),
            body: "Kan dere komme senere?".into(),
            grading: GRADING_AJ.into(),
            at,
        }],
        ..Delivery::answers_only(message_id, vec![], at)
    };
    db.record(&d).await.unwrap();
}

pub(super) fn reply_body(origin: &str) -> Value {
    json!({"citizen": CITIZEN, "service": service(), "origin": origin, "subject": "Svar", "body": "Vi kommer kl. 10."})
}

pub(super) fn reply_req(key: &str, staff: &Value, body: Value) -> HttpRequest {
    let mut r = req("POST", "/v1/replies", staff, Some(body));
    r.headers.push(("idempotency-key".into(), key.into()));
    r
}

pub(super) async fn code_of(w: &World, r: HttpRequest) -> (u16, String) {
    let resp = w.api.answer(&r).await;
    (resp.status, resp.body["code"].as_str().unwrap_or("").to_string())
}

// --- inbox -------------------------------------------------------------------------------

#[tokio::test]
async fn r_in_1_the_inbox_lists_newest_first_with_take_over_state() {
    let w = world();
    inbound(&w.db, "m1", "2026-03-01T10:00:00Z").await;
    inbound(&w.db, "m2", "2026-03-01T11:00:00Z").await;
    let resp = w.api.answer(&req("GET", "/v1/departments/115/inbox", &nurse(), None)).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let ids: Vec<&str> = resp.body["items"].as_array().unwrap().iter().map(|i| i["messageId"].as_str().unwrap()).collect();
    assert_eq!(ids, ["m2", "m1"]);
    assert_eq!(resp.body["items"][0]["takenOver"], Value::Null);
    assert_eq!(resp.body["items"][0]["grading"], "AJ");
    assert_eq!(resp.body["nextCursor"], Value::Null);
    assert!(resp.headers.iter().any(|(n, _)| n == "etag"));
}

#[tokio::test]
async fn r_in_1_inbox_pages_follow_the_cursor_to_the_end() {
    let w = world();
    for i in 0..5 {
        inbound(&w.db, &format!("m{i}"), &format!("2026-03-01T1{i}:00:00Z")).await;
    }
    let (mut seen, mut cursor) = (vec![], None::<String>);
    loop {
        let mut r = req("GET", "/v1/departments/115/inbox", &nurse(), None);
        r.query = match &cursor {
            Some(c) => format!("limit=2&cursor={c}"),
            None => "limit=2".into(),
        };
        let resp = w.api.answer(&r).await;
        assert_eq!(resp.status, 200);
        let items = resp.body["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|i| i["messageId"].as_str().unwrap().to_string()));
        match resp.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ["m4", "m3", "m2", "m1", "m0"]);
    for bad in ["limit=0", "limit=101", "cursor=xyz"] {
        let mut r = req("GET", "/v1/departments/115/inbox", &nurse(), None);
        r.query = bad.into();
        assert_eq!(w.api.answer(&r).await.status, 400, "{bad}");
    }
}

#[tokio::test]
async fn r_in_1_an_unchanged_inbox_poll_is_answered_304() {
    let w = world();
    inbound(&w.db, "m1", "2026-03-01T10:00:00Z").await;
    let first = w.api.answer(&req("GET", "/v1/departments/115/inbox", &nurse(), None)).await;
    let etag = first.headers.iter().find(|(n, _)| n == "etag").unwrap().1.clone();
    let mut again = req("GET", "/v1/departments/115/inbox", &nurse(), None);
    again.headers.push(("if-none-match".into(), etag.clone()));
    assert_eq!(w.api.answer(&again).await.status, 304);
    inbound(&w.db, "m2", "2026-03-01T11:00:00Z").await;
    assert_eq!(w.api.answer(&again).await.status, 200, "a new message changes the ETag");
}

#[tokio::test]
async fn r_acc_1_reading_the_inbox_without_digihelse_les_is_refused() {
    let w = world();
    let r = req("GET", "/v1/departments/115/inbox", &staff_with(&["digihelse_adm"], true), None);
    assert_eq!(code_of(&w, r).await, (403, "R-ACC-1".into()));
}

#[tokio::test]
async fn r_acc_2_reading_another_departments_inbox_is_refused() {
    let w = world();
    assert_eq!(code_of(&w, req("GET", "/v1/departments/116/inbox", &nurse(), None)).await, (403, "R-ACC-2".into()));
}

// --- take over ---------------------------------------------------------------------------

#[tokio::test]
async fn r_acc_3_take_over_is_recorded_once_and_shown_in_the_inbox() {
    let w = world();
    inbound(&w.db, "m1", "2026-03-01T10:00:00Z").await;
    let path = "/v1/departments/115/inbox/m1/take-over";
    let first = w.api.answer(&req("POST", path, &nurse(), None)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    w.clock.advance(jiff::SignedDuration::from_mins(5));
    let again = w.api.answer(&req("POST", path, &nurse(), None)).await;
    assert_eq!(again.body, first.body, "idempotent: the same take-over answers");
    let other = w.api.answer(&req("POST", path, &staff_with(&["digihelse_les"], true), None)).await;
    assert_eq!((other.status, other.body["code"].as_str()), (409, Some("taken-over-by-another")));
    assert_eq!(other.body["takenOver"]["staffId"], "sykepleier-17");
    let inbox = w.api.answer(&req("GET", "/v1/departments/115/inbox", &nurse(), None)).await;
    assert_eq!(inbox.body["items"][0]["takenOver"]["staffId"], "sykepleier-17");
    assert_eq!(w.epj.state().take_overs.len(), 1);
}

#[tokio::test]
async fn r_acc_3_take_over_without_aj_is_refused() {
    let w = world();
    inbound(&w.db, "m1", "2026-03-01T10:00:00Z").await;
    let r = req("POST", "/v1/departments/115/inbox/m1/take-over", &staff_with(&["digihelse_les"], false), None);
    assert_eq!(code_of(&w, r).await, (403, "R-ACC-3".into()));
    assert!(w.epj.state().take_overs.is_empty());
}

#[tokio::test]
async fn r_acc_3_take_over_of_an_unknown_item_is_404() {
    let w = world();
    let r = req("POST", "/v1/departments/115/inbox/nope/take-over", &nurse(), None);
    assert_eq!(code_of(&w, r).await, (404, "not-found".into()));
}

// --- journal and dialog ------------------------------------------------------------------

#[tokio::test]
async fn r_in_1_the_journal_lists_the_departments_entries_newest_first() {
    let w = world();
    inbound(&w.db, "m1", "2026-03-01T10:00:00Z").await;
    inbound(&w.db, "m2", "2026-03-01T11:00:00Z").await;
    let resp = w.api.answer(&req("POST", "/v1/journal", &nurse(), Some(json!({"citizen": CITIZEN, "department": "115"})))).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!(resp.body["entries"][0]["messageId"], "m2");
    assert_eq!(resp.body["entries"][1]["body"], "Kan dere komme senere?");
}

#[tokio::test]
async fn r_acc_2_the_journal_of_another_department_is_refused() {
    let w = world();
    let r = req("POST", "/v1/journal", &nurse(), Some(json!({"citizen": CITIZEN, "department": "116"})));
    assert_eq!(code_of(&w, r).await, (403, "R-ACC-2".into()));
}

#[tokio::test]
async fn r_cit_6_a_journal_for_an_invalid_id_is_refused() {
    let w = world();
    let r = req("POST", "/v1/journal", &nurse(), Some(json!({"citizen": "30108299921", "department": "115"})));
    let resp = w.api.answer(&r).await;
    assert_eq!((resp.status, resp.body["code"].as_str()), (422, Some("R-CIT-6")));
    assert!(!resp.body.to_string().contains("30108299921"), "never the id in the answer");
}

#[tokio::test]
async fn r_out_3_the_dialog_shows_each_replys_receipt_status() {
    let w = world();
    inbound(&w.db, "m1", "2026-03-01T10:00:00Z").await;
    let sent = w.api.answer(&reply_req("r-1", &nurse(), reply_body("dialog-window"))).await;
    assert_eq!(sent.status, 202, "{}", sent.body);
    let dialog = || req("POST", "/v1/dialog", &nurse(), Some(json!({"citizen": CITIZEN, "service": service()})));
    let resp = w.api.answer(&dialog()).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    let msgs = resp.body["messages"].as_array().unwrap();
    assert_eq!((msgs[0]["direction"].as_str(), msgs[1]["direction"].as_str()), (Some("inbound"), Some("outbound")));
    assert_eq!(msgs[1]["receipt"]["status"], "sent");
    w.db.apply_receipt("r-1", &ReceiptFact::Ok { at: w.clock.now() }).await.unwrap();
    let resp = w.api.answer(&dialog()).await;
    assert_eq!(resp.body["messages"][1]["receipt"]["status"], "receipt-ok");
    assert_eq!(resp.body["messages"][1]["receipt"]["flag"], "green-check");
}

#[tokio::test]
async fn r_out_3_a_reply_without_receipt_after_the_deadline_shows_missing() {
    let w = world();
    assert_eq!(w.api.answer(&reply_req("r-1", &nurse(), reply_body("dialog-window"))).await.status, 202);
    w.clock.advance(jiff::SignedDuration::from_mins(61));
    let resp = w.api.answer(&req("POST", "/v1/dialog", &nurse(), Some(json!({"citizen": CITIZEN, "service": service()})))).await;
    assert_eq!(resp.body["messages"][0]["receipt"]["flag"], "violet-flag");
}
