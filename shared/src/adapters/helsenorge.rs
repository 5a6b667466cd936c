//! NHN's HelsenorgeAktiv check over HTTPS, authenticated with a HelseID access token
//! (OAuth2 client credentials with a `private_key_jwt` client assertion, RFC 7523).
//!
//! Wire format (our reading of NHN's documentation; isolated here):
//! `POST {base}/digitaltaktiv/helsenorgeaktivsjekken/v1` with `{"fodselsnumre": ["…", …]}` (at
//! most 1000), answered by `[{"fodselsnummer": "…", "erDigitaltAktivSelv": bool,
//! "erDigitaltAktivViaAndre": bool, "tildeltFullmakt": bool}, …]`.

use std::collections::HashMap;
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};

use crate::domain::NationalId;
use crate::domain::consent::AktivFacts;
use crate::error::PortError;
use crate::ports::{AktivClient, Clock};

/// The check's path below the base URL.
pub const AKTIV_PATH: &str = "/digitaltaktiv/helsenorgeaktivsjekken/v1";
/// At most this many ids per call.
pub const MAX_IDS: usize = crate::domain::consent::AKTIV_MAX_IDS_PER_CALL;

/// An HTTP client for NHN with bounded timeouts (a hanging NHN must not hang us, R-ICON-7).
/// TLS is rustls with ring, the AWS clients' stack; installed here as the process default.
pub fn http_client(timeout: Duration) -> Result<reqwest::Client, PortError> {
    // Err only when a provider is installed already, which is as good.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(2)))
        .build()
        .map_err(|e| PortError::permanent("build HTTP client", e))
}

fn http_error(what: &'static str, e: reqwest::Error) -> PortError {
    if e.is_timeout() || e.is_connect() || e.is_request() {
        PortError::transient(what, e)
    } else {
        PortError::permanent(what, e)
    }
}

fn status_error(what: &'static str, status: reqwest::StatusCode) -> PortError {
    let text = format!("HTTP {status}");
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        PortError::transient(what, text)
    } else {
        PortError::permanent(what, text)
    }
}

#[derive(Serialize)]
struct Assertion<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    jti: String,
    iat: i64,
    nbf: i64,
    exp: i64,
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    expires_in: i64,
}

struct Cached {
    token: String,
    refresh_at: Timestamp,
}

/// HelseID access tokens, cached until shortly before they expire and fetched once for
/// concurrent callers. The assertion's times and the cache's expiry come from the injected
/// clock (the system clock unless [`HelseIdTokens::with_clock`] says otherwise).
pub struct HelseIdTokens {
    clock: Box<dyn Clock>,
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    scope: String,
    key: jwt::SigningKey,
    cache: tokio::sync::Mutex<Option<Cached>>,
}

impl HelseIdTokens {
    /// A token source. `key_pem` is the client's private key (PKCS#8 PEM, EC P-256 or RSA),
    /// read from Secrets Manager at start-up, never from the repository.
    pub fn new(
        http: reqwest::Client,
        token_url: impl Into<String>,
        client_id: impl Into<String>,
        scope: impl Into<String>,
        key_pem: &str,
    ) -> Result<Self, PortError> {
        let key = jwt::SigningKey::from_pem(key_pem)?;
        // A key ring cannot sign with fails the cold start, not every lookup.
        key.encode(&"probe")?;
        Ok(Self {
            clock: Box::new(super::clock::SystemClock),
            http,
            token_url: token_url.into(),
            client_id: client_id.into(),
            scope: scope.into(),
            key,
            cache: tokio::sync::Mutex::new(None),
        })
    }

    /// The same token source on `clock`.
    pub fn with_clock(mut self, clock: impl Clock + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// A valid access token. Holding the lock across the fetch makes concurrent callers wait
    /// for one request instead of each making their own.
    pub async fn token(&self) -> Result<String, PortError> {
        let mut cache = self.cache.lock().await;
        let now = self.clock.now();
        if let Some(c) = cache.as_ref().filter(|c| now < c.refresh_at) {
            return Ok(c.token.clone());
        }
        let fresh = self.fetch(now).await?;
        let token = fresh.token.clone();
        *cache = Some(fresh);
        Ok(token)
    }

    /// Forgets the cached token (after a 401).
    pub async fn invalidate(&self) {
        *self.cache.lock().await = None;
    }

    fn assertion(&self, now: Timestamp) -> Result<String, PortError> {
        let iat = now.as_second();
        let claims = Assertion {
            iss: &self.client_id,
            sub: &self.client_id,
            aud: &self.token_url,
            jti: jwt::random_jti()?,
            iat,
            nbf: iat,
            exp: iat + 60,
        };
        self.key.encode(&claims)
    }

    async fn fetch(&self, now: Timestamp) -> Result<Cached, PortError> {
        let assertion = self.assertion(now)?;
        let form = [
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"),
            ("client_assertion", assertion.as_str()),
            ("scope", self.scope.as_str()),
        ];
        let resp = self.http.post(&self.token_url).form(&form).send().await.map_err(|e| http_error("HelseID token", e))?;
        if !resp.status().is_success() {
            return Err(status_error("HelseID token", resp.status()));
        }
        let t: TokenResponse = resp.json().await.map_err(|e| http_error("HelseID token", e))?;
        // Refresh a minute early, or halfway through a short-lived token.
        let margin = (t.expires_in / 2).clamp(0, 60);
        let refresh_at = now.checked_add(SignedDuration::from_secs(t.expires_in - margin)).unwrap_or(now);
        Ok(Cached { token: t.access_token, refresh_at })
    }
}

#[derive(Serialize)]
struct AktivRequest<'a> {
    fodselsnumre: Vec<&'a str>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AktivResult {
    fodselsnummer: String,
    #[serde(default)]
    er_digitalt_aktiv_selv: bool,
    #[serde(default)]
    er_digitalt_aktiv_via_andre: bool,
    #[serde(default)]
    tildelt_fullmakt: bool,
}

/// The HelsenorgeAktiv adapter.
pub struct HelsenorgeAktivHttp {
    http: reqwest::Client,
    url: String,
    tokens: HelseIdTokens,
}

impl HelsenorgeAktivHttp {
    /// A client of `base_url` (no trailing slash needed).
    pub fn new(http: reqwest::Client, base_url: &str, tokens: HelseIdTokens) -> Self {
        Self { http, url: format!("{}{AKTIV_PATH}", base_url.trim_end_matches('/')), tokens }
    }

    async fn call(&self, ids: &[NationalId]) -> Result<Vec<(NationalId, AktivFacts)>, PortError> {
        let raw: Vec<String> = ids.iter().map(NationalId::expose).collect();
        let body = AktivRequest { fodselsnumre: raw.iter().map(String::as_str).collect() };
        for attempt in 0..2 {
            let token = self.tokens.token().await?;
            let resp = self
                .http
                .post(&self.url)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .map_err(|e| http_error("HelsenorgeAktiv", e))?;
            if resp.status() == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                self.tokens.invalidate().await; // the token was revoked or expired early
                continue;
            }
            if !resp.status().is_success() {
                return Err(status_error("HelsenorgeAktiv", resp.status()));
            }
            let body = resp.bytes().await.map_err(|e| http_error("HelsenorgeAktiv", e))?;
            return parse_aktiv_response(&body, ids);
        }
        Err(PortError::permanent("HelsenorgeAktiv", "unauthorized after a fresh token"))
    }
}

/// Reads HelsenorgeAktiv's answer (outside input): the facts of the ids asked about; entries
/// for ids not asked about are ignored, a malformed body is a transient error (never a panic).
pub fn parse_aktiv_response(body: &[u8], asked: &[NationalId]) -> Result<Vec<(NationalId, AktivFacts)>, PortError> {
    let results: Vec<AktivResult> = serde_json::from_slice(body)
        .map_err(|e| PortError::transient("HelsenorgeAktiv", format!("unreadable answer: {}", crate::domain::message::describe_json_error(&e))))?;
    let raw: Vec<String> = asked.iter().map(NationalId::expose).collect();
    let by_raw: HashMap<&str, &NationalId> = raw.iter().map(String::as_str).zip(asked).collect();
    Ok(results
        .into_iter()
        .filter_map(|r| {
            by_raw.get(r.fodselsnummer.as_str()).map(|id| {
                let facts = AktivFacts {
                    er_digitalt_aktiv_selv: r.er_digitalt_aktiv_selv,
                    er_digitalt_aktiv_via_andre: r.er_digitalt_aktiv_via_andre,
                    tildelt_fullmakt: r.tildelt_fullmakt,
                };
                ((*id).clone(), facts)
            })
        })
        .collect())
}

impl AktivClient for HelsenorgeAktivHttp {
    /// One call per 1000 ids.
    async fn lookup(&self, ids: &[NationalId]) -> Result<Vec<(NationalId, AktivFacts)>, PortError> {
        let mut all = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(MAX_IDS) {
            all.extend(self.call(chunk).await?);
        }
        Ok(all)
    }
}

/// Reads the HelseID private key (PEM) from Secrets Manager.
pub async fn key_from_secret(client: &aws_sdk_secretsmanager::Client, secret_name: &str) -> Result<String, PortError> {
    let out = client
        .get_secret_value()
        .secret_id(secret_name)
        .send()
        .await
        .map_err(|e| super::aws::classify("read HelseID key secret", e))?;
    out.secret_string.ok_or_else(|| PortError::permanent("read HelseID key secret", "the secret has no string value"))
}

/// Builds the HelsenorgeAktiv adapter from configuration: reads the HelseID key from Secrets
/// Manager once, at start-up.
pub async fn from_config(
    cfg: &crate::config::HelsenorgeConfig,
    sdk: &aws_types::SdkConfig,
    timeout: Duration,
) -> Result<HelsenorgeAktivHttp, PortError> {
    let secrets = aws_sdk_secretsmanager::Client::new(sdk);
    let pem = key_from_secret(&secrets, &cfg.key_secret_name).await?;
    let http = http_client(timeout)?;
    let tokens = HelseIdTokens::new(http.clone(), &cfg.token_url, &cfg.client_id, &cfg.scope, &pem)?;
    Ok(HelsenorgeAktivHttp::new(http, &cfg.aktiv_base_url, tokens))
}

pub mod jwt;

#[cfg(test)]
mod tests;
