//! EPJ data that helsedialog reads but does not own: record cards, activations, work plans.
//! The EPJ (and the demo) load it through `helsedialog-admin load FILE` in this JSON shape.
//! Activations arrive as requests and go through the activation rule like any other
//! (R-ACT-2/3): what is stored carries no sync time (R-ACT-4).

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::appointment::Assignment;
use crate::domain::reply::OutboundMessage;
use crate::domain::consent::{AktivFacts, CitizenRecord};
use crate::domain::org::StaffProfile;
use crate::domain::{Activation, ActivationError, CodeListLinks, NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::{ActivationStore, AppointmentStore, MessageStore, Seed};

/// A file of EPJ data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EpjData {
    /// Citizens with their record cards.
    #[serde(default)]
    pub citizens: Vec<EpjCitizen>,
    /// Activation requests.
    #[serde(default)]
    pub activations: Vec<ActivationRequest>,
    /// Work plans.
    #[serde(default)]
    pub plans: Vec<EpjPlan>,
    /// Outbound replies already sent (normally written by outbound-reply).
    #[serde(default)]
    pub outbound: Vec<OutboundMessage>,
    /// The municipality's HER-ids and the services they stand for (the KITH edge routes by them).
    #[serde(default)]
    pub her_ids: Vec<crate::ports::HerEntry>,
}

/// A citizen and their record card. `aktiv` is the synced consent state: normally written by
/// consent-sync, loadable here so a demo or test can start from a known night.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EpjCitizen {
    /// The citizen.
    pub citizen: NationalId,
    /// The (department, service type) pairs on the record card.
    pub record_card: Vec<ServiceKey>,
    /// Synced digital-activity facts, if any.
    #[serde(default)]
    pub aktiv: Option<AktivFacts>,
    /// When that sync ran.
    #[serde(default)]
    pub synced_at: Option<Timestamp>,
}

impl EpjCitizen {
    /// The citizen record this describes.
    pub fn record(&self) -> CitizenRecord {
        let mut r = CitizenRecord::new(self.citizen.clone());
        r.record_card = self.record_card.iter().cloned().collect();
        if let (Some(facts), Some(at)) = (self.aktiv, self.synced_at) {
            r.apply_sync(facts, at);
        }
        r
    }
}

/// A citizen's plan for one service.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EpjPlan {
    /// The citizen.
    pub citizen: NationalId,
    /// The service.
    pub service: ServiceKey,
    /// Its assignments.
    pub assignments: Vec<Assignment>,
}

/// A request to activate DigiHelse for one (department, service type), as the EPJ's
/// administration screen makes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ActivationRequest {
    /// What to activate.
    pub key: ServiceKey,
    /// The service type's code-list links (R-ACT-2).
    pub links: CodeListLinks,
    /// Who activates (R-ACT-3).
    pub staff: StaffProfile,
}

/// Why an activation was not stored.
#[derive(Debug, thiserror::Error)]
pub enum ActivateError {
    /// The rule refused it (R-ACT-2, R-ACT-3).
    #[error(transparent)]
    Refused(#[from] ActivationError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] PortError),
}

/// Activates through the one rule (R-ACT-2, R-ACT-3) and stores the result, not yet synced
/// (R-ACT-4): the only way an activation is written.
pub async fn activate<S: ActivationStore>(store: &S, request: &ActivationRequest, now: Timestamp) -> Result<Activation, ActivateError> {
    let activated = Activation::activate(request.key.clone(), request.links, &request.staff, now)?;
    store.activate(&activated).await?;
    Ok(activated.into_activation())
}

/// Loads EPJ data (the admin tool's `load`): citizens with record cards, activations (each
/// through the activation rule, R-ACT-2/3, as of `now`), plans (re-dated so kept cancellations
/// survive, R-APT-5), outbound messages and HER-ids. An activation the rule refuses stops the
/// load with its reason.
pub async fn load<S>(store: &S, data: &EpjData, now: Timestamp) -> Result<(), ActivateError>
where
    S: Seed + ActivationStore + AppointmentStore + MessageStore,
{
    let citizens: Vec<CitizenRecord> = data.citizens.iter().map(EpjCitizen::record).collect();
    store.put_citizens(&citizens).await?;
    for a in &data.activations {
        activate(store, a, now).await?;
    }
    for p in &data.plans {
        super::appointments::redate(store, store, &p.citizen, &p.service, p.assignments.clone(), now).await?;
    }
    for o in &data.outbound {
        store.put_outbound(o).await?;
    }
    for e in &data.her_ids {
        store.put_her(e).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::adapters::memory::MemoryDb;
    use crate::fixtures::{service, ts};

    fn request(functions: &str, links: bool) -> ActivationRequest {
        serde_json::from_value(serde_json::json!({
            "key": service(),
            "links": {"nursingServiceArea": links, "administrativeJournal": true},
            "staff": {"staffId": "s1", "functions": [functions]},
        }))
        .unwrap_or_else(|e| panic!("request: {e}"))
    }

    #[tokio::test]
    async fn r_act_4_an_epj_activation_cannot_carry_a_sync_time() {
        let with_synced_at = serde_json::json!({"activations": [{
            "key": service(), "links": {"nursingServiceArea": true, "administrativeJournal": true},
            "staff": {"staffId": "s1", "functions": ["digihelse_adm"]}, "syncedAt": "2026-01-02T02:00:00Z"}]});
        assert!(serde_json::from_value::<EpjData>(with_synced_at).is_err(), "no door for syncedAt");
        let db = MemoryDb::new();
        let a = activate(&db, &request("digihelse_adm", true), ts("2026-01-01T10:00:00Z")).await.unwrap();
        assert_eq!(a.synced_at, None);
        assert_eq!(db.state().activations[&service()].synced_at, None, "awaits the first sync");
    }

    #[tokio::test]
    async fn r_act_3_an_epj_activation_without_digihelse_adm_is_refused_and_not_stored() {
        let db = MemoryDb::new();
        let r = activate(&db, &request("digihelse_les", true), ts("2026-01-01T10:00:00Z")).await;
        assert!(matches!(r, Err(ActivateError::Refused(ActivationError::NotPermitted))), "{r:?}");
        assert!(db.state().activations.is_empty());
    }

    #[tokio::test]
    async fn r_act_2_an_epj_activation_of_an_unlinked_service_type_is_refused_and_not_stored() {
        let db = MemoryDb::new();
        let r = activate(&db, &request("0", false), ts("2026-01-01T10:00:00Z")).await;
        assert!(matches!(r, Err(ActivateError::Refused(ActivationError::NotNursingServiceArea))), "{r:?}");
        assert!(db.state().activations.is_empty());
    }
}
