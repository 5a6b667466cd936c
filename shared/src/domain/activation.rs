//! DigiHelse activation per (department, service type) (R-ACT-1..4).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::org::{ServiceKey, StaffProfile};

/// The code-list links of a service type (R-ACT-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeListLinks {
    /// Linked to Helsenorge's nursing service area (sykepleietjenesten).
    pub nursing_service_area: bool,
    /// Linked to the administrative journal.
    pub administrative_journal: bool,
}

/// Why an activation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ActivationError {
    /// R-ACT-3: the staff member lacks `digihelse_adm` and is not system administrator.
    #[error("activating DigiHelse needs the staff function digihelse_adm or system administrator")]
    NotPermitted,
    /// R-ACT-2: the service type is not linked to the nursing service area.
    #[error("the service type is not linked to the nursing service area")]
    NotNursingServiceArea,
    /// R-ACT-2: the service type is not linked to the administrative journal.
    #[error("the service type is not linked to the administrative journal")]
    NotAdministrativeJournal,
}

/// An activation of DigiHelse for one (department, service type), with its sync state, as
/// stored. Reading one is free; writing one takes an [`Activated`], which only the rule makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activation {
    /// What is activated. Exactly this pair: never its sub-departments (R-ACT-1).
    pub key: ServiceKey,
    /// When it was activated (or last changed).
    pub activated_at: Timestamp,
    /// The EPJ staff id that activated it.
    pub activated_by: String,
    /// When a consent sync last completed for it. Only consent-sync sets it (R-ACT-4): an
    /// activation write never carries it, and a re-activation clears it.
    #[serde(default)]
    pub synced_at: Option<Timestamp>,
}

/// An activation the rule admitted (R-ACT-2, R-ACT-3): the only value an activation store
/// writes, and only [`Activation::activate`] makes one. It carries no sync time: interaction
/// starts after consent-sync's next run (R-ACT-4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Activated(Activation);

impl Activated {
    /// The activation as it will be stored (not yet synced).
    pub fn activation(&self) -> &Activation {
        &self.0
    }

    /// The activation, for the caller to keep.
    pub fn into_activation(self) -> Activation {
        self.0
    }
}

impl Activation {
    /// Activates `key` (R-ACT-2, R-ACT-3). Linking alone activates nothing: this is the only
    /// way an activation comes to be, and every activation write goes through it.
    pub fn activate(
        key: ServiceKey,
        links: CodeListLinks,
        staff: &StaffProfile,
        now: Timestamp,
    ) -> Result<Activated, ActivationError> {
        if !staff.may_administer_activations() {
            return Err(ActivationError::NotPermitted);
        }
        if !links.nursing_service_area {
            return Err(ActivationError::NotNursingServiceArea);
        }
        if !links.administrative_journal {
            return Err(ActivationError::NotAdministrativeJournal);
        }
        Ok(Activated(Self { key, activated_at: now, activated_by: staff.staff_id.clone(), synced_at: None }))
    }

    /// R-ACT-4: interaction starts only after a sync has completed since the activation.
    pub fn is_usable(&self) -> bool {
        self.synced_at.is_some_and(|s| s > self.activated_at)
    }

    /// Records a completed sync that started at `sync_started` (R-ACT-4); true when it counts.
    /// A sync that started before the activation does not count for it (it did not see it).
    pub fn mark_synced(&mut self, sync_started: Timestamp, finished: Timestamp) -> bool {
        let counts = sync_started >= self.activated_at;
        if counts {
            self.synced_at = Some(finished);
        }
        counts
    }
}

/// A deactivation the rule admitted (R-ACT-3): what, who and when, for the store to remove the
/// activation and keep the record. Only [`Activation::deactivate`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deactivated {
    /// What is deactivated (exactly this pair, R-ACT-1).
    pub key: ServiceKey,
    /// The EPJ staff id that deactivated it.
    pub deactivated_by: String,
    /// When.
    pub deactivated_at: Timestamp,
}

impl Activation {
    /// Deactivates `key` (R-ACT-3: changing activations needs `digihelse_adm` or function 0).
    pub fn deactivate(key: ServiceKey, staff: &StaffProfile, now: Timestamp) -> Result<Deactivated, ActivationError> {
        if !staff.may_administer_activations() {
            return Err(ActivationError::NotPermitted);
        }
        Ok(Deactivated { key, deactivated_by: staff.staff_id.clone(), deactivated_at: now })
    }
}

/// Whether a (department, service type) may be used now (R-ACT-1, R-ACT-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivationState {
    /// Not activated. Activation of a parent department does not count (R-ACT-1).
    NotActivated,
    /// Activated, but no sync has completed since (R-ACT-4).
    AwaitingSync,
    /// Activated and synced: messages may flow.
    Usable,
}

/// The state of `key` given the activation stored for exactly that key (if any).
pub fn activation_state(found: Option<&Activation>) -> ActivationState {
    match found {
        None => ActivationState::NotActivated,
        Some(a) if a.is_usable() => ActivationState::Usable,
        Some(_) => ActivationState::AwaitingSync,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::org::StaffFunction;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn adm() -> StaffProfile {
        StaffProfile {
            staff_id: "adm1".into(),
            functions: [StaffFunction::DigihelseAdm].into(),
            departments: Default::default(),
            aj_departments: Default::default(),
        }
    }

    const LINKED: CodeListLinks = CodeListLinks { nursing_service_area: true, administrative_journal: true };

    #[test]
    fn r_act_2_only_linked_service_types_can_be_activated() {
        let key = ServiceKey::parse("115", "HS").unwrap();
        let now = ts("2026-01-01T10:00:00Z");
        let nursing_only = CodeListLinks { nursing_service_area: true, administrative_journal: false };
        let aj_only = CodeListLinks { nursing_service_area: false, administrative_journal: true };
        assert_eq!(
            Activation::activate(key.clone(), nursing_only, &adm(), now),
            Err(ActivationError::NotAdministrativeJournal)
        );
        assert_eq!(
            Activation::activate(key.clone(), aj_only, &adm(), now),
            Err(ActivationError::NotNursingServiceArea)
        );
        assert!(Activation::activate(key, LINKED, &adm(), now).is_ok());
    }

    #[test]
    fn r_act_3_activation_requires_digihelse_adm() {
        let key = ServiceKey::parse("115", "HS").unwrap();
        let mut reader = adm();
        reader.functions = [StaffFunction::DigihelseLes].into();
        assert_eq!(
            Activation::activate(key.clone(), LINKED, &reader, ts("2026-01-01T10:00:00Z")),
            Err(ActivationError::NotPermitted)
        );
        reader.functions = [StaffFunction::SystemAdministrator].into();
        assert!(Activation::activate(key, LINKED, &reader, ts("2026-01-01T10:00:00Z")).is_ok());
    }

    #[test]
    fn r_act_3_deactivation_requires_digihelse_adm() {
        let key = ServiceKey::parse("115", "HS").unwrap();
        let now = ts("2026-01-03T10:00:00Z");
        let d = Activation::deactivate(key.clone(), &adm(), now).unwrap();
        assert_eq!((d.deactivated_by.as_str(), d.deactivated_at), ("adm1", now));
        let mut reader = adm();
        reader.functions = [StaffFunction::DigihelseLes].into();
        assert_eq!(Activation::deactivate(key, &reader, now), Err(ActivationError::NotPermitted));
    }

    #[test]
    fn r_act_4_usable_only_after_a_sync_since_activation() {
        let key = ServiceKey::parse("115", "HS").unwrap();
        let mut a = Activation::activate(key, LINKED, &adm(), ts("2026-01-01T10:00:00Z")).unwrap().into_activation();
        assert_eq!(activation_state(Some(&a)), ActivationState::AwaitingSync);
        // A sync that began before the activation does not count.
        a.mark_synced(ts("2026-01-01T09:00:00Z"), ts("2026-01-01T10:30:00Z"));
        assert_eq!(activation_state(Some(&a)), ActivationState::AwaitingSync);
        a.mark_synced(ts("2026-01-02T02:00:00Z"), ts("2026-01-02T02:10:00Z"));
        assert_eq!(activation_state(Some(&a)), ActivationState::Usable);
    }

    #[test]
    fn r_act_1_activation_is_not_hierarchical() {
        // The state of 1151 is decided by the activation stored for exactly 1151: the one for
        // 115 is not consulted, so 1151 is not activated.
        let parent = ServiceKey::parse("115", "HS").unwrap();
        let child = ServiceKey::parse("1151", "HS").unwrap();
        let mut a = Activation::activate(parent.clone(), LINKED, &adm(), ts("2026-01-01T10:00:00Z")).unwrap().into_activation();
        a.mark_synced(ts("2026-01-02T02:00:00Z"), ts("2026-01-02T02:10:00Z"));
        let stored = [a];
        let lookup = |k: &ServiceKey| stored.iter().find(|x| &x.key == k);
        assert_eq!(activation_state(lookup(&parent)), ActivationState::Usable);
        assert_eq!(activation_state(lookup(&child)), ActivationState::NotActivated);
    }
}
