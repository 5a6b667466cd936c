//! The outbound use case on in-memory adapters: authorization, limits, idempotency and the
//! receipt statuses, with the inbound use case feeding AppRecs back.

use jiff::SignedDuration;
use serde_json::{Value, json};
use shared::adapters::claim_check_answers::{AttachmentsBack, ClaimedAnswers};
use shared::adapters::memory::{ManualClock, MemoryDb};
use shared::adapters::memory_bodies::MemoryBodies;
use shared::app::inbound::InboundService;
use shared::app::outbound::{Outcome, OutboundService};
use shared::app::pipeline::{Answered, Pipeline, ProcessError};
use shared::domain::message::{Author, EntryKind, OutMessage};
use shared::domain::receipt::OutboundStatus;
use shared::domain::reply::{MAX_ATTACHMENTS_BYTES, ReplyOutcome, ReplyRefusal, ReplyResult};
use shared::domain::{IdMode, ServiceKey};
use shared::error::Retryable;
use shared::fixtures::{CITIZEN, consented_citizen, id, service, ts, usable_activation};
use shared::ports::{Inspect, OutboundStore};

/// As outbound-reply wires it: a reply's large attachments are recorded by reference
/// (the claim check, R-OUT-4) and read back before a resend.
type Outbound = OutboundService<MemoryDb, ClaimedAnswers<MemoryDb, MemoryBodies>, AttachmentsBack<MemoryDb, MemoryBodies>, MemoryDb, ManualClock>;
type Inbound = InboundService<MemoryDb, MemoryDb, MemoryDb, MemoryDb, MemoryDb, MemoryDb, ManualClock>;

fn pipeline(db: &MemoryDb, clock: &ManualClock, queue: &str) -> Pipeline<MemoryDb, MemoryDb, MemoryDb, ManualClock> {
    Pipeline {
        messages: db.clone(),
        outbox: db.clone(),
        dead_letters: db.clone(),
        clock: clock.clone(),
        source_queue: queue.into(),
    }
}

fn setup() -> (Outbound, Inbound, MemoryDb, ManualClock) {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-03-01T10:00:00Z"));
    {
        let mut s = db.state();
        s.citizens.insert(id(CITIZEN), consented_citizen(CITIZEN, &service()));
        s.activations.insert(service(), usable_activation(&service()));
    }
    let bodies = MemoryBodies::new("bodies");
    let outbound = Pipeline {
        messages: ClaimedAnswers { inner: db.clone(), store: bodies.clone(), threshold: 200 * 1024 },
        outbox: AttachmentsBack { inner: db.clone(), store: bodies },
        dead_letters: db.clone(),
        clock: clock.clone(),
        source_queue: "OutboundQueue".into(),
    };
    let out = OutboundService { gate: db.clone(), pipeline: outbound, id_mode: IdMode::Production };
    let inb = InboundService {
        gate: db.clone(),
        appointments: db.clone(),
        outbound: db.clone(),
        pipeline: pipeline(&db, &clock, "InboundQueue"),
        id_mode: IdMode::Production,
    };
    (out, inb, db, clock)
}

fn request(reply_id: &str) -> Value {
    shared::fixtures::reply_request(reply_id, "115")
}

async fn run(svc: &Outbound, body: &Value) -> Result<Outcome, ProcessError> {
    let outcome = svc.process(&body.to_string()).await?;
    if let Some(p) = outcome.pending() {
        assert!(svc.pipeline.send_pending(&[p]).await.unwrap().is_empty());
    }
    Ok(outcome)
}

fn results(db: &MemoryDb) -> Vec<ReplyResult> {
    db.state()
        .sent
        .iter()
        .filter_map(|o| match &o.message {
            OutMessage::ReplyResult(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn messages_to_helsenorge(db: &MemoryDb) -> usize {
    db.state().sent.iter().filter(|o| matches!(o.message, OutMessage::DialogMessage { .. })).count()
}

#[tokio::test]
async fn r_out_5_a_reply_is_one_message_to_helsenorge_which_notifies_the_citizen() {
    // Helsenorge sends the SMS or e-mail per the citizen's settings when the reply arrives: the
    // municipality sends the message and the EPJ's result, and no notification of its own.
    let (svc, _, db, _) = setup();
    run(&svc, &request("r-5")).await.unwrap();
    let sent: Vec<&'static str> = db
        .state()
        .sent
        .iter()
        .map(|o| match o.message {
            OutMessage::DialogMessage { .. } => "message",
            OutMessage::ReplyResult(_) => "result",
            OutMessage::Apprec(_) => "apprec",
            OutMessage::Wire(_) => "wire",
        })
        .collect();
    assert_eq!(sent, ["message", "result"]);
}

#[tokio::test]
async fn r_out_2_authorized_reply_is_journaled_recorded_sent_and_answered() {
    let (svc, _, db, _) = setup();
    assert!(matches!(run(&svc, &request("r-1")).await.unwrap(), Outcome::Sent(_)));
    assert_eq!(messages_to_helsenorge(&db), 1);
    assert_eq!(results(&db)[0].outcome, ReplyOutcome::Sent);
    let journal = db.journal(&id(CITIZEN)).await.unwrap();
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].kind, EntryKind::Reply);
    assert_eq!(journal[0].author, Author::Staff { staff_id: "sykepleier-17".into() });
    let stored = db.reply("r-1").await.unwrap().unwrap();
    assert_eq!(stored.status(ts("2026-03-01T10:01:00Z"), SignedDuration::from_hours(1)), OutboundStatus::Sent);
}

/// A request changed by `change` is refused with `refusal`: a result for the EPJ, nothing sent,
/// nothing journaled.
async fn refused_as(name: &str, change: impl Fn(&mut Value), refusal: ReplyRefusal) {
    let (svc, _, db, _) = setup();
    if name == "not-activated" {
        let mut s = db.state();
        let c = s.citizens.get_mut(&id(CITIZEN)).unwrap();
        c.record_card.insert(ServiceKey::parse("115", "PS").unwrap());
    }
    let mut r = request(&format!("r-{name}"));
    change(&mut r);
    let out = run(&svc, &r).await.unwrap();
    assert_eq!(out, Outcome::Refused(out.pending().unwrap().clone(), refusal.clone()), "{name}");
    let res = results(&db);
    assert_eq!(res.len(), 1, "{name}");
    assert_eq!(res[0].outcome, ReplyOutcome::Refused);
    assert_eq!(res[0].refusal.as_ref(), Some(&refusal));
    assert_eq!(messages_to_helsenorge(&db), 0, "{name}: nothing sent");
    assert!(db.state().journal.is_empty(), "{name}: nothing journaled");
    assert!(db.state().outbound.is_empty());
}

#[tokio::test]
async fn r_acc_1_a_reply_without_digihelse_les_is_a_refusal_for_the_epj() {
    refused_as("no-les", |r| r["staff"]["functions"] = json!(["digihelse_adm"]), ReplyRefusal::MissingDigihelseLes).await;
}

#[tokio::test]
async fn r_acc_2_a_reply_outside_the_profile_s_departments_is_a_refusal_for_the_epj() {
    refused_as("no-dept", |r| r["staff"]["departments"] = json!(["116"]), ReplyRefusal::NoDepartmentAccess).await;
}

#[tokio::test]
async fn r_out_1_a_reply_from_the_department_inbox_is_a_refusal_for_the_epj() {
    refused_as("inbox", |r| r["origin"] = json!("department-inbox"), ReplyRefusal::NotFromDialogWindow).await;
}

#[tokio::test]
async fn r_out_2_a_reply_to_an_invalid_id_without_consent_or_activation_is_a_refusal_for_the_epj() {
    let bad_id = ReplyRefusal::InvalidNationalId("the control digits of the national id are wrong".into());
    refused_as("bad-id", |r| r["citizen"] = json!("30108299921"), bad_id).await;
    refused_as("no-consent", |r| r["citizen"] = json!("02013299997"), ReplyRefusal::NoConsent).await;
    let other_type = |r: &mut Value| r["service"] = json!({"department": "115", "serviceType": "PS"});
    refused_as("not-activated", other_type, ReplyRefusal::NotActivated).await;
}

#[tokio::test]
async fn r_out_4_attachments_up_to_12_000_000_decoded_bytes_pass_and_one_byte_more_is_refused() {
    let (svc, _, db, _) = setup();
    // `size` bytes of content as base64 (a multiple of 3 plus 0..2, padded).
    let content = |size: u64| {
        let mut text = "AAAA".repeat((size / 3) as usize);
        text.push_str(["", "AA==", "AAA="][(size % 3) as usize]);
        text
    };
    let with = |id: &str, size: u64| {
        let mut r = request(id);
        r["attachments"] = json!([
            {"name": "a.pdf", "mediaType": "application/pdf", "content": content(size - 1000)},
            {"name": "b.png", "mediaType": "image/png", "content": content(1000)}
        ]);
        r
    };
    assert!(matches!(run(&svc, &with("r-max", MAX_ATTACHMENTS_BYTES)).await.unwrap(), Outcome::Sent(_)));
    let over = run(&svc, &with("r-over", MAX_ATTACHMENTS_BYTES + 1)).await.unwrap();
    assert!(matches!(over, Outcome::Refused(_, ReplyRefusal::AttachmentsTooLarge { total: 12_000_001 })));
    // 12,582,912 bytes (12 MiB) were accepted before: over 12 MB.
    let mib = run(&svc, &with("r-mib", 12 * 1024 * 1024)).await.unwrap();
    assert!(matches!(mib, Outcome::Refused(_, ReplyRefusal::AttachmentsTooLarge { total: 12_582_912 })));
    assert_eq!(messages_to_helsenorge(&db), 1);
}

#[tokio::test]
async fn r_out_2_a_redelivered_request_sends_once() {
    let (svc, _, db, _) = setup();
    assert!(matches!(run(&svc, &request("r-dup")).await.unwrap(), Outcome::Sent(_)));
    for _ in 0..4 {
        assert_eq!(run(&svc, &request("r-dup")).await.unwrap(), Outcome::Duplicate);
    }
    assert_eq!(messages_to_helsenorge(&db), 1);
    assert_eq!(db.journal(&id(CITIZEN)).await.unwrap().len(), 1);
}

#[tokio::test]
async fn r_out_3_receipt_ok_rejected_and_missing() {
    let (svc, inbound, db, clock) = setup();
    for r in ["r-ok", "r-rej", "r-missing"] {
        run(&svc, &request(r)).await.unwrap();
    }
    let apprec = |mid: &str, answers: &str, status: &str| {
        json!({"version": 1, "messageId": mid, "sentAt": "2026-03-01T10:05:00Z",
               "message": {"kind": "apprec", "answersMessageId": answers, "status": status,
                           "errors": if status == "rejected" { json!([{"code": "E35", "reason": "Ukjent"}]) } else { json!([]) }}})
    };
    // Domain input (the KITH edge's reading of AppRec documents is tested in kith_inbound.rs).
    for (mid, answers, status) in [("hn-a1", "r-ok", "ok"), ("hn-a2", "r-rej", "rejected")] {
        inbound.process_envelope(serde_json::from_value(apprec(mid, answers, status)).unwrap(), &|o| Some(o)).await.unwrap();
    }
    let deadline = SignedDuration::from_hours(1);
    let status = |id: &str, now| {
        let o = db.state().outbound[id].clone();
        o.status(now, deadline)
    };
    let soon = ts("2026-03-01T10:30:00Z");
    assert_eq!(status("r-ok", soon), OutboundStatus::ReceiptOk);
    assert_eq!(status("r-rej", soon), OutboundStatus::Rejected { reason: "E35: Ukjent".into() });
    assert_eq!(status("r-missing", soon), OutboundStatus::Sent);
    clock.set(ts("2026-03-01T11:00:01Z"));
    assert_eq!(status("r-missing", clock_now(&clock)), OutboundStatus::Missing);
    assert_eq!(status("r-ok", clock_now(&clock)), OutboundStatus::ReceiptOk, "a receipt never goes missing");
}

fn clock_now(c: &ManualClock) -> jiff::Timestamp {
    use shared::ports::Clock;
    c.now()
}

#[tokio::test]
async fn r_out_3_a_citizens_replies_newest_first() {
    let (svc, _, db, clock) = setup();
    for (i, r) in ["r-a", "r-b", "r-c"].iter().enumerate() {
        clock.set(ts("2026-03-01T10:00:00Z").checked_add(SignedDuration::from_mins(i as i64)).unwrap());
        run(&svc, &request(r)).await.unwrap();
    }
    let ids: Vec<String> = db.replies_of(&id(CITIZEN)).await.unwrap().into_iter().map(|o| o.message_id).collect();
    assert_eq!(ids, ["r-c", "r-b", "r-a"]);
}

#[tokio::test]
async fn malformed_request_with_an_id_is_refused_and_without_is_a_dead_letter() {
    let (svc, _, db, _) = setup();
    let mut r = request("r-bad");
    r["unexpected"] = json!(CITIZEN);
    let out = run(&svc, &r).await.unwrap();
    let Outcome::Refused(_, ReplyRefusal::InvalidRequest(why)) = out else { panic!("{out:?}") };
    assert!(!why.contains(CITIZEN), "{why}");
    let err = svc.process("{\"body\": \"secret\"").await.unwrap_err();
    assert!(!err.is_retryable());
    assert!(!err.to_string().contains("secret"));
    assert!(db.state().sent.iter().all(|o| !matches!(o.message, OutMessage::DialogMessage { .. })));
}
