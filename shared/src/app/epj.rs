//! EPJ data that helsedialog reads but does not own: record cards, activations, work plans.
//! The EPJ (and the demo) load it through `helsedialog-admin load FILE` in this JSON shape.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::appointment::Assignment;
use crate::domain::reply::OutboundMessage;
use crate::domain::consent::{AktivFacts, CitizenRecord};
use crate::domain::{Activation, NationalId, ServiceKey};

/// A file of EPJ data.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EpjData {
    /// Citizens with their record cards.
    #[serde(default)]
    pub citizens: Vec<EpjCitizen>,
    /// Activations.
    #[serde(default)]
    pub activations: Vec<Activation>,
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
