//! outbound-reply's KITH side on in-memory adapters: a staff reply leaves as MsgHead +
//! Dialogmelding 1.1 with `ConversationRef` to the citizen's message, and Helsenorge's AppRec
//! (KITH XML, on the inbound edge) sets the reply's receipt status (R-OUT-2/3/4).

use jiff::SignedDuration;
use shared::adapters::her_directory::MemoryHerDirectory;
use shared::adapters::kith_outbox::KithOutbox;
use shared::adapters::memory::{ManualClock, MemoryDb};
use shared::app::inbound::InboundService;
use shared::app::kith_inbound::{KithInboundService, Transport};
use shared::app::outbound::OutboundService;
use shared::app::pipeline::{Answered, Pipeline};
use shared::domain::IdMode;
use shared::domain::message::OutMessage;
use shared::domain::receipt::OutboundStatus;
use shared::fixtures::{CITIZEN, consented_citizen, id, service, ts, usable_activation};
use shared::kith::codes::MsgFunction;
use shared::kith::msghead::{Content, KithDocument, read_document};
use shared::kith::{Organisation, ReadLimits};
use shared::ports::OutboundStore;

type Outbox = KithOutbox<MemoryDb, MemoryHerDirectory, ManualClock>;

fn directory() -> MemoryHerDirectory {
    MemoryHerDirectory {
        entries: vec![shared::fixtures::her_entry()],
    }
}

fn helsenorge() -> Organisation {
    let mut hn = Organisation::with_her("Norsk helsenett SF", "90001");
    hn.sub = Some(Box::new(Organisation::with_her("Helsenorge", "90002")));
    hn
}

fn pipeline(db: &MemoryDb, clock: &ManualClock, queue: &str) -> Pipeline<MemoryDb, Outbox, MemoryDb, ManualClock> {
    let outbox = KithOutbox { inner: db.clone(), directory: directory(), clock: clock.clone(), helsenorge: helsenorge() };
    Pipeline { messages: db.clone(), outbox, dead_letters: db.clone(), clock: clock.clone(), source_queue: queue.into() }
}

#[tokio::test]
async fn r_out_3_reply_goes_out_as_msghead_and_an_apprec_in_marks_it() {
    let db = MemoryDb::new();
    let clock = ManualClock::at(ts("2026-11-23T10:01:00Z"));
    {
        let mut s = db.state();
        s.citizens.insert(id(CITIZEN), consented_citizen(CITIZEN, &service()));
        s.activations.insert(service(), usable_activation(&service()));
    }
    let out = OutboundService { gate: db.clone(), pipeline: pipeline(&db, &clock, "OutboundQueue"), id_mode: IdMode::Production };
    let mut request = shared::fixtures::reply_request("epj-reply-1001", "115");
    request["inReplyTo"] = "6f1c2a10-0000-4000-8000-000000000001".into();
    request["attachments"] = serde_json::json!([{"name": "timeplan.pdf", "mediaType": "application/pdf", "content": "JVBERi0xLjQK"}]);
    let outcome = out.process(&request.to_string()).await.unwrap();
    let p = outcome.pending().unwrap();
    assert!(out.pipeline.send_pending(&[p]).await.unwrap().is_empty());

    let wire = db.state().sent.iter().find_map(|o| match &o.message { OutMessage::Wire(w) => Some(w.clone()), _ => None }).unwrap();
    let KithDocument::MsgHead(m) = read_document(wire.body.as_bytes(), ReadLimits::INBOUND).unwrap() else { panic!() };
    assert_eq!((m.function.clone(), m.msg_id.as_str()), (MsgFunction::Ekontakt, "epj-reply-1001"));
    let parent = "6f1c2a10-0000-4000-8000-000000000001".to_string();
    assert_eq!(m.conversation, Some((parent.clone(), parent)));
    assert_eq!((m.sender.most_specific_her(), m.receiver.most_specific_her()), (Some("80115"), Some("90002")));
    assert_eq!(m.patient.as_ref().and_then(|p| p.national_id()).map(|(i, _)| i), Some(CITIZEN));
    assert_eq!(m.dialog().unwrap().subject_and_text(), (Some("Svar om besøk"), Some("Vi kommer kl. 10 i morgen.")));
    assert_eq!(m.documents[1].content, Content::Base64(b"%PDF-1.4\n".to_vec()), "R-OUT-4: the content itself, base64");
    assert!(wire.attributes.contains(&("toHerId".into(), "90002".into())));

    // Helsenorge's AppRec 1.1 in, on the inbound edge: status 1 → receipt OK (green check).
    let inbound = KithInboundService {
        inbound: InboundService {
            gate: db.clone(),
            appointments: db.clone(),
            outbound: db.clone(),
            pipeline: pipeline(&db, &clock, "InboundQueue"),
            id_mode: IdMode::Production,
        },
        directory: directory(),
    };
    let apprec = std::fs::read_to_string(format!("{}/../events/kith/apprec-ok.xml", env!("CARGO_MANIFEST_DIR"))).unwrap();
    inbound.process(&apprec, &Transport::from_attributes([("messageFunction", "APPREC")])).await.unwrap();
    let reply = db.reply("epj-reply-1001").await.unwrap().unwrap();
    assert_eq!(reply.status(shared::ports::Clock::now(&clock), SignedDuration::from_hours(1)), OutboundStatus::ReceiptOk);
}
