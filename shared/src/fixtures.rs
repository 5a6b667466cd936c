//! Sample data for tests, benchmarks and the demo: valid (synthetic-looking, production-form)
//! national ids and records built from them. No real person's data.

use jiff::Timestamp;

use crate::domain::appointment::{Assignment, AssignmentId, AssignmentStatus, Schedule};
use crate::domain::consent::{AktivFacts, CitizenRecord};
use crate::domain::message::{ENVELOPE_VERSION, InboundEnvelope, InboundMessage, RawSender};
use crate::domain::org::{StaffFunction, StaffProfile};
use crate::domain::{Activated, Activation, CodeListLinks, NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::{ActivationStore, SyncStore};

pub mod kith;

/// A citizen born 1982-10-30 (valid under the classic control digits).
pub const CITIZEN: &str = "30108299920";
/// A citizen valid only under the 2032 control-digit rule.
pub const CITIZEN_2032: &str = "30108299939";
/// An adult representative (born 1985-03-15).
pub const REPRESENTATIVE: &str = "15038500047";
/// A child under 12 (the population register says born 2020-03-15; the id itself is not read
/// for an age, R-CIT-5).
pub const CHILD: &str = "15032050007";
/// An id whose date part reads as a 2015 birth under the pre-2032 century table: a
/// representative Helsenorge vouches for is not second-guessed by reading an age from it (R-CIT-4).
pub const REPRESENTATIVE_READ_AS_MINOR: &str = "01011550076";

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

/// The activation of `service` by an administrator (`digihelse_adm`) on linked code lists,
/// through the rule (R-ACT-2, R-ACT-3), on 2026-01-01: not yet synced.
pub fn activated(service: &ServiceKey) -> Activated {
    activated_at(service, ts("2026-01-01T10:00:00Z"))
}

/// The same activation of `service`, made at `at` (a re-activation when stored over another).
pub fn activated_at(service: &ServiceKey, at: Timestamp) -> Activated {
    let staff = StaffProfile {
        staff_id: "adm1".into(),
        functions: [StaffFunction::DigihelseAdm].into(),
        departments: Default::default(),
        aj_departments: Default::default(),
    };
    let links = CodeListLinks { nursing_service_area: true, administrative_journal: true };
    Activation::activate(service.clone(), links, &staff, at)
        .unwrap_or_else(|e| panic!("fixture activation: {e}"))
}

/// An activation of `service` that a sync has completed for (usable, R-ACT-4).
pub fn usable_activation(service: &ServiceKey) -> Activation {
    let mut a = activated(service).into_activation();
    a.mark_synced(ts("2026-01-02T02:00:00Z"), ts("2026-01-02T02:10:00Z"));
    a
}

/// Stores a usable activation of `service` the way production does: through the activation
/// rule, then marked synced as consent-sync marks it at the end of a run (R-ACT-4).
pub async fn seed_usable_activation<S: ActivationStore + SyncStore>(store: &S, service: &ServiceKey) -> Result<(), PortError> {
    let a = activated(service);
    store.activate(&a).await?;
    store.mark_synced(a.activation(), ts("2026-01-02T02:10:00Z")).await?;
    Ok(())
}

/// Marks every stored activation synced, as the end of consent-sync's first run after them
/// does (R-ACT-4); for tests that load EPJ data and skip the sync itself.
pub async fn mark_all_synced<S: SyncStore>(store: &S, at: Timestamp) -> Result<(), PortError> {
    for a in store.activations().await? {
        store.mark_synced(&a, at).await?;
    }
    Ok(())
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

/// A citizen's dialog message as domain input: what the KITH edge makes of an EKONTAKT
/// ([`kith::ekontakt`] is the same message as it arrives on `InboundQueue`).
pub fn dialog(message_id: &str, citizen: &str, service: &ServiceKey) -> InboundEnvelope {
    InboundEnvelope {
        version: ENVELOPE_VERSION,
        message_id: message_id.into(),
        sent_at: ts("2026-03-01T10:00:00Z"),
        message: InboundMessage::DialogMessage {
            citizen: citizen.into(),
            sender: RawSender::Citizen,
            service: service.clone(),
            subject: "Spørsmål om besøk".into(),
            body: "Kan dere komme litt senere i morgen?".into(),
        },
    }
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
    kith::her_entry_for(&service())
}

#[cfg(test)]
mod tests {
    #[test]
    fn synthetic_ids_are_distinct() {
        let ids: std::collections::HashSet<String> = (0..120_000).map(|n| super::synthetic_id(n).expose()).collect();
        assert_eq!(ids.len(), 120_000);
    }
}

