//! Tests of `message`.

use super::*;

#[test]
fn json_errors_do_not_quote_input() {
    let e = serde_json::from_str::<InboundEnvelope>(r#"{"version":1,"messageId":"x","sentAt":"30108299920"}"#).unwrap_err();
    let text = describe_json_error(&e);
    assert!(!text.contains("30108299920"), "{text}");
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
