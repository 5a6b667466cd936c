//! The claim check (issue 18; R-OUT-4 allows replies with 12 MB of attachments, SQS carries at
//! most 1 MiB and DynamoDB items 400 KB): a body larger than a threshold is kept as an object in
//! the encrypted body bucket, and the SQS message (or the stored answer) carries only its
//! reference — the message attribute [`CLAIM_ATTRIBUTE`] = `s3://{bucket}/{key}`. Readers accept
//! both forms. Pattern: "Claim Check", Hohpe & Woolf, Enterprise Integration Patterns.

/// The SQS message attribute holding the reference.
pub const CLAIM_ATTRIBUTE: &str = "claimCheck";

/// The SQS body sent with a reference (SQS refuses an empty body).
pub const CLAIMED_BODY: &str = "claim-check";

/// Bodies above this many bytes go by reference unless configured otherwise
/// (`CLAIM_CHECK_THRESHOLD_BYTES`): well under SQS's 1 MiB with the attributes, and under
/// DynamoDB's 400 KB item limit for stored answers.
pub const DEFAULT_THRESHOLD: usize = 200 * 1024;

/// Where a body is kept. Debug and Display show the reference (no content).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClaimRef {
    /// The bucket.
    pub bucket: String,
    /// The object key.
    pub key: String,
}

/// A reference that is not `s3://bucket/key`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a claim-check reference (s3://bucket/key)")]
pub struct NotAClaim;

impl ClaimRef {
    /// Reads `s3://bucket/key`.
    pub fn parse(text: &str) -> Result<Self, NotAClaim> {
        let rest = text.strip_prefix("s3://").ok_or(NotAClaim)?;
        let (bucket, key) = rest.split_once('/').ok_or(NotAClaim)?;
        if bucket.is_empty() || key.is_empty() || key.split('/').any(|p| p.is_empty() || p == "..") {
            return Err(NotAClaim);
        }
        Ok(Self { bucket: bucket.into(), key: key.into() })
    }
}

impl std::fmt::Display for ClaimRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// The object key for a body: `{kind}/{message id}` with anything outside `[A-Za-z0-9._-]`
/// replaced, so a message id never names another place (message ids are ours or the
/// counterpart's; a resend writes the same key).
pub fn object_key(kind: &str, message_id: &str) -> String {
    let safe: String = message_id.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    format!("{kind}/{safe}")
}

/// Whether a body of `len` bytes goes by reference.
pub fn by_reference(len: usize, threshold: usize) -> bool {
    len > threshold
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_out_4_a_reference_round_trips_and_nothing_else_reads_as_one() {
        let r = ClaimRef { bucket: "hd-bodies".into(), key: "to-helsenorge/epj-reply-1".into() };
        assert_eq!(ClaimRef::parse(&r.to_string()), Ok(r));
        for bad in ["", "s3://", "s3://b", "s3://b/", "s3:///k", "https://b/k", "s3://b/../k", "s3://b//k", "<MsgHead/>"] {
            assert_eq!(ClaimRef::parse(bad), Err(NotAClaim), "{bad}");
        }
        assert_eq!(object_key("out", "../a b/c"), "out/.._a_b_c");
        assert!(by_reference(DEFAULT_THRESHOLD + 1, DEFAULT_THRESHOLD) && !by_reference(DEFAULT_THRESHOLD, DEFAULT_THRESHOLD));
    }
}
