//! Sample data for tests, benchmarks and the demo: valid (synthetic-looking, production-form)
//! national ids and records built from them. No real person's data.

use jiff::Timestamp;

use crate::domain::appointment::{Assignment, AssignmentId, AssignmentStatus, Schedule};
use crate::domain::consent::{AktivFacts, CitizenRecord};
use crate::domain::{Activation, NationalId, ServiceKey};

/// A citizen born 1982-10-30 (valid under the classic control digits).
pub const CITIZEN: &str = "30108299920";
/// A citizen valid only under the 2032 control-digit rule.
pub const CITIZEN_2032: &str = "30108299939";
/// An adult representative (born 1985-03-15).
pub const REPRESENTATIVE: &str = "15038500047";

/// Parses a fixture id.
pub fn id(s: &str) -> NationalId {
    s.parse().unwrap_or_else(|e| panic!("fixture id is valid: {e}"))
}

/// The home-care service `115/HS`.
pub fn service() -> ServiceKey {
    ServiceKey::parse("115", "HS").unwrap_or_else(|e| panic!("fixture service: {e}"))
}

/// A time.
pub fn ts(s: &str) -> Timestamp {
    s.parse().unwrap_or_else(|e| panic!("fixture time: {e}"))
}

/// A citizen who consented (as of a sync) and receives `service`.
pub fn consented_citizen(citizen: &str, service: &ServiceKey) -> CitizenRecord {
    let mut c = CitizenRecord::new(id(citizen));
    c.record_card.insert(service.clone());
    c.apply_sync(AktivFacts { er_digitalt_aktiv_selv: true, ..Default::default() }, ts("2026-01-02T02:00:00Z"));
    c
}

/// An activation of `service` that a sync has completed for (usable, R-ACT-4).
pub fn usable_activation(service: &ServiceKey) -> Activation {
    Activation {
        key: service.clone(),
        activated_at: ts("2026-01-01T10:00:00Z"),
        activated_by: "adm1".into(),
        synced_at: Some(ts("2026-01-02T02:10:00Z")),
    }
}

/// A dated assignment.
pub fn dated(assignment: &str, service: &ServiceKey, start: Timestamp) -> Assignment {
    Assignment {
        id: AssignmentId(assignment.into()),
        service: service.clone(),
        schedule: Schedule::Dated { start, employee: "Kari Nordmann".into() },
        text: "Morgenstell".into(),
        status: AssignmentStatus::Assigned,
    }
}

/// A regular assignment.
pub fn regular(assignment: &str, service: &ServiceKey) -> Assignment {
    Assignment {
        id: AssignmentId(assignment.into()),
        service: service.clone(),
        schedule: Schedule::Regular,
        text: "Fast tilsyn".into(),
        status: AssignmentStatus::Assigned,
    }
}

/// An inbound dialog-message envelope as JSON.
pub fn dialog_json(message_id: &str, citizen: &str, service: &ServiceKey) -> String {
    serde_json::json!({
        "version": 1,
        "messageId": message_id,
        "sentAt": "2026-03-01T10:00:00Z",
        "message": {
            "kind": "dialog-message",
            "citizen": citizen,
            "sender": {"role": "citizen"},
            "service": service,
            "subject": "Spørsmål om besøk",
            "body": "Kan dere komme litt senere i morgen?"
        }
    })
    .to_string()
}

/// A staff reply request as the EPJ's dialog window sends it, from a nurse with access to
/// `department` (the service's department is 115).
pub fn reply_request(reply_id: &str, department: &str) -> serde_json::Value {
    serde_json::json!({
        "version": 1,
        "replyId": reply_id,
        "staff": {"staffId": "sykepleier-17", "functions": ["digihelse_les"], "departments": [department]},
        "origin": "dialog-window",
        "citizen": CITIZEN,
        "service": service(),
        "subject": "Svar om besøk",
        "body": "Vi kommer kl. 10 i morgen.",
        "attachments": [],
    })
}

/// The `n`th of many valid, distinct national ids (born 1900-1999, individual 000-494), for
/// load tests and benchmarks. Distinct for `n` below 1,512,000: each `n` owns a block of 11
/// individual numbers on its date, and takes the first one whose control digits exist.
pub fn synthetic_id(n: u32) -> NationalId {
    let day = 1 + n % 28;
    let month = 1 + (n / 28) % 12;
    let year = (n / 336) % 100;
    let block = (n / 33_600) % 45 * 11;
    (block..block + 11)
        .find_map(|individual| {
            let head = format!("{day:02}{month:02}{year:02}{individual:03}");
            (0..=99u32).find_map(|k| format!("{head}{k:02}").parse::<NationalId>().ok())
        })
        .unwrap_or_else(|| panic!("no valid id in block {block} for n = {n}"))
}

/// The HER-id entry of `115/HS` (HER 80115 under the municipality's 80001), as the EPJ data
/// loads it; the KITH samples in `events/kith/` are addressed to it.
pub fn her_entry() -> crate::ports::HerEntry {
    crate::ports::HerEntry {
        her_id: "80115".into(),
        name: "Hjemmesykepleien sone 115".into(),
        parent_her_id: "80001".into(),
        parent_name: "Eksempel kommune".into(),
        service: service(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn synthetic_ids_are_distinct() {
        let ids: std::collections::HashSet<String> = (0..120_000).map(|n| super::synthetic_id(n).expose()).collect();
        assert_eq!(ids.len(), 120_000);
    }
}

