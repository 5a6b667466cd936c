//! A local fake of NHN's HelsenorgeAktiv check and of the HelseID token endpoint, speaking the
//! same HTTP as the real ones (see `shared::adapters::helsenorge`). Tests start it in process;
//! the demo runs it as the `helsenorge-fake` binary. It answers from a fixture file
//! (`events/helsenorge/aktiv.json`) and can be switched to be slow, to fail or to hang:
//!
//! `POST /_fake/mode {"mode": "normal"|"slow"|"fail"|"hang", "delayMs": 2000, "tokenTtlSecs": 300}`
//! `GET  /_fake/stats` → `{"tokenRequests": n, "lookupCalls": n, "idsLookedUp": n, "maxIdsInOneCall": n}`
//!
//! The client assertion's claims are checked (iss = sub = client id, aud = token URL, exp in
//! the future, ES256 or RS256); its signature is not verified: the fake holds no public key.

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The client id the fake accepts.
pub const CLIENT_ID: &str = "helsedialog-test";

/// How the fake behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Answer at once from the fixture.
    #[default]
    Normal,
    /// Answer after `delay_ms`.
    Slow,
    /// Answer 503.
    Fail,
    /// Never answer.
    Hang,
}

/// Counters, for tests and the demo.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Token requests answered.
    pub token_requests: u32,
    /// HelsenorgeAktiv calls answered (or attempted).
    pub lookup_calls: u32,
    /// Ids looked up in all.
    pub ids_looked_up: u64,
    /// The largest number of ids in one call.
    pub max_ids_in_one_call: u32,
}

struct Inner {
    fixture: HashMap<String, Value>,
    mode: Mode,
    delay: Duration,
    token_ttl_secs: i64,
    tokens: HashMap<String, i64>,
    stats: Stats,
    next_token: u64,
}

/// A running fake.
#[derive(Clone)]
pub struct Fake {
    inner: Arc<Mutex<Inner>>,
    /// Where it listens.
    pub addr: SocketAddr,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ModeRequest {
    mode: Mode,
    #[serde(default)]
    delay_ms: Option<u64>,
    #[serde(default)]
    token_ttl_secs: Option<i64>,
}

#[derive(Deserialize)]
struct TokenForm {
    grant_type: String,
    client_assertion_type: String,
    client_assertion: String,
    #[serde(default)]
    #[allow(dead_code)]
    scope: String,
}

#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: String,
    exp: i64,
    jti: String,
}

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

impl Fake {
    /// Starts on `addr` (port 0 for any) with `fixture`: national id → facts.
    pub async fn start(addr: SocketAddr, fixture: HashMap<String, Value>) -> std::io::Result<Self> {
        let inner = Arc::new(Mutex::new(Inner {
            fixture,
            mode: Mode::Normal,
            delay: Duration::from_millis(1500),
            token_ttl_secs: 300,
            tokens: HashMap::new(),
            stats: Stats::default(),
            next_token: 1,
        }));
        let app = Router::new()
            .route("/connect/token", post(token))
            .route("/digitaltaktiv/helsenorgeaktivsjekken/v1", post(lookup))
            .route("/_fake/mode", post(set_mode))
            .route("/_fake/stats", get(stats))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(Self { inner, addr })
    }

    /// Reads the fixture file.
    pub fn fixture(path: &std::path::Path) -> HashMap<String, Value> {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
            .expect("fixture is a JSON object of national id -> facts")
    }

    /// The base URL of HelsenorgeAktiv.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The token endpoint.
    pub fn token_url(&self) -> String {
        format!("http://{}/connect/token", self.addr)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Switches the behaviour.
    pub fn set_mode(&self, mode: Mode, delay: Option<Duration>) {
        let mut i = self.lock();
        i.mode = mode;
        if let Some(d) = delay {
            i.delay = d;
        }
    }

    /// Sets the lifetime of tokens issued from now on.
    pub fn set_token_ttl(&self, secs: i64) {
        self.lock().token_ttl_secs = secs;
    }

    /// Sets what the fake answers for one id (consent given or withdrawn on Helsenorge).
    pub fn set_facts(&self, national_id: &str, facts: Value) {
        self.lock().fixture.insert(national_id.to_string(), facts);
    }

    /// The counters.
    pub fn stats(&self) -> Stats {
        self.lock().stats.clone()
    }
}

async fn set_mode(State(s): State<Arc<Mutex<Inner>>>, Json(m): Json<ModeRequest>) -> StatusCode {
    let mut i = s.lock().unwrap_or_else(|p| p.into_inner());
    i.mode = m.mode;
    if let Some(d) = m.delay_ms {
        i.delay = Duration::from_millis(d);
    }
    if let Some(t) = m.token_ttl_secs {
        i.token_ttl_secs = t;
    }
    StatusCode::NO_CONTENT
}

async fn stats(State(s): State<Arc<Mutex<Inner>>>) -> Json<Stats> {
    Json(s.lock().unwrap_or_else(|p| p.into_inner()).stats.clone())
}

fn oauth_error(code: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": code}))).into_response()
}

async fn token(State(s): State<Arc<Mutex<Inner>>>, headers: HeaderMap, Form(f): Form<TokenForm>) -> Response {
    if f.grant_type != "client_credentials" {
        return oauth_error("unsupported_grant_type");
    }
    if f.client_assertion_type != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
        return oauth_error("invalid_client");
    }
    let Ok(header) = jsonwebtoken::decode_header(&f.client_assertion) else { return oauth_error("invalid_client") };
    if !matches!(header.alg, jsonwebtoken::Algorithm::ES256 | jsonwebtoken::Algorithm::RS256) {
        return oauth_error("invalid_client");
    }
    let Ok(claims) = jsonwebtoken::dangerous::insecure_decode_claims::<Claims>(&f.client_assertion) else {
        return oauth_error("invalid_client");
    };
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or_default();
    let aud_ok = claims.aud.ends_with("/connect/token") && claims.aud.contains(host);
    if claims.iss != CLIENT_ID || claims.sub != CLIENT_ID || !aud_ok || claims.exp <= now() || claims.jti.is_empty() {
        return oauth_error("invalid_client");
    }
    let mut i = s.lock().unwrap_or_else(|p| p.into_inner());
    i.stats.token_requests += 1;
    let token = format!("fake-token-{}", i.next_token);
    i.next_token += 1;
    let ttl = i.token_ttl_secs;
    i.tokens.insert(token.clone(), now() + ttl);
    Json(json!({"access_token": token, "expires_in": ttl, "token_type": "Bearer"})).into_response()
}

#[derive(Deserialize)]
struct LookupRequest {
    fodselsnumre: Vec<String>,
}

async fn lookup(State(s): State<Arc<Mutex<Inner>>>, headers: HeaderMap, Json(req): Json<LookupRequest>) -> Response {
    let (mode, delay, answer) = {
        let mut i = s.lock().unwrap_or_else(|p| p.into_inner());
        let bearer = headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .unwrap_or_default()
            .to_string();
        if i.tokens.get(&bearer).is_none_or(|exp| *exp <= now()) {
            return StatusCode::UNAUTHORIZED.into_response();
        }
        if req.fodselsnumre.len() > 1000 {
            return (StatusCode::BAD_REQUEST, "at most 1000 ids per call").into_response();
        }
        i.stats.lookup_calls += 1;
        i.stats.ids_looked_up += req.fodselsnumre.len() as u64;
        i.stats.max_ids_in_one_call = i.stats.max_ids_in_one_call.max(req.fodselsnumre.len() as u32);
        let unique: HashSet<&String> = req.fodselsnumre.iter().collect();
        let answer: Vec<Value> = unique
            .into_iter()
            .map(|id| {
                let facts = i.fixture.get(id).cloned().unwrap_or_else(|| json!({}));
                json!({
                    "fodselsnummer": id,
                    "erDigitaltAktivSelv": facts["erDigitaltAktivSelv"].as_bool().unwrap_or(false),
                    "erDigitaltAktivViaAndre": facts["erDigitaltAktivViaAndre"].as_bool().unwrap_or(false),
                    "tildeltFullmakt": facts["tildeltFullmakt"].as_bool().unwrap_or(false),
                })
            })
            .collect();
        (i.mode, i.delay, answer)
    };
    match mode {
        Mode::Normal => Json(answer).into_response(),
        Mode::Slow => {
            tokio::time::sleep(delay).await;
            Json(answer).into_response()
        }
        Mode::Fail => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        Mode::Hang => std::future::pending().await,
    }
}
