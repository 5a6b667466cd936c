//! Counterparts' profiles from NHN's CPPA REST service, authenticated with a HelseID
//! client-credentials token (the project's one HelseID client, `shared::adapters::helsenorge::
//! HelseIdTokens`, shared with consent-sync), cached per counterpart (docs/transport.md §1.8).
//!
//! As Helsenorge.Messaging does it (HM `src/Helsenorge.Registries/CollaborationProtocolRegistryRest.cs`):
//! - `GET {base}/Agreements/{cpaId}` when the message names its CPA, else
//!   `GET {base}/Agreements/HerIds/{ours}/{theirs}`; when the pair has no CPA (any failure, as the
//!   library's `FindAgreementForCounterpartyAsync` falls back), `GET {base}/Profiles/{theirs}`
//!   (the CPP); `Accept: application/xml`, `Authorization: Bearer {token}`. The XML is read by
//!   [`crate::cppa_xml`]. DPoP (the library's `IsDpopEnabled`) is not implemented.
//! - Cache: one entry per call (ours, theirs, CPA id), for `ttl` (the library's `CachingInterval`,
//!   5 minutes in its sample). A cached entry is used only while its certificates still validate
//!   (signing: NonRepudiation and dates; encryption: KeyEncipherment and dates, R-TR-9);
//!   otherwise it is fetched again. Errors are not cached and nothing stale is served when the
//!   registry fails: the library rethrows (`RegistriesException`), we return a transient error
//!   and the delivery is released (R-TR-4).
//! - A counterpart without CPA and CPP (404 on `Profiles`) has no profile: `Ok(None)`, which the
//!   receiver reports as `transport:missing-certificate` (R-TR-3). The library would build a
//!   dummy profile from the address registry (`ThrowMessageIfNoCpp` off); we have no address
//!   registry client and refuse instead.
//! - 401: the token is forgotten and the call made once more with a new one.

use std::collections::HashMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use reqwest::StatusCode;
use shared::adapters::helsenorge::HelseIdTokens;
use shared::error::PortError;
use shared::ports::Clock;
use shared::ports_transport::{CollaborationProfiles, KeyUsage, Profile};

use crate::cms::check_certificate;
use crate::cppa_xml::{profile_from_cpa, profile_from_cpp};

type Key = (u64, u64, Option<String>);

/// The CPPA REST adapter.
pub struct CppaRest<K> {
    http: reqwest::Client,
    base: String,
    tokens: HelseIdTokens,
    ttl: SignedDuration,
    clock: K,
    cache: tokio::sync::Mutex<HashMap<Key, (Timestamp, Profile)>>,
}

enum Answer {
    Found(String),
    NotFound,
}

fn transient(what: &'static str, e: impl Into<shared::error::BoxError>) -> PortError {
    PortError::transient(what, e)
}

impl<K: Clock> CppaRest<K> {
    /// A client of the service at `base_url` (e.g. `https://cppa.grunndata.nhn.no`), entries kept `ttl`.
    pub fn new(http: reqwest::Client, base_url: &str, tokens: HelseIdTokens, ttl: Duration, clock: K) -> Self {
        let ttl = SignedDuration::try_from(ttl).unwrap_or(SignedDuration::from_secs(300));
        Self { http, base: base_url.trim_end_matches('/').to_string(), tokens, ttl, clock, cache: Default::default() }
    }

    async fn get(&self, path: &str) -> Result<Answer, PortError> {
        for first in [true, false] {
            let token = self.tokens.token().await?;
            let url = format!("{}{path}", self.base);
            let resp = self
                .http
                .get(url)
                .header(reqwest::header::ACCEPT, "application/xml")
                .bearer_auth(token)
                .send()
                .await
                .map_err(|e| transient("CPPA request", e))?;
            match resp.status() {
                s if s.is_success() => return resp.text().await.map(Answer::Found).map_err(|e| transient("CPPA response", e)),
                StatusCode::NOT_FOUND => return Ok(Answer::NotFound),
                StatusCode::UNAUTHORIZED if first => self.tokens.invalidate().await,
                s if s.is_server_error() || s == StatusCode::TOO_MANY_REQUESTS => return Err(transient("CPPA request", format!("HTTP {s}"))),
                s => return Err(PortError::permanent("CPPA request", format!("HTTP {s}"))),
            }
        }
        Err(PortError::permanent("CPPA request", "HTTP 401 with a fresh token"))
    }

    /// Whether a cached profile may still be used (R-TR-9; the library's check before a cache hit).
    fn usable(&self, cached_at: Timestamp, p: &Profile, now: Timestamp) -> bool {
        let fresh = cached_at.checked_add(self.ttl).is_ok_and(|until| now < until);
        let ok = |c: &Option<_>, u| c.as_ref().is_none_or(|c| check_certificate(c, u, now).is_empty());
        fresh && ok(&p.signing, KeyUsage::NonRepudiation) && ok(&p.encryption, KeyUsage::KeyEncipherment)
    }

    /// A CPA at `path` whose counterpart is `theirs`; `None` when there is none (or it is another's).
    async fn agreement(&self, path: &str, ours: u64, theirs: u64) -> Result<Option<Profile>, PortError> {
        match self.get(path).await? {
            Answer::NotFound => Ok(None),
            Answer::Found(xml) => {
                let p = profile_from_cpa(&xml, ours).map_err(|e| PortError::permanent("read CPA", e))?;
                Ok((p.her_id == theirs).then_some(p))
            }
        }
    }

    async fn fetch(&self, ours: u64, theirs: u64, cpa_id: Option<&str>) -> Result<Option<Profile>, PortError> {
        if let Some(id) = cpa_id.filter(|c| !c.is_empty() && c.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')) {
            if let Some(p) = self.agreement(&format!("/Agreements/{id}"), ours, theirs).await? {
                return Ok(Some(p));
            }
        }
        match self.agreement(&format!("/Agreements/HerIds/{ours}/{theirs}"), ours, theirs).await {
            Ok(Some(p)) => return Ok(Some(p)),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, theirs, "no CPA for the pair; falling back to the CPP"),
        }
        match self.get(&format!("/Profiles/{theirs}")).await? {
            Answer::NotFound => Ok(None),
            Answer::Found(xml) => {
                let p = profile_from_cpp(&xml).map_err(|e| PortError::permanent("read CPP", e))?;
                Ok((p.her_id == theirs).then_some(p))
            }
        }
    }
}

impl<K: Clock> CollaborationProfiles for CppaRest<K> {
    async fn profile(&self, ours: u64, theirs: u64, cpa_id: Option<&str>) -> Result<Option<Profile>, PortError> {
        let key: Key = (ours, theirs, cpa_id.map(str::to_string));
        let now = self.clock.now();
        if let Some((at, p)) = self.cache.lock().await.get(&key) {
            if self.usable(*at, p, now) {
                return Ok(Some(p.clone()));
            }
        }
        let found = self.fetch(ours, theirs, cpa_id).await?;
        if let Some(p) = &found {
            self.cache.lock().await.insert(key, (now, p.clone()));
        }
        Ok(found)
    }
}
