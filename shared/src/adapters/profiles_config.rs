//! Counterparts' collaboration profiles from configuration (`PROFILES_CONFIG`, JSON): the
//! values NHN registers (queue names, certificates, CPA id) written down by the municipality.
//! No registry call; a counterpart not listed has no profile.
//!
//! ```json
//! [{"herId": 90002, "cpaId": "…", "signingCertificate": "-----BEGIN CERTIFICATE-----…",
//!   "encryptionCertificate": "-----BEGIN CERTIFICATE-----…",
//!   "queues": {"asynchronous": "90002_async", "synchronous": "90002_sync", "error": "90002_error"}}]
//! ```
//! `queues` is optional (R-TR-6: `{herId}_async|_sync|_error` by default).

use std::collections::HashMap;

use crate::domain::transport::Queues;
use crate::error::PortError;
use crate::ports_transport::{CertDer, CollaborationProfiles, Profile};

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Entry {
    her_id: u64,
    #[serde(default)]
    cpa_id: Option<String>,
    #[serde(default)]
    queues: Option<Queues>,
    #[serde(default)]
    signing_certificate: Option<String>,
    #[serde(default)]
    encryption_certificate: Option<String>,
}

/// Why the configuration cannot be used (at start-up).
#[derive(Debug, thiserror::Error)]
pub enum ProfilesConfigError {
    /// Not the JSON above.
    #[error("PROFILES_CONFIG is not a list of profiles: {0}")]
    Json(#[from] serde_json::Error),
    /// A certificate is not PEM.
    #[error("PROFILES_CONFIG: the {which} certificate of HER-id {her_id} is not a PEM certificate")]
    Pem {
        /// Whose.
        her_id: u64,
        /// Which one.
        which: &'static str,
    },
}

/// Profiles read once from configuration.
#[derive(Debug, Clone, Default)]
pub struct ConfigProfiles(HashMap<u64, Profile>);

impl ConfigProfiles {
    /// Reads the JSON list.
    pub fn from_json(json: &str) -> Result<Self, ProfilesConfigError> {
        let entries: Vec<Entry> = serde_json::from_str(json)?;
        let mut map = HashMap::new();
        for e in entries {
            let pem = |v: Option<String>, which| match v {
                None => Ok(None),
                Some(p) => CertDer::from_pem(&p).map(Some).ok_or(ProfilesConfigError::Pem { her_id: e.her_id, which }),
            };
            let profile = Profile {
                her_id: e.her_id,
                cpa_id: e.cpa_id.clone().filter(|c| !c.is_empty()),
                queues: e.queues.clone().unwrap_or_else(|| Queues::conventional(e.her_id)),
                signing: pem(e.signing_certificate.clone(), "signing")?,
                encryption: pem(e.encryption_certificate.clone(), "encryption")?,
            };
            map.insert(e.her_id, profile);
        }
        Ok(Self(map))
    }
}

impl CollaborationProfiles for ConfigProfiles {
    /// The configured profile of `theirs`; one per counterpart, so the CPA id only echoes.
    async fn profile(&self, _ours: u64, theirs: u64, _cpa_id: Option<&str>) -> Result<Option<Profile>, PortError> {
        Ok(self.0.get(&theirs).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN CERTIFICATE-----\nAQID\nBA==\n-----END CERTIFICATE-----\n";

    #[tokio::test]
    async fn r_tr_6_configured_queues_or_the_conventional_ones() {
        let json = format!(
            r#"[{{"herId": 90002, "cpaId": "cpa-1", "signingCertificate": {pem:?}, "encryptionCertificate": {pem:?}}},
               {{"herId": 90003, "queues": {{"asynchronous": "a", "synchronous": "s", "error": "e"}}}}]"#,
            pem = PEM
        );
        let p = ConfigProfiles::from_json(&json).unwrap();
        let hn = p.profile(80115, 90002, None).await.unwrap().unwrap();
        assert_eq!(hn.queues, Queues::conventional(90002));
        assert_eq!(hn.signing, Some(CertDer(vec![1, 2, 3, 4])));
        assert_eq!(hn.cpa_id.as_deref(), Some("cpa-1"));
        assert_eq!(p.profile(80115, 90003, None).await.unwrap().unwrap().queues.error, "e");
        assert_eq!(p.profile(80115, 90004, None).await.unwrap(), None);
    }

    #[test]
    fn r_tr_7_a_certificate_that_is_not_pem_is_refused_at_start() {
        let err = ConfigProfiles::from_json(r#"[{"herId": 1, "signingCertificate": "nope"}]"#).unwrap_err();
        assert!(matches!(err, ProfilesConfigError::Pem { her_id: 1, which: "signing" }));
    }
}
