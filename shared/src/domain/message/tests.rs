//! Tests of `message`.

use super::*;

const DIALOG: &str = r#"{"version":1,"messageId":"hn-1","sentAt":"2026-03-01T10:00:00Z",
  "message":{"kind":"dialog-message","citizen":"30108299920","sender":{"role":"citizen"},
  "service":{"department":"115","serviceType":"HS"},"subject":"Hei","body":"Tekst"}}"#;

#[test]
fn r_in_1_envelope_parses_each_kind() {
    let e = parse_envelope(DIALOG).unwrap();
    assert_eq!(e.message.kind(), "dialog-message");
    let cancel = r#"{"version":1,"messageId":"hn-2","sentAt":"2026-03-01T10:00:00Z",
      "message":{"kind":"cancel-period","citizen":"30108299920","sender":{"role":"citizen"},
      "service":{"department":"115","serviceType":"HS"},"from":"2026-03-02","to":"2026-03-04"}}"#;
    assert_eq!(parse_envelope(cancel).unwrap().message.kind(), "cancel-period");
    let apprec = r#"{"version":1,"messageId":"hn-3","sentAt":"2026-03-01T10:00:00Z",
      "message":{"kind":"apprec","answersMessageId":"out-1","status":"ok"}}"#;
    assert_eq!(parse_envelope(apprec).unwrap().message.kind(), "apprec");
}

#[test]
fn envelope_errors_do_not_quote_input() {
    let unknown = DIALOG.replace("\"subject\"", "\"extra\":\"30108299920\",\"subject\"");
    let e = parse_envelope(&unknown).unwrap_err();
    assert!(matches!(e, EnvelopeError::Malformed(_)), "{e}");
    let wrong_type = DIALOG.replace("\"Tekst\"", "42");
    let e = parse_envelope(&wrong_type).unwrap_err().to_string();
    assert!(!e.contains("30108299920"));
    assert_eq!(
        parse_envelope(&DIALOG.replace("\"version\":1", "\"version\":2")),
        Err(EnvelopeError::UnsupportedVersion(2))
    );
    assert_eq!(parse_envelope(&DIALOG.replace("hn-1", "")), Err(EnvelopeError::MessageId));
    assert!(matches!(parse_envelope("{"), Err(EnvelopeError::Malformed(_))));
    let no_id_leak = parse_envelope(r#"{"version":1,"messageId":"x","sentAt":"30108299920"}"#).unwrap_err();
    assert!(!no_id_leak.to_string().contains("30108299920"), "{no_id_leak}");
    let field = parse_envelope(&DIALOG.replace("\"subject\"", "\"priority\":1,\"subject\"")).unwrap_err();
    assert!(field.to_string().contains("`priority`"), "field names are kept: {field}");
    let key_id = parse_envelope(&DIALOG.replace("\"subject\"", "\"30108299920\":1,\"subject\"")).unwrap_err();
    assert!(!key_id.to_string().contains("30108299920"), "digits in keys are cut: {key_id}");
}

#[test]
fn head_is_read_from_a_broken_message() {
    let h = envelope_head(r#"{"messageId":"hn-9","message":{"kind":"dialog-message","citizen":5}}"#);
    assert_eq!(h.message_id.as_deref(), Some("hn-9"));
    assert_eq!(h.kind.as_deref(), Some("dialog-message"));
    assert_eq!(envelope_head("not json"), EnvelopeHead { message_id: None, kind: None });
    assert_eq!(envelope_head(r#"{"messageId":"<script>"}"#).message_id, None);
}

#[test]
fn text_limits_and_control_characters() {
    assert_eq!(check_text("Hei", "linje 1\nlinje 2\tx"), Ok(()));
    assert_eq!(check_text("", "b"), Err(TextError::SubjectLength));
    assert_eq!(check_text("s", &"b".repeat(MAX_BODY_CHARS + 1)), Err(TextError::BodyLength));
    assert_eq!(check_text("s", &"b".repeat(MAX_BODY_CHARS)), Ok(()));
    assert_eq!(check_text("s\u{0007}", "b"), Err(TextError::ControlCharacters));
    assert_eq!(check_text("<script>alert(1)</script>", "'; DROP TABLE x; --"), Ok(()), "markup is data");
}

proptest::proptest! {
    #[test]
    fn envelope_parser_never_panics(s in "\\PC{0,300}") {
        let _ = parse_envelope(&s);
        let _ = envelope_head(&s);
    }
}
