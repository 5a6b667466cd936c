//! The EPJ API's writing routes on the in-memory adapters (replies, activations, pushes) and
//! support's view, with the edges every route shares (see `tests.rs` for the set-up).

use serde_json::{Value, json};

use super::tests::{code_of, inbound, nurse, reply_body, reply_req, req, staff_with, world};
use crate::app::http::HttpRequest;
use crate::fixtures::{CITIZEN, dated, id, service, ts};
use crate::ports::OutboundStore;

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
async fn r_out_1_a_key_reused_for_another_reply_is_refused_not_sent() {
    let w = world();
    assert_eq!(w.api.answer(&reply_req("r-1", &nurse(), reply_body("dialog-window"))).await.status, 202);
    let mut other = reply_body("dialog-window");
    other["service"] = json!({"department": "115", "serviceType": "PRAKT"});
    assert_eq!(code_of(&w, reply_req("r-1", &nurse(), other)).await, (409, "idempotency-key-reused".into()));
    assert_eq!(w.db.state().sent.iter().filter(|o| o.id == "r-1.message").count(), 1);
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

#[tokio::test]
async fn r_apt_5_a_redating_that_moves_a_cancelled_visit_raises_a_flag_readable_per_department() {
    use crate::app::inbound::InboundService;
    use crate::app::pipeline::Pipeline;
    let w = world();
    let push = |at: &str| json!({"citizen": CITIZEN, "service": service(), "assignments": [dated("a2", &service(), ts(at))]});
    assert_eq!(w.api.answer(&req("PUT", "/v1/work-plans", &nurse(), Some(push("2026-03-03T08:30:00Z")))).await.status, 200);
    let inbound = InboundService {
        gate: w.db.clone(),
        appointments: w.db.clone(),
        outbound: w.db.clone(),
        pipeline: Pipeline { messages: w.db.clone(), outbox: w.db.clone(), dead_letters: w.db.clone(), clock: w.clock.clone(), source_queue: "InboundQueue".into() },
        id_mode: crate::domain::IdMode::Production,
    };
    let inbound = crate::app::kith_inbound::KithInboundService {
        inbound,
        directory: crate::adapters::her_directory::MemoryHerDirectory { entries: vec![crate::fixtures::her_entry()] },
    };
    let cancel = crate::fixtures::kith::cancel_appointment("hn-cancel", CITIZEN, &service(), "a2");
    let record = crate::fixtures::kith::record("s1", &cancel);
    assert!(inbound.handle_batch(&[record], 1).await.is_empty());
    let moved = w.api.answer(&req("PUT", "/v1/work-plans", &nurse(), Some(push("2026-03-05T08:30:00Z")))).await;
    assert_eq!(moved.body["redateFlags"][0]["cancellation"], "hn-cancel", "{}", moved.body);
    let flags = w.api.answer(&req("GET", "/v1/departments/115/redate-flags", &nurse(), None)).await;
    let items = flags.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the flag, not the cancellation: {}", flags.body);
    assert_eq!(items[0]["kind"], "redate-flag");
    let other = req("GET", "/v1/departments/116/redate-flags", &nurse(), None);
    assert_eq!(code_of(&w, other).await, (403, "R-ACC-2".into()));
}

#[tokio::test]
async fn r_acc_2_a_work_plan_for_another_department_is_refused() {
    let w = world();
    let other = crate::domain::ServiceKey::parse("116", "HS").unwrap();
    let plan = json!({"citizen": CITIZEN, "service": other, "assignments": [dated("a1", &other, ts("2026-03-05T08:00:00Z"))]});
    assert_eq!(code_of(&w, req("PUT", "/v1/work-plans", &nurse(), Some(plan))).await, (403, "R-ACC-2".into()));
    assert!(w.db.state().plans.is_empty());
}

#[tokio::test]
async fn r_acc_2_the_dialog_of_another_departments_service_is_refused() {
    let w = world();
    let body = json!({"citizen": CITIZEN, "service": {"department": "116", "serviceType": "HS"}});
    assert_eq!(code_of(&w, req("POST", "/v1/dialog", &nurse(), Some(body))).await, (403, "R-ACC-2".into()));
}

#[tokio::test]
async fn r_acc_1_take_over_without_digihelse_les_is_refused() {
    let w = world();
    inbound(&w.db, "m1", "2026-03-01T10:00:00Z").await;
    let r = req("POST", "/v1/departments/115/inbox/m1/take-over", &staff_with(&["digihelse_adm"], true), None);
    assert_eq!(code_of(&w, r).await, (403, "R-ACC-1".into()));
}
