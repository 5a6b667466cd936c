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

/// What is known about an outbound reply's receipt, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ReceiptFact {
    /// No AppRec yet.
    Awaiting,
    /// AppRec OK (status 1 or 3).
    Ok {
        /// When it arrived.
        at: Timestamp,
    },
    /// AppRec rejected, or a send error.
    Rejected {
        /// When it arrived.
        at: Timestamp,
        /// Why (code and text from the AppRec).
        reason: String,
    },
}

/// The receipt status shown on an outbound message (R-OUT-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum OutboundStatus {
    /// Sent, no receipt yet, still within the deadline.
    Sent,
    /// Receipt OK (green check).
    ReceiptOk,
    /// AppRec rejected or send error (red flag).
    Rejected {
        /// Why.
        reason: String,
    },
    /// No receipt arrived in time (violet flag).
    Missing,
}

/// R-OUT-3: derives the status at read time from the sent time, the receipt fact and the
/// deadline, so no timer is needed to turn `Sent` into `Missing`.
pub fn outbound_status(sent_at: Timestamp, fact: &ReceiptFact, now: Timestamp, deadline: SignedDuration) -> OutboundStatus {
    match fact {
        ReceiptFact::Ok { .. } => OutboundStatus::ReceiptOk,
        ReceiptFact::Rejected { reason, .. } => OutboundStatus::Rejected { reason: reason.clone() },
        ReceiptFact::Awaiting if now.duration_since(sent_at) > deadline => OutboundStatus::Missing,
        ReceiptFact::Awaiting => OutboundStatus::Sent,
    }
}

impl ReceiptFact {
    /// The fact an arriving AppRec establishes.
    pub fn from_apprec(rec: &AppRec, at: Timestamp) -> Self {
        match rec.status {
            AppRecStatus::Ok | AppRecStatus::OkWithErrors => Self::Ok { at },
            AppRecStatus::Rejected => {
                let reason = rec
                    .errors
                    .iter()
                    .map(|e| format!("{}: {}", e.code.as_str(), e.reason))
                    .collect::<Vec<_>>()
                    .join("; ");
                Self::Rejected { at, reason: if reason.is_empty() { "rejected".into() } else { reason } }
            }
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
    fn apprec_status_codes_follow_kith() {
        assert_eq!(AppRecStatus::Ok.code(), 1);
        assert_eq!(AppRecStatus::Rejected.code(), 2);
        assert_eq!(AppRecStatus::OkWithErrors.code(), 3);
        let json = serde_json::to_value(AppRec::rejected("m", KithErrorCode::E21, "x")).unwrap();
        assert_eq!(json["errors"][0]["code"], "E21");
        assert_eq!(json["status"], "rejected");
    }
}
