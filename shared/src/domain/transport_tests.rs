use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

fn delivery() -> TransportMessage {
    let mut m = TransportMessage {
        message_id: Some("6f1c2a10-0000-4000-8000-000000000001".into()),
        subject: Some("DIALOG_INNBYGGER_EKONTAKT".into()),
        content_type: Some(SIGNED_AND_ENVELOPED.into()),
        ..TransportMessage::default()
    };
    m.set_app("fromHerId", "90002");
    m.set_app("toHerId", "80115");
    m.set_app("applicationTimeStamp", "2026-12-02T10:00:00Z");
    m
}

#[test]
fn r_tr_1_complete_header_is_read() {
    let h = TransportHeader::parse(&delivery()).unwrap();
    assert_eq!((h.from_her_id, h.to_her_id), (90002, 80115));
    assert_eq!(h.function, "DIALOG_INNBYGGER_EKONTAKT");
    assert_eq!(h.cpa_id, None);
}

#[test]
fn r_tr_1_typed_values_are_read_like_strings() {
    let mut m = delivery();
    m.application.insert("fromHerId".into(), PropValue::Int(90002));
    m.application.insert("applicationTimeStamp".into(), PropValue::Timestamp(1_795_430_000_000));
    let h = TransportHeader::parse(&m).unwrap();
    assert_eq!(h.from_her_id, 90002);
    assert_eq!(h.application_time_stamp, "2026-11-23T10:33:20Z");
}

#[test]
fn r_tr_1_each_missing_field_is_named() {
    for (field, strip) in [
        ("toHerId", (|m: &mut TransportMessage| { m.application.remove("toHerId"); }) as fn(&mut TransportMessage)),
        ("fromHerId", |m| { m.set_app("fromHerId", "0"); }),
        ("Label", |m| m.subject = Some(" ".into())),
        ("applicationTimeStamp", |m| { m.application.remove("applicationTimeStamp"); }),
        ("ContentType", |m| m.content_type = None),
    ] {
        let mut m = delivery();
        strip(&mut m);
        assert_eq!(TransportHeader::parse(&m), Err(TransportError::MissingFields(vec![field])), "{field}");
    }
}

#[test]
fn r_tr_1_all_missing_fields_are_reported_together() {
    let err = TransportHeader::parse(&TransportMessage::default()).unwrap_err();
    let Disposition::Report(r) = disposition(&err) else { panic!("reportable") };
    assert_eq!(r.condition.as_str(), "transport:invalid-field-value");
    assert_eq!(r.description, "One or more fields are missing");
    assert_eq!(r.data, vec!["toHerId", "fromHerId", "Label", "applicationTimeStamp", "ContentType"]);
}

#[test]
fn r_tr_6_addresses_follow_the_rabbitmq_dialect() {
    assert_eq!(receive_address("NHNTestServiceBus", "80115_async"), "/amq/queue/80115_async");
    assert_eq!(send_address("NHNTestServiceBus", "90002_error"), "/exchange/NHNTestServiceBus/90002_error");
    assert_eq!(send_address("", "90002_error"), "90002_error");
    assert_eq!(receive_address("", "80115_async"), "80115_async");
    let q = Queues::conventional(80115);
    assert_eq!((q.asynchronous.as_str(), q.synchronous.as_str(), q.error.as_str()), ("80115_async", "80115_sync", "80115_error"));
}

#[test]
fn r_tr_3_error_message_is_new_empty_and_swaps_the_her_ids() {
    let report = ErrorReport { condition: ErrorCondition::InvalidCertificate, description: "Invalid usage".into(), data: vec![] };
    let now = ts("2026-12-02T01:23:45Z");
    let e = error_message(&delivery(), "90002_error", &report, "0123456789abcdef0123456789abcdef", now).unwrap();
    assert!(e.body.is_empty());
    assert_eq!(e.message_id.as_deref(), Some("0123456789abcdef0123456789abcdef"));
    assert_eq!(e.to.as_deref(), Some("90002_error"));
    assert_eq!(e.subject.as_deref(), Some("DIALOG_INNBYGGER_EKONTAKT"));
    assert_eq!(e.app("fromHerId").as_deref(), Some("80115"));
    assert_eq!(e.app("toHerId").as_deref(), Some("90002"));
    assert_eq!(e.app("originalMessageId").as_deref(), Some("6f1c2a10-0000-4000-8000-000000000001"));
    assert_eq!(e.app("errorCondition").as_deref(), Some("transport:invalid-certificate"));
    assert_eq!(e.app("errorDescription").as_deref(), Some("Invalid usage"));
    assert_eq!(e.app("applicationTimeStamp").as_deref(), Some("2026-12-02T01:23:45Z"));
    assert_eq!(e.app("receiverTimeStamp").as_deref(), Some("12/02/2026 01:23:45"));
    assert_eq!(e.app("errorConditionData"), None);
}

#[test]
fn r_tr_3_condition_data_items_each_end_with_a_semicolon() {
    let report = disposition(&TransportError::MissingFields(vec!["Label", "ContentType"]));
    let Disposition::Report(report) = report else { panic!("reportable") };
    let e = error_message(&delivery(), "90002_error", &report, "id", ts("2026-12-02T00:00:00Z")).unwrap();
    assert_eq!(e.app("errorConditionData").as_deref(), Some("Label;ContentType;"));
}

#[test]
fn r_tr_3_no_error_message_without_a_sender() {
    let mut m = delivery();
    m.application.remove("fromHerId");
    let report = ErrorReport { condition: ErrorCondition::InvalidFieldValue, description: "x".into(), data: vec![] };
    assert_eq!(error_message(&m, "q", &report, "id", ts("2026-12-02T00:00:00Z")), None);
}

#[test]
fn r_tr_9_certificate_problems_map_as_the_library_maps_them() {
    let cond = |p: Vec<CertProblem>| match disposition(&TransportError::Certificate(p)) {
        Disposition::Report(r) => (r.condition, r.description),
        Disposition::Retry => panic!("reportable"),
    };
    assert_eq!(cond(vec![CertProblem::Expired]), (ErrorCondition::ExpiredCertificate, "Invalid end date".into()));
    assert_eq!(cond(vec![CertProblem::NotYetValid]), (ErrorCondition::ExpiredCertificate, "Invalid start date".into()));
    assert_eq!(cond(vec![CertProblem::WrongUsage]), (ErrorCondition::InvalidCertificate, "Invalid usage".into()));
    assert_eq!(
        cond(vec![CertProblem::Expired, CertProblem::WrongUsage]),
        (ErrorCondition::InvalidCertificate, "More than one error with certificate".into())
    );
}

#[test]
fn r_tr_4_transient_faults_are_retried_not_reported() {
    assert_eq!(disposition(&TransportError::Transient("SQS down".into())), Disposition::Retry);
    for e in [TransportError::NotWellFormed, TransportError::Security("bad".into()), TransportError::MissingCertificate, TransportError::UnsupportedContent] {
        assert!(matches!(disposition(&e), Disposition::Report(_)), "{e:?}");
    }
}

#[test]
fn r_tr_5_sender_must_match_the_document() {
    assert_eq!(sender_matches(90002, &["90001", "90002"]), Ok(()));
    let err = sender_matches(90003, &["90001", "90002"]).unwrap_err();
    let Disposition::Report(r) = disposition(&err) else { panic!("reportable") };
    assert_eq!(r.condition.as_str(), "abuse:spoofing-attack");
}

#[test]
fn r_tr_7_debug_never_shows_the_body() {
    let mut m = delivery();
    m.body = b"<MsgHead>30108299920</MsgHead>".to_vec();
    assert!(!format!("{m:?}").contains("30108299920"));
}
