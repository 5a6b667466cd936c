//! The collaboration-profile adapter the configuration chooses (`PROFILES_SOURCE`): the
//! configured list (default) or NHN's CPPA REST service.

use shared::adapters::memory::SystemClock;
use shared::adapters::profiles_config::ConfigProfiles;
use shared::error::PortError;
use shared::ports_transport::{CollaborationProfiles, Profile};

use crate::config::{CppaSettings, ProfilesSource};
use crate::cppa_rest::CppaRest;

/// One of the two adapters (cheap to clone: the REST one shares its cache).
#[derive(Clone)]
pub enum Profiles {
    /// `PROFILES_CONFIG`.
    Config(ConfigProfiles),
    /// NHN's CPPA REST service.
    Rest(std::sync::Arc<CppaRest<SystemClock>>),
}

impl Profiles {
    /// Builds the chosen adapter; the HelseID key is read from Secrets Manager once.
    pub async fn build(source: &ProfilesSource, secrets: &aws_sdk_secretsmanager::Client) -> Result<Self, shared::error::BoxError> {
        Ok(match source {
            ProfilesSource::Config(json) => Self::Config(ConfigProfiles::from_json(json)?),
            ProfilesSource::Cppa(c) => Self::Rest(std::sync::Arc::new(rest(c, secrets).await?)),
        })
    }
}

async fn rest(c: &CppaSettings, secrets: &aws_sdk_secretsmanager::Client) -> Result<CppaRest<SystemClock>, PortError> {
    let pem = shared::adapters::helsenorge::key_from_secret(secrets, &c.key_secret_name).await?;
    let http = shared::adapters::helsenorge::http_client(c.timeout)?;
    let tokens = shared::adapters::helsenorge::HelseIdTokens::new(http.clone(), &c.token_url, &c.client_id, &c.scope, &pem)?;
    Ok(CppaRest::new(http, &c.base_url, tokens, c.cache_ttl, SystemClock))
}

impl CollaborationProfiles for Profiles {
    async fn profile(&self, ours: u64, theirs: u64, cpa_id: Option<&str>) -> Result<Option<Profile>, PortError> {
        match self {
            Self::Config(p) => p.profile(ours, theirs, cpa_id).await,
            Self::Rest(p) => p.profile(ours, theirs, cpa_id).await,
        }
    }
}
