//! A local fake of NHN's CPPA REST service (docs/transport.md §1.8): `GET /Profiles/{herId}`
//! (CPP), `GET /Agreements/{cpaId}` and `GET /Agreements/HerIds/{ours}/{theirs}` (CPA), XML,
//! behind a bearer token (from the HelseID fake in `fake.rs`). It counts calls per route and
//! can fail (503) or answer 401 once, so tests see what the bridge's cache and error handling
//! do. Documents are built with `helsenorge_bridge::cppa_testkit`.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

#[derive(Default)]
struct Inner {
    cpps: HashMap<u64, String>,
    cpas_by_id: HashMap<String, String>,
    cpas_by_pair: HashMap<(u64, u64), String>,
    calls: BTreeMap<&'static str, u32>,
    failing: bool,
    unauthorized_once: bool,
}

type Shared = Arc<Mutex<Inner>>;

/// A running fake CPPA service.
#[derive(Clone)]
pub struct FakeCppa {
    inner: Shared,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl FakeCppa {
    /// Starts on a free loopback port.
    pub async fn start() -> Self {
        let inner: Shared = Arc::default();
        let app = Router::new()
            .route("/Profiles/{her}", get(cpp))
            .route("/Agreements/{id}", get(cpa_by_id))
            .route("/Agreements/HerIds/{ours}/{theirs}", get(cpa_by_pair))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { inner, addr }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Registers a counterpart's CPP.
    pub fn put_cpp(&self, her_id: u64, xml: String) {
        self.lock().cpps.insert(her_id, xml);
    }

    /// Registers a CPA between `ours` and `theirs` under `id`.
    pub fn put_cpa(&self, id: &str, ours: u64, theirs: u64, xml: String) {
        let mut i = self.lock();
        i.cpas_by_id.insert(id.to_string(), xml.clone());
        i.cpas_by_pair.insert((ours, theirs), xml);
    }

    /// Every call answers 503 while set.
    pub fn set_failing(&self, failing: bool) {
        self.lock().failing = failing;
    }

    /// The next call answers 401 (a token the service no longer accepts).
    pub fn unauthorized_once(&self) {
        self.lock().unauthorized_once = true;
    }

    /// Calls so far by route: `Profiles`, `Agreements`, `Agreements/HerIds`.
    pub fn calls(&self) -> BTreeMap<&'static str, u32> {
        self.lock().calls.clone()
    }
}

fn answer(s: &Shared, route: &'static str, headers: &HeaderMap, found: impl FnOnce(&Inner) -> Option<String>) -> Response {
    let mut i = s.lock().unwrap_or_else(|p| p.into_inner());
    *i.calls.entry(route).or_default() += 1;
    let bearer = headers.get(header::AUTHORIZATION).and_then(|h| h.to_str().ok()).and_then(|h| h.strip_prefix("Bearer "));
    if bearer.is_none_or(|t| !t.starts_with("fake-token-")) || std::mem::take(&mut i.unauthorized_once) {
        return StatusCode::UNAUTHORIZED.into_response();
    }
    if headers.get(header::ACCEPT).and_then(|h| h.to_str().ok()) != Some("application/xml") {
        return StatusCode::NOT_ACCEPTABLE.into_response();
    }
    if i.failing {
        return StatusCode::SERVICE_UNAVAILABLE.into_response();
    }
    match found(&i) {
        Some(xml) => ([(header::CONTENT_TYPE, "application/xml")], xml).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn cpp(State(s): State<Shared>, Path(her): Path<u64>, headers: HeaderMap) -> Response {
    answer(&s, "Profiles", &headers, |i| i.cpps.get(&her).cloned())
}

async fn cpa_by_id(State(s): State<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Response {
    answer(&s, "Agreements", &headers, |i| i.cpas_by_id.get(&id).cloned())
}

async fn cpa_by_pair(State(s): State<Shared>, Path((ours, theirs)): Path<(u64, u64)>, headers: HeaderMap) -> Response {
    answer(&s, "Agreements/HerIds", &headers, |i| i.cpas_by_pair.get(&(ours, theirs)).cloned())
}
