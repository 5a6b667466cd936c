//! Every reportable error of the bridge (R-TR-3) at the sender on the real local RabbitMQ: the
//! Helsenorge peer sends a faulty delivery to `80115_async`, the built `helsenorge-bridge`
//! refuses it and the peer reads one new, empty-bodied message on its `{herId}_error` queue with
//! `errorCondition`, `errorDescription`, `originalMessageId` (and `errorConditionData` when
//! there are items), HER-ids swapped — as Helsenorge.Messaging sends it (docs/transport.md §1.5).
//! One test per rule, each a table of cases. The world is `tests/support/bridge_peer.rs`.

use helsenorge_bridge::amqp::AmqpOutbox;
use helsenorge_bridge::testkit::{self, Usage, Validity};
use e2e::bridge_peer::{Env, ReplaceHer, declare, from_helsenorge, listen, next, peer_settings, serial};
use e2e::stack::root;
use shared::domain::transport::TransportMessage;
use shared::fixtures::{CITIZEN, id};
use shared::ports::Inspect;
use shared::ports_transport::{AmqpSender, MessageProtection};

/// One faulty delivery and what the sender must read about it.
struct Case {
    name: &'static str,
    message: TransportMessage,
    /// The sender's HER-id (whose `_error` queue).
    sender: &'static str,
    condition: &'static str,
    description: &'static str,
    /// `errorConditionData`, when the report has items.
    data: Option<&'static str>,
}

fn ekontakt_xml() -> Vec<u8> {
    std::fs::read(root().join("events/kith/ekontakt.xml")).unwrap()
}

/// A message id unique to this run (leftovers of earlier runs never match).
fn unique(name: &str) -> String {
    format!("{name}-{}-{}", std::process::id(), jiff::Timestamp::now().as_millisecond())
}

/// Helsenorge's eKontakt sealed for us, `id` as its AMQP message id, `edit` applied.
fn sealed(e: &Env, id: &str, edit: impl FnOnce(&mut TransportMessage)) -> TransportMessage {
    let mut m = from_helsenorge(id, e.hn.protection().protect(&ekontakt_xml(), &e.us.encryption.cert_der()).unwrap());
    edit(&mut m);
    m
}

/// Sends every case and checks its report at the sender; nothing reaches the journal.
async fn reported(e: &Env, cases: Vec<Case>) {
    let senders: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.sender).collect();
    let mut errors: std::collections::BTreeMap<&str, _> = senders.iter().map(|s| (*s, listen(&format!("{s}_error")))).collect();
    let peer = AmqpOutbox::new(peer_settings("errors"));
    for c in cases {
        let original = c.message.message_id.clone().unwrap_or_default();
        peer.send("80115_async", &c.message).await.expect("broker accepted");
        let rx = errors.get_mut(c.sender).expect("listener");
        let r = next(rx, |m| m.app("originalMessageId").as_deref() == Some(original.as_str())).await;
        let name = c.name;
        assert_eq!(r.app("errorCondition").as_deref(), Some(c.condition), "{name}");
        let description = r.app("errorDescription").unwrap_or_default();
        assert!(description.starts_with(c.description), "{name}: {description:?}");
        assert_eq!(r.app("errorConditionData").as_deref(), c.data, "{name}");
        assert_eq!(r.app("toHerId").as_deref(), Some(c.sender), "{name}: to the sender");
        assert_eq!(r.to.as_deref(), Some(format!("{}_error", c.sender).as_str()), "{name}");
        assert_eq!(r.subject, c.message.subject, "{name}: the original message function");
        assert!(r.message_id.as_deref().is_some_and(|i| i.len() == 32 && i != original), "{name}: a new id, N format");
        assert!(r.body.is_empty(), "{name}: an empty body");
        if c.message.app("toHerId").as_deref() == Some("80115") {
            assert_eq!(r.app("fromHerId").as_deref(), Some("80115"), "{name}: HER-ids swapped");
        }
    }
    assert_eq!(e.store.journal(&id(CITIZEN)).await.unwrap().len(), 0, "nothing refused reached the journal");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_1_each_missing_header_field_is_named_in_one_invalid_field_value_report() {
    let _serial = serial().await;
    let e = Env::new("bridgeerr1").await;
    let _bridge = e.bridge(&[]);
    let missing = |field: &'static str, data: &'static str| {
        let id = unique(field);
        Case {
            name: field,
            message: sealed(&e, &id, |m| match field {
                "Label" => m.subject = None,
                "ContentType" => m.content_type = None,
                other => m.set_app(other, ""),
            }),
            sender: "90002",
            condition: "transport:invalid-field-value",
            description: "One or more fields are missing",
            data: Some(data),
        }
    };
    let cases = vec![
        missing("Label", "Label;"),
        missing("toHerId", "toHerId;"),
        missing("applicationTimeStamp", "applicationTimeStamp;"),
        missing("ContentType", "ContentType;"),
    ];
    reported(&e, cases).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_3_unknown_receiver_unsupported_content_unknown_sender_and_bad_xml_are_reported() {
    let _serial = serial().await;
    let e = Env::new("bridgeerr3").await;
    declare(&["90020"]);
    let _bridge = e.bridge(&[]);
    let bad_xml = e.hn.protection().protect(b"<MsgHead><unclosed></MsgHead>", &e.us.encryption.cert_der()).unwrap();
    let cases = vec![
        Case {
            name: "unknown receiver",
            message: sealed(&e, &unique("receiver"), |m| m.set_app("toHerId", "80999")),
            sender: "90002",
            condition: "transport:invalid-field-value",
            description: "Invalid receiver",
            data: Some("toHerId;80999;"),
        },
        Case {
            name: "not signed-and-enveloped",
            message: sealed(&e, &unique("content"), |m| m.content_type = Some("application/xml".into())),
            sender: "90002",
            condition: "transport:unsupported-message",
            description: "Unsupported content type",
            data: None,
        },
        Case {
            name: "sender without a profile",
            message: sealed(&e, &unique("nocert"), |m| m.set_app("fromHerId", "90020")),
            sender: "90020",
            condition: "transport:missing-certificate",
            description: "Certificate is missing",
            data: None,
        },
        Case {
            name: "not well-formed",
            message: from_helsenorge(&unique("xml"), bad_xml),
            sender: "90002",
            condition: "transport:not-well-formed-xml",
            description: "The payload is not well-formed XML",
            data: None,
        },
    ];
    reported(&e, cases).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_5_sender_her_id_other_than_the_documents_sender_is_a_spoofing_attack() {
    let _serial = serial().await;
    let e = Env::new("bridgeerr5").await;
    let _bridge = e.bridge(&[]);
    let apprec = std::fs::read(root().join("events/kith/apprec-ok.xml")).unwrap().replace_her();
    let spoofed = e.hn.protection().protect(&apprec, &e.us.encryption.cert_der()).unwrap();
    let cases = vec![Case {
        name: "spoofing",
        message: from_helsenorge(&unique("spoof"), spoofed),
        sender: "90002",
        condition: "abuse:spoofing-attack",
        description: "Sender HER-id does not match the message's sender",
        data: None,
    }];
    reported(&e, cases).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_7_payload_we_cannot_decrypt_or_signed_by_another_key_is_an_invalid_certificate() {
    let _serial = serial().await;
    let e = Env::new("bridgeerr7").await;
    let _bridge = e.bridge(&[]);
    let for_stranger = e.hn.protection().protect(&ekontakt_xml(), &e.stranger.encryption.cert_der()).unwrap();
    let by_stranger = e.stranger.protection().protect(&ekontakt_xml(), &e.us.encryption.cert_der()).unwrap();
    let case = |name: &'static str, body: Vec<u8>, description: &'static str| Case {
        name,
        message: from_helsenorge(&unique(name), body),
        sender: "90002",
        condition: "transport:invalid-certificate",
        description,
        data: None,
    };
    let cases = vec![
        case("encrypted for another key", for_stranger, "the message could not be decrypted with our certificate (serial "),
        case("signed by another key", by_stranger, "the signer is not the expected certificate"),
    ];
    reported(&e, cases).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_9_expired_not_yet_valid_or_wrong_usage_sender_certificate_is_reported() {
    let _serial = serial().await;
    let e = Env::new("bridgeerr9").await;
    declare(&["90010", "90011", "90012"]);
    let ca = testkit::ca("R-TR-9 CA").unwrap();
    let cert = |usage, validity| testkit::pem(&testkit::party(&ca, "sender", usage, validity).unwrap().cert);
    let profile = |her: u64, signing: String| serde_json::json!({"herId": her, "signingCertificate": signing});
    let _bridge = e.bridge_with(
        &[
            profile(90010, cert(Usage::Sign, Validity::EXPIRED)),
            profile(90011, cert(Usage::Sign, Validity::NOT_YET)),
            profile(90012, cert(Usage::Encrypt, Validity::NOW)),
        ],
        &[],
    );
    let from = |her: &'static str, condition, description| Case {
        name: her,
        message: sealed(&e, &unique(her), |m| m.set_app("fromHerId", her)),
        sender: her,
        condition,
        description,
        data: None,
    };
    let cases = vec![
        from("90010", "transport:expired-certificate", "Invalid end date"),
        from("90011", "transport:expired-certificate", "Invalid start date"),
        from("90012", "transport:invalid-certificate", "Invalid usage"),
    ];
    reported(&e, cases).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_3_without_from_her_id_nothing_can_be_reported_and_the_delivery_is_accepted() {
    let _serial = serial().await;
    let e = Env::new("bridgeerr3n").await;
    let mut bridge = e.bridge(&[]);
    let original = unique("nofrom");
    let message = sealed(&e, &original, |m| m.set_app("fromHerId", ""));
    AmqpOutbox::new(peer_settings("nofrom")).send("80115_async", &message).await.expect("broker accepted");
    let log = root().join(format!(".local/bridge-{}log", e.stack.prefix));
    let mut logged = false;
    for _ in 0..60 {
        if std::fs::read_to_string(&log).unwrap_or_default().contains("no error message can be routed") {
            logged = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    assert!(logged, "the bridge logged that no error message can be routed");
    let _ = bridge.kill().await;
    // Accepted, not released: nothing of it is left on our queue for another receiver.
    let mut ours = listen("80115_async");
    let left = tokio::time::timeout(std::time::Duration::from_secs(5), next(&mut ours, |m| m.message_id.as_deref() == Some(original.as_str()))).await;
    assert!(left.is_err(), "the delivery was accepted");
    assert_eq!(e.store.journal(&id(CITIZEN)).await.unwrap().len(), 0);
}
