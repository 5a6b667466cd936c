//! Every route on the in-memory adapters: the happy path, each refusal by the rule it names,
//! malformed and unknown-field bodies, oversize bodies and pagination edges.

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
use crate::fixtures::{CITIZEN, consented_citizen, dated, id, service, ts, usable_activation};
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

fn reply_body(origin: &str) -> Value {
    json!({"citizen": CITIZEN, "service": service(), "origin": origin, "subject": "Svar", "body": "Vi kommer kl. 10."})
}

fn reply_req(key: &str, staff: &Value, body: Value) -> HttpRequest {
    let mut r = req("POST", "/v1/replies", staff, Some(body));
    r.headers.push(("idempotency-key".into(), key.into()));
    r
}

async fn code_of(w: &World, r: HttpRequest) -> (u16, String) {
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

// --- replies -----------------------------------------------------------------------------

#[tokio::test]
async fn r_out_1_a_reply_from_the_dialog_window_is_accepted_once_per_key() {
    let w = world();
    let first = w.api.answer(&reply_req("r-1", &nurse(), reply_body("dialog-window"))).await;
    assert_eq!((first.status, first.body["replyId"].as_str()), (202, Some("r-1")));
    let again = w.api.answer(&reply_req("r-1", &nurse(), reply_body("dialog-window"))).await;
    assert_eq!(again, first);
    let dialog_messages = w.db.state().sent.iter().filter(|o| o.id == "r-1.message").count();
    assert_eq!(dialog_messages, 1, "sent toward Helsenorge once");
    assert!(w.db.reply("r-1").await.unwrap().is_some());
}

#[tokio::test]
async fn r_out_1_a_reply_from_the_department_inbox_is_refused() {
    let w = world();
    let resp = w.api.answer(&reply_req("r-1", &nurse(), reply_body("department-inbox"))).await;
    assert_eq!((resp.status, resp.body["code"].as_str()), (403, Some("R-OUT-1")));
    let again = w.api.answer(&reply_req("r-1", &nurse(), reply_body("department-inbox"))).await;
    assert_eq!(again.body["code"], "R-OUT-1", "a repeat is answered with the refusal");
    assert!(w.db.reply("r-1").await.unwrap().is_none());
}

#[tokio::test]
async fn r_acc_1_a_reply_without_digihelse_les_is_refused() {
    let w = world();
    let r = reply_req("r-1", &staff_with(&["digihelse_adm"], true), reply_body("dialog-window"));
    assert_eq!(code_of(&w, r).await, (403, "R-ACC-1".into()));
}

#[tokio::test]
async fn r_acc_2_a_reply_for_another_department_is_refused() {
    let w = world();
    let mut b = reply_body("dialog-window");
    b["service"] = json!({"department": "116", "serviceType": "HS"});
    assert_eq!(code_of(&w, reply_req("r-1", &nurse(), b)).await, (403, "R-ACC-2".into()));
}

#[tokio::test]
async fn r_out_2_a_reply_to_a_citizen_without_consent_is_refused() {
    let w = world();
    w.db.state().citizens.clear();
    assert_eq!(code_of(&w, reply_req("r-1", &nurse(), reply_body("dialog-window"))).await, (422, "R-OUT-2".into()));
}

#[tokio::test]
async fn r_cit_6_a_reply_to_an_invalid_id_is_refused() {
    let w = world();
    let mut b = reply_body("dialog-window");
    b["citizen"] = "12345678901".into();
    assert_eq!(code_of(&w, reply_req("r-1", &nurse(), b)).await, (422, "R-CIT-6".into()));
}

#[tokio::test]
async fn r_out_4_attachments_over_12_mb_are_refused() {
    let mut w = world();
    w.api.settings.max_body_bytes = 20_000_000;
    let mut b = reply_body("dialog-window");
    b["attachments"] = json!([{"name": "a.pdf", "mediaType": "application/pdf", "content": "AAAA".repeat(4_000_001)}]);
    assert_eq!(code_of(&w, reply_req("r-1", &nurse(), b)).await, (422, "R-OUT-4".into()));
}

#[tokio::test]
async fn a_reply_without_idempotency_key_is_refused() {
    let w = world();
    let r = req("POST", "/v1/replies", &nurse(), Some(reply_body("dialog-window")));
    assert_eq!(code_of(&w, r).await, (400, "idempotency-key".into()));
}

// --- activations -------------------------------------------------------------------------

#[tokio::test]
async fn r_act_3_activation_by_an_administrator_is_stored_awaiting_sync() {
    let w = world();
    let admin = staff_with(&["digihelse_adm"], false);
    let links = json!({"links": {"nursingServiceArea": true, "administrativeJournal": true}});
    let resp = w.api.answer(&req("PUT", "/v1/activations/116/HS", &admin, Some(links))).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    assert_eq!((resp.body["state"].as_str(), resp.body["activatedBy"].as_str()), (Some("awaiting-sync"), Some("s-2")));
    assert_eq!(resp.body["syncedAt"], Value::Null);
    let list = w.api.answer(&req("GET", "/v1/activations", &admin, None)).await;
    assert_eq!(list.body["activations"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn r_act_3_activation_without_digihelse_adm_is_refused() {
    let w = world();
    let links = json!({"links": {"nursingServiceArea": true, "administrativeJournal": true}});
    let r = req("PUT", "/v1/activations/116/HS", &nurse(), Some(links));
    assert_eq!(code_of(&w, r).await, (403, "R-ACT-3".into()));
    assert_eq!(code_of(&w, req("GET", "/v1/activations", &nurse(), None)).await, (403, "R-ACT-3".into()));
    assert_eq!(code_of(&w, req("DELETE", "/v1/activations/115/HS", &nurse(), None)).await, (403, "R-ACT-3".into()));
}

#[tokio::test]
async fn r_act_2_activation_of_an_unlinked_service_type_is_refused() {
    let w = world();
    let links = json!({"links": {"nursingServiceArea": false, "administrativeJournal": true}});
    let r = req("PUT", "/v1/activations/116/HS", &staff_with(&["0"], false), Some(links));
    assert_eq!(code_of(&w, r).await, (422, "R-ACT-2".into()));
    assert!(!w.db.state().activations.contains_key(&crate::domain::ServiceKey::parse("116", "HS").unwrap()));
}

#[tokio::test]
async fn r_act_4_a_client_cannot_set_synced_at() {
    let w = world();
    let body = json!({"links": {"nursingServiceArea": true, "administrativeJournal": true}, "syncedAt": "2026-03-01T00:00:00Z"});
    let r = req("PUT", "/v1/activations/116/HS", &staff_with(&["digihelse_adm"], false), Some(body));
    assert_eq!(code_of(&w, r).await, (400, "malformed-request".into()));
}

#[tokio::test]
async fn r_act_1_deactivation_removes_exactly_that_pair_and_records_who() {
    let w = world();
    let admin = staff_with(&["digihelse_adm"], false);
    let resp = w.api.answer(&req("DELETE", "/v1/activations/115/HS", &admin, None)).await;
    assert_eq!((resp.status, resp.body["wasActive"].as_bool()), (200, Some(true)), "{}", resp.body);
    assert_eq!(resp.body["deactivatedBy"], "s-2");
    let again = w.api.answer(&req("DELETE", "/v1/activations/115/HS", &admin, None)).await;
    assert_eq!(again.body["wasActive"], false);
    assert_eq!(w.epj.state().deactivations.len(), 2);
    let refused = w.api.answer(&reply_req("r-1", &nurse(), reply_body("dialog-window"))).await;
    assert_eq!(refused.body["code"], "R-ACT-4", "no reply once deactivated");
}

// --- pushes ------------------------------------------------------------------------------

#[tokio::test]
async fn r_acc_2_a_record_card_is_replaced_keeping_consent() {
    let w = world();
    let card = json!({"citizen": CITIZEN, "recordCard": [{"department": "115", "serviceType": "PRAKT"}]});
    let resp = w.api.answer(&req("PUT", "/v1/record-cards", &nurse(), Some(card))).await;
    assert_eq!(resp.status, 200, "{}", resp.body);
    {
        let s = w.db.state();
        let c = &s.citizens[&id(CITIZEN)];
        assert!(c.has_consent(), "consent kept");
        assert_eq!(c.record_card.len(), 1);
    }
    let other = json!({"citizen": CITIZEN, "recordCard": [{"department": "116", "serviceType": "HS"}]});
    assert_eq!(code_of(&w, req("PUT", "/v1/record-cards", &nurse(), Some(other))).await, (403, "R-ACC-2".into()));
}

#[tokio::test]
async fn r_apt_5_a_pushed_plan_is_stored_and_its_flags_readable_per_department() {
    let w = world();
    let plan = json!({"citizen": CITIZEN, "service": service(), "assignments": [dated("a1", &service(), ts("2026-03-05T08:00:00Z"))]});
    let resp = w.api.answer(&req("PUT", "/v1/work-plans", &nurse(), Some(plan))).await;
    assert_eq!((resp.status, resp.body["assignments"].as_u64()), (200, Some(1)), "{}", resp.body);
    assert_eq!(w.db.state().plans.values().map(|p| p.len()).sum::<usize>(), 1);
    let flags = w.api.answer(&req("GET", "/v1/departments/115/redate-flags", &nurse(), None)).await;
    assert_eq!((flags.status, flags.body["items"].as_array().map(Vec::len)), (200, Some(0)));
    let mismatch = json!({"citizen": CITIZEN, "service": service(),
        "assignments": [dated("a1", &crate::domain::ServiceKey::parse("115", "PRAKT").unwrap(), ts("2026-03-05T08:00:00Z"))]});
    assert_eq!(code_of(&w, req("PUT", "/v1/work-plans", &nurse(), Some(mismatch))).await, (400, "assignment-service".into()));
}

// --- support -----------------------------------------------------------------------------

#[tokio::test]
async fn r_dlq_5_parked_messages_are_listed_without_bodies_and_ids_masked() {
    use crate::domain::dead_letter::{ParkedMessage, ParkedRecord};
    use crate::ports::ParkedStore;
    let w = world();
    let record = ParkedRecord {
        message_id: "0a1b2c3d-4e5f-6789".into(),
        source_queue: "InboundQueue".into(),
        kind: Some("dialog-message".into()),
        republished: 10,
        last_error: Some("store unavailable".into()),
        parked_at: ts("2026-03-01T12:00:00Z"),
    };
    w.db.park(&ParkedMessage { record, body: "SECRET BODY".into() }).await.unwrap();
    let resp = w.api.answer(&req("GET", "/v1/support/parked", &staff_with(&["0"], false), None)).await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.body["parked"][0]["messageId"], "0a1b…6789");
    assert!(!resp.body.to_string().contains("SECRET"));
    let nurse_asks = req("GET", "/v1/support/parked", &nurse(), None);
    assert_eq!(code_of(&w, nurse_asks).await, (403, "R-DLQ-4".into()));
}

// --- the edges ---------------------------------------------------------------------------

#[tokio::test]
async fn malformed_unknown_fields_oversize_and_missing_staff_are_coded() {
    let w = world();
    let mut r = req("POST", "/v1/journal", &nurse(), None);
    r.body = b"{not json".to_vec();
    assert_eq!(code_of(&w, r).await, (400, "malformed-request".into()));
    let r = req("POST", "/v1/journal", &nurse(), Some(json!({"citizen": CITIZEN, "department": "115", "extra": 1})));
    assert_eq!(code_of(&w, r).await, (400, "malformed-request".into()));
    let mut r = req("POST", "/v1/journal", &nurse(), None);
    r.body = vec![b' '; 64 * 1024 + 1];
    assert_eq!(code_of(&w, r).await, (413, "payload-too-large".into()));
    let no_staff = HttpRequest::new("GET", "/v1/departments/115/inbox", vec![]);
    assert_eq!(code_of(&w, no_staff).await, (400, "staff-invalid".into()));
    let mut bad = nurse();
    bad["staffId"] = "30108299920".into();
    assert_eq!(code_of(&w, req("GET", "/v1/departments/115/inbox", &bad, None)).await, (400, "staff-invalid".into()));
    let mut unknown = nurse();
    unknown["isAdmin"] = true.into();
    assert_eq!(code_of(&w, req("GET", "/v1/departments/115/inbox", &unknown, None)).await, (400, "staff-invalid".into()));
    assert_eq!(code_of(&w, req("GET", "/v1/nothing", &nurse(), None)).await, (404, "not-found".into()));
    assert_eq!(code_of(&w, req("DELETE", "/v1/journal", &nurse(), None)).await, (405, "method-not-allowed".into()));
    assert_eq!(code_of(&w, req("GET", "/v1/departments/1%201/inbox", &nurse(), None)).await, (400, "invalid-department".into()));
}
