//! Who may use DigiHelse: the citizen's synced consent state, their record card, and the gate
//! that admits or rejects an inbound message (R-CIT-1..5, R-IN-2).

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::activation::{Activation, ActivationState, activation_state};
use super::national_id::NationalId;
use super::org::ServiceKey;
use super::receipt::KithErrorCode;

/// HelsenorgeAktiv takes at most this many national ids per call (NHN's limit): the one
/// definition the status icon, the sync's chunks and the HTTP client use.
pub const AKTIV_MAX_IDS_PER_CALL: usize = 1000;

/// HelsenorgeAktiv's answer for one citizen (the three facts NHN gives).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AktivFacts {
    /// `erDigitaltAktivSelv`: the citizen has consented and can be reached digitally.
    pub er_digitalt_aktiv_selv: bool,
    /// `erDigitaltAktivViaAndre`: another adult with power of attorney follows the dialog.
    pub er_digitalt_aktiv_via_andre: bool,
    /// `tildeltFullmakt`: represented through assigned power of attorney because the citizen
    /// lacks consent competence.
    pub tildelt_fullmakt: bool,
}

impl AktivFacts {
    /// Whether someone (the citizen or a representative) can use DigiHelse for this citizen.
    pub fn reachable(&self) -> bool {
        self.er_digitalt_aktiv_selv || self.er_digitalt_aktiv_via_andre || self.tildelt_fullmakt
    }
}

/// What the municipality knows about a citizen, kept by the nightly sync (consent, digital
/// activity) and by the message flow (history for R-ICON-1). The consent state changes only
/// through the sync, so a new consent takes effect after the next sync (R-CIT-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CitizenRecord {
    /// The citizen.
    pub citizen: NationalId,
    /// Digital activity as of the last sync.
    pub aktiv: AktivFacts,
    /// When the last sync updated this record.
    #[serde(default)]
    pub synced_at: Option<Timestamp>,
    /// The sync run that last wrote this record (a citizen on several services is looked up
    /// once per run).
    #[serde(default)]
    pub sync_run: Option<String>,
    /// When consent was first seen given.
    #[serde(default)]
    pub consent_first_given_at: Option<Timestamp>,
    /// When consent was seen withdrawn (cleared when given again).
    #[serde(default)]
    pub consent_withdrawn_at: Option<Timestamp>,
    /// When the last message to or from the citizen was journaled.
    #[serde(default)]
    pub last_message_at: Option<Timestamp>,
    /// The (department, service type) pairs on the record card (hovedkort).
    #[serde(default)]
    pub record_card: BTreeSet<ServiceKey>,
}

impl CitizenRecord {
    /// A record for a citizen not yet synced.
    pub fn new(citizen: NationalId) -> Self {
        Self {
            citizen,
            aktiv: AktivFacts::default(),
            synced_at: None,
            sync_run: None,
            consent_first_given_at: None,
            consent_withdrawn_at: None,
            last_message_at: None,
            record_card: BTreeSet::new(),
        }
    }

    /// R-CIT-1: the citizen has consented (as of the last sync), themself or through others.
    pub fn has_consent(&self) -> bool {
        self.aktiv.reachable()
    }

    /// Applies a sync's answer, keeping the history the status icon needs (R-ICON-1).
    /// Returns true when anything changed.
    pub fn apply_sync(&mut self, facts: AktivFacts, at: Timestamp) -> bool {
        let before = (self.aktiv, self.consent_first_given_at, self.consent_withdrawn_at);
        let was = self.has_consent();
        self.aktiv = facts;
        let now = self.has_consent();
        if now {
            self.consent_first_given_at.get_or_insert(at);
            self.consent_withdrawn_at = None;
        } else if was {
            self.consent_withdrawn_at = Some(at);
        }
        self.synced_at = Some(at);
        before != (self.aktiv, self.consent_first_given_at, self.consent_withdrawn_at)
    }
}

/// Who wrote an inbound message, as Helsenorge asserts it (R-CIT-4, R-CIT-5). Helsenorge
/// checks power of attorney and the representative's and the citizen's ages against the
/// population register before it lets anyone write; the municipality takes the role as given
/// and journals the message on the citizen. Nothing here reads an age from a national id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "kebab-case")]
pub enum Sender {
    /// The citizen themself.
    Citizen,
    /// A representative with power of attorney, or a parent for a child under 12, acting for
    /// the citizen (R-CIT-4, R-CIT-5): the message is journaled on the citizen.
    Representative {
        /// The representative's national id.
        representative: NationalId,
    },
}

/// Why the gate rejected a message (R-IN-2). Each maps to a KITH code for the AppRec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(rename_all = "kebab-case")]
pub enum RejectReason {
    /// No record of the citizen in this municipality.
    #[error("the citizen is not known to the municipality")]
    UnknownCitizen,
    /// R-CIT-1: no consent for digital dialog (as of the last sync).
    #[error("the citizen has not consented to digital dialog")]
    NoConsent,
    /// R-CIT-2: the citizen does not receive this service.
    #[error("the citizen does not receive this service")]
    ServiceNotReceived,
    /// R-ACT-1: DigiHelse is not activated for this (department, service type).
    #[error("digital dialog is not activated for this service")]
    NotActivated,
    /// R-ACT-4: activated, but the nightly sync has not run since.
    #[error("digital dialog for this service starts after the next nightly sync")]
    NotYetSynced,
}

impl RejectReason {
    /// The KITH 8221 code the AppRec carries.
    pub fn kith_code(self) -> KithErrorCode {
        match self {
            Self::UnknownCitizen | Self::ServiceNotReceived | Self::NoConsent => KithErrorCode::E35,
            Self::NotActivated | Self::NotYetSynced => KithErrorCode::E21,
        }
    }

    /// The reason in Norwegian for the citizen's rejection receipt (no personal data).
    pub fn text_nb(self) -> &'static str {
        match self {
            Self::UnknownCitizen => "Innbyggeren er ikke registrert hos kommunen.",
            Self::NoConsent => "Innbyggeren har ikke samtykket til digital dialog.",
            Self::ServiceNotReceived => "Innbyggeren mottar ikke denne tjenesten.",
            Self::NotActivated => "Digital dialog er ikke aktivert for denne tjenesten.",
            Self::NotYetSynced => "Digital dialog for denne tjenesten starter etter neste nattlige synkronisering.",
        }
    }
}

/// The gate's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateDecision {
    /// Deliver to journal and inbox.
    Admit,
    /// Do not deliver; answer with a rejection receipt (R-IN-2).
    Reject(RejectReason),
}

/// R-CIT-1/2, R-ACT-1/4, R-IN-2: may a message about `service` be delivered?
/// `activation` is what is stored for exactly `service` (never a parent's). The sender's role
/// is not weighed here: Helsenorge decided it (R-CIT-4, R-CIT-5), and the message goes to the
/// citizen's journal whoever wrote it.
pub fn consent_gate(
    citizen: Option<&CitizenRecord>,
    service: &ServiceKey,
    activation: Option<&Activation>,
) -> GateDecision {
    use GateDecision::Reject;
    let Some(citizen) = citizen else {
        return Reject(RejectReason::UnknownCitizen);
    };
    if !citizen.has_consent() {
        return Reject(RejectReason::NoConsent);
    }
    if !citizen.record_card.contains(service) {
        return Reject(RejectReason::ServiceNotReceived);
    }
    match activation_state(activation) {
        ActivationState::NotActivated => Reject(RejectReason::NotActivated),
        ActivationState::AwaitingSync => Reject(RejectReason::NotYetSynced),
        ActivationState::Usable => GateDecision::Admit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn key() -> ServiceKey {
        ServiceKey::parse("115", "HS").unwrap()
    }

    fn citizen(consented: bool) -> CitizenRecord {
        let mut c = CitizenRecord::new("30108299920".parse().unwrap());
        c.record_card.insert(key());
        c.apply_sync(AktivFacts { er_digitalt_aktiv_selv: consented, ..Default::default() }, ts("2026-01-02T02:00:00Z"));
        c
    }

    fn usable() -> Activation {
        Activation {
            key: key(),
            activated_at: ts("2026-01-01T10:00:00Z"),
            activated_by: "adm".into(),
            synced_at: Some(ts("2026-01-02T02:10:00Z")),
        }
    }

    #[test]
    fn r_cit_1_consented_citizen_on_activated_service_is_admitted() {
        let d = consent_gate(Some(&citizen(true)), &key(), Some(&usable()));
        assert_eq!(d, GateDecision::Admit);
    }

    #[test]
    fn r_in_2_each_rejection_reason_with_its_code() {
        type Case = (Option<CitizenRecord>, ServiceKey, Option<Activation>, RejectReason, KithErrorCode);
        let cases: Vec<Case> = vec![
            (None, key(), Some(usable()), RejectReason::UnknownCitizen, KithErrorCode::E35),
            (Some(citizen(false)), key(), Some(usable()), RejectReason::NoConsent, KithErrorCode::E35),
            (
                Some(citizen(true)),
                ServiceKey::parse("116", "HS").unwrap(),
                Some(usable()),
                RejectReason::ServiceNotReceived,
                KithErrorCode::E35,
            ),
            (Some(citizen(true)), key(), None, RejectReason::NotActivated, KithErrorCode::E21),
            (
                Some(citizen(true)),
                key(),
                Some(Activation { synced_at: None, ..usable() }),
                RejectReason::NotYetSynced,
                KithErrorCode::E21,
            ),
        ];
        for (c, k, a, reason, code) in cases {
            let d = consent_gate(c.as_ref(), &k, a.as_ref());
            assert_eq!(d, GateDecision::Reject(reason));
            assert_eq!(reason.kith_code(), code);
            assert!(!reason.text_nb().is_empty());
        }
    }

    #[test]
    fn r_cit_2_citizen_writes_only_to_services_received() {
        let mut c = citizen(true);
        c.record_card.clear();
        let d = consent_gate(Some(&c), &key(), Some(&usable()));
        assert_eq!(d, GateDecision::Reject(RejectReason::ServiceNotReceived));
    }

    #[test]
    fn r_cit_3_consent_counts_only_after_the_sync_applies_it() {
        let mut c = citizen(false);
        assert!(!c.has_consent());
        assert!(c.apply_sync(AktivFacts { er_digitalt_aktiv_selv: true, ..Default::default() }, ts("2026-01-03T02:00:00Z")));
        assert!(c.has_consent());
        assert_eq!(c.consent_first_given_at, Some(ts("2026-01-03T02:00:00Z")));
        assert!(!c.apply_sync(AktivFacts { er_digitalt_aktiv_selv: true, ..Default::default() }, ts("2026-01-04T02:00:00Z")),
            "a second sync with the same answer changes nothing");
        assert!(c.apply_sync(AktivFacts::default(), ts("2026-01-05T02:00:00Z")));
        assert_eq!(c.consent_withdrawn_at, Some(ts("2026-01-05T02:00:00Z")));
        assert_eq!(c.consent_first_given_at, Some(ts("2026-01-03T02:00:00Z")), "history kept");
    }

    #[test]
    fn r_cit_5_child_reachable_only_via_parents_is_admitted() {
        // A child under 12: not active themself, represented by parents (as Helsenorge says).
        let mut c = CitizenRecord::new(crate::fixtures::id(crate::fixtures::CHILD));
        c.record_card.insert(key());
        c.apply_sync(AktivFacts { er_digitalt_aktiv_via_andre: true, ..Default::default() }, ts("2026-01-03T02:00:00Z"));
        assert!(c.has_consent(), "reachable through the parents");
        assert_eq!(consent_gate(Some(&c), &key(), Some(&usable())), GateDecision::Admit);
        c.apply_sync(AktivFacts::default(), ts("2026-01-04T02:00:00Z"));
        assert_eq!(consent_gate(Some(&c), &key(), Some(&usable())), GateDecision::Reject(RejectReason::NoConsent));
    }
}
