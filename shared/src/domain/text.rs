//! The text of a message, inbound or outbound: lengths and characters allowed.

use serde::{Deserialize, Serialize};

/// Longest subject, in characters (inbound and outbound).
pub const MAX_SUBJECT_CHARS: usize = 200;
/// Longest body, in characters (inbound and outbound).
pub const MAX_BODY_CHARS: usize = 20_000;

/// Checks the text of a message: 1..=200 characters of subject, 1..=20,000 of body, and no
/// control characters but line breaks and tabs.
pub fn check_text(subject: &str, body: &str) -> Result<(), TextError> {
    let bad_control = |s: &str| s.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'));
    if subject.trim().is_empty() || subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(TextError::SubjectLength);
    }
    if body.trim().is_empty() || body.chars().count() > MAX_BODY_CHARS {
        return Err(TextError::BodyLength);
    }
    if bad_control(subject) || bad_control(body) {
        return Err(TextError::ControlCharacters);
    }
    Ok(())
}

/// What is wrong with a message's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "kebab-case")]
pub enum TextError {
    /// Subject empty or too long.
    #[error("the subject must have 1 to 200 characters")]
    SubjectLength,
    /// Body empty or too long.
    #[error("the body must have 1 to 20000 characters")]
    BodyLength,
    /// Control characters other than line breaks and tabs.
    #[error("the text contains control characters")]
    ControlCharacters,
}
