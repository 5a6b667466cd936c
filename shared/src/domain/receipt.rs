//! Application receipts (AppRec) and the receipt status of outbound replies (R-OUT-3).

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

/// KITH AppRec status (code list 8255: 1 OK, 2 rejected, 3 OK with error in part message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppRecStatus {
    /// 1: OK, the message was received and processed.
    Ok,
    /// 2: rejected, the message was not processed.
    Rejected,
    /// 3: OK with an error in a part message.
    OkWithErrors,
}

impl AppRecStatus {
    /// The KITH code value.
    pub fn code(self) -> u8 {
        match self {
            Self::Ok => 1,
            Self::Rejected => 2,
            Self::OkWithErrors => 3,
        }
    }
}

/// Error codes for AppRec (KITH code list 8221) that helsedialog uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum KithErrorCode {
    /// E10: invalid message (cannot be read or breaks the format).
    E10,
    /// E20: unknown recipient.
    E20,
    /// E21: wrong recipient (the service does not take DigiHelse messages).
    E21,
    /// E35: patient not found, or not receiving the service.
    E35,
    /// T01: transport error (technical fault on the way).
    T01,
}

impl KithErrorCode {
    /// The code as it stands in the AppRec (`"E35"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::E10 => "E10",
            Self::E20 => "E20",
            Self::E21 => "E21",
            Self::E35 => "E35",
            Self::T01 => "T01",
        }
    }

    /// The code list's own description.
    pub fn description(self) -> &'static str {
        match self {
            Self::E10 => "Ugyldig meldingsformat",
            Self::E20 => "Ukjent mottaker",
            Self::E21 => "Feil mottaker",
            Self::E35 => "Pasient finnes ikke / mottar ikke tjenesten",
            Self::T01 => "Transportfeil",
        }
    }
}

/// One error line of an AppRec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRecError {
    /// KITH 8221 code.
    pub code: KithErrorCode,
    /// A human-readable reason (Norwegian), without personal data.
    pub reason: String,
}

/// An application receipt, sent for every inbound message and received for every outbound one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AppRec {
    /// The id of the message this receipt answers.
    pub answers_message_id: String,
    /// OK / rejected / OK with errors.
    pub status: AppRecStatus,
    /// Error lines (empty when OK).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<AppRecError>,
}

impl AppRec {
    /// A plain OK receipt.
    pub fn ok(answers_message_id: impl Into<String>) -> Self {
        Self { answers_message_id: answers_message_id.into(), status: AppRecStatus::Ok, errors: vec![] }
    }

    /// A rejection with one coded reason.
    pub fn rejected(answers_message_id: impl Into<String>, code: KithErrorCode, reason: impl Into<String>) -> Self {
        Self {
            answers_message_id: answers_message_id.into(),
            status: AppRecStatus::Rejected,
            errors: vec![AppRecError { code, reason: reason.into() }],
        }
    }
}

/// What is known about an outbound message's receipt, as stored (R-OUT-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ReceiptFact {
    /// Handed to the outbox (or not yet tried), no AppRec yet.
    Awaiting,
    /// AppRec OK (status 1).
    Ok {
        /// When it arrived.
        at: Timestamp,
    },
    /// AppRec status 3: OK, with an error in a part message.
    OkWithErrors {
        /// When it arrived.
        at: Timestamp,
        /// The error lines of the AppRec (code and text).
        reason: String,
    },
    /// AppRec rejected (status 2).
    Rejected {
        /// When it arrived.
        at: Timestamp,
        /// Why (code and text from the AppRec).
        reason: String,
    },
    /// The last attempt to hand the message to the outbox failed; it stays so while it is
    /// retried, republished or parked, until a resend goes out or an AppRec arrives.
    SendFailed {
        /// When the attempt failed.
        at: Timestamp,
        /// Why, in words for staff (never internal error text).
        reason: String,
    },
}

impl ReceiptFact {
    /// Whether this is set by the sending side (no AppRec has arrived): only these may be
    /// replaced by a send attempt's outcome; an AppRec's fact is final.
    pub fn is_send_side(&self) -> bool {
        matches!(self, Self::Awaiting | Self::SendFailed { .. })
    }
}

/// The reason staff see when a message could not be handed on toward Helsenorge (R-OUT-3).
pub const SEND_FAILED_TEXT: &str = "Sendefeil: meldingen kunne ikke sendes til Helsenorge.";

/// The receipt status shown on an outbound message (R-OUT-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum OutboundStatus {
    /// Sent, no receipt yet, still within the deadline.
    Sent,
    /// Receipt OK (green check).
    ReceiptOk,
    /// AppRec status 3: received, with an error in a part message (its own mark, not the plain
    /// green check: staff should look at what failed).
    ReceiptOkWithErrors {
        /// The AppRec's error lines.
        reason: String,
    },
    /// AppRec rejected (red flag).
    Rejected {
        /// Why.
        reason: String,
    },
    /// The message could not be sent (failed, republished or parked): red flag.
    SendError {
        /// Why, for staff.
        reason: String,
    },
    /// No receipt arrived in time after it was sent (violet flag).
    Missing,
}

/// The mark the EPJ shows beside an outbound message (R-OUT-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Flag {
    /// Sent, waiting for the receipt: no mark yet.
    None,
    /// Receipt OK.
    GreenCheck,
    /// Receipt OK with an error in part (status 3).
    CheckWithWarning,
    /// Receipt rejected, or send error.
    RedFlag,
    /// Receipt missing.
    VioletFlag,
}

impl OutboundStatus {
    /// R-OUT-3: the mark shown for this status.
    pub fn flag(&self) -> Flag {
        match self {
            Self::Sent => Flag::None,
            Self::ReceiptOk => Flag::GreenCheck,
            Self::ReceiptOkWithErrors { .. } => Flag::CheckWithWarning,
            Self::Rejected { .. } | Self::SendError { .. } => Flag::RedFlag,
            Self::Missing => Flag::VioletFlag,
        }
    }
}

/// R-OUT-3: derives the status at read time from the sent time, the receipt fact and the
/// deadline, so no timer is needed to turn `Sent` into `Missing`. A message that could not be
/// sent is a send error (red), never "missing" (violet): its receipt cannot come.
pub fn outbound_status(sent_at: Timestamp, fact: &ReceiptFact, now: Timestamp, deadline: SignedDuration) -> OutboundStatus {
    match fact {
        ReceiptFact::Ok { .. } => OutboundStatus::ReceiptOk,
        ReceiptFact::OkWithErrors { reason, .. } => OutboundStatus::ReceiptOkWithErrors { reason: reason.clone() },
        ReceiptFact::Rejected { reason, .. } => OutboundStatus::Rejected { reason: reason.clone() },
        ReceiptFact::SendFailed { reason, .. } => OutboundStatus::SendError { reason: reason.clone() },
        ReceiptFact::Awaiting if now.duration_since(sent_at) > deadline => OutboundStatus::Missing,
        ReceiptFact::Awaiting => OutboundStatus::Sent,
    }
}

impl ReceiptFact {
    /// R-OUT-3: the fact an arriving AppRec establishes (status 1, 2 and 3 each their own).
    pub fn from_apprec(rec: &AppRec, at: Timestamp) -> Self {
        let reason = |fallback: &str| {
            let lines = rec.errors.iter().map(|e| format!("{}: {}", e.code.as_str(), e.reason)).collect::<Vec<_>>();
            if lines.is_empty() { fallback.to_string() } else { lines.join("; ") }
        };
        match rec.status {
            AppRecStatus::Ok => Self::Ok { at },
            AppRecStatus::OkWithErrors => Self::OkWithErrors { at, reason: reason("OK, feil i delmelding") },
            AppRecStatus::Rejected => Self::Rejected { at, reason: reason("rejected") },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    #[test]
    fn r_out_3_receipt_statuses() {
        let sent = ts("2026-03-01T10:00:00Z");
        let hour = SignedDuration::from_hours(1);
        let at = ts("2026-03-01T10:05:00Z");
        assert_eq!(outbound_status(sent, &ReceiptFact::Awaiting, at, hour), OutboundStatus::Sent);
        assert_eq!(
            outbound_status(sent, &ReceiptFact::Awaiting, ts("2026-03-01T11:00:01Z"), hour),
            OutboundStatus::Missing
        );
        assert_eq!(
            outbound_status(sent, &ReceiptFact::Awaiting, ts("2026-03-01T11:00:00Z"), hour),
            OutboundStatus::Sent,
            "exactly at the deadline is not yet missing"
        );
        let ok = ReceiptFact::from_apprec(&AppRec::ok("m1"), at);
        assert_eq!(outbound_status(sent, &ok, ts("2026-04-01T00:00:00Z"), hour), OutboundStatus::ReceiptOk);
        let rej = ReceiptFact::from_apprec(&AppRec::rejected("m1", KithErrorCode::E35, "ukjent"), at);
        assert_eq!(
            outbound_status(sent, &rej, at, hour),
            OutboundStatus::Rejected { reason: "E35: ukjent".into() }
        );
    }

    #[test]
    fn r_out_3_apprec_status_3_is_its_own_status_not_a_plain_green_check() {
        let sent = ts("2026-03-01T10:00:00Z");
        let at = ts("2026-03-01T10:05:00Z");
        let rec = AppRec {
            answers_message_id: "m1".into(),
            status: AppRecStatus::OkWithErrors,
            errors: vec![AppRecError { code: KithErrorCode::E10, reason: "vedlegg 2 kunne ikke leses".into() }],
        };
        let status = outbound_status(sent, &ReceiptFact::from_apprec(&rec, at), at, SignedDuration::from_hours(1));
        assert_eq!(status, OutboundStatus::ReceiptOkWithErrors { reason: "E10: vedlegg 2 kunne ikke leses".into() });
        assert_eq!(status.flag(), Flag::CheckWithWarning);
        assert_ne!(status.flag(), OutboundStatus::ReceiptOk.flag());
    }

    #[test]
    fn r_out_3_a_send_failure_is_a_red_send_error_never_violet_missing() {
        let sent = ts("2026-03-01T10:00:00Z");
        let failed = ReceiptFact::SendFailed { at: sent, reason: SEND_FAILED_TEXT.into() };
        for now in [ts("2026-03-01T10:00:01Z"), ts("2026-03-02T10:00:00Z")] {
            let status = outbound_status(sent, &failed, now, SignedDuration::from_hours(1));
            assert_eq!(status, OutboundStatus::SendError { reason: SEND_FAILED_TEXT.into() });
            assert_eq!(status.flag(), Flag::RedFlag);
        }
        assert!(failed.is_send_side() && ReceiptFact::Awaiting.is_send_side());
        assert!(!ReceiptFact::Ok { at: sent }.is_send_side(), "an AppRec's fact is final");
    }

    #[test]
    fn apprec_status_codes_follow_kith() {
        assert_eq!(AppRecStatus::Ok.code(), 1);
        assert_eq!(AppRecStatus::Rejected.code(), 2);
        assert_eq!(AppRecStatus::OkWithErrors.code(), 3);
        let json = serde_json::to_value(AppRec::rejected("m", KithErrorCode::E21, "x")).unwrap();
        assert_eq!(json["errors"][0]["code"], "E21");
        assert_eq!(json["status"], "rejected");
    }
}
