//! A fault-injecting proxy between the functions and moto: it forwards every AWS request
//! unchanged, counts them by operation, and can answer an operation with throttling, a 5xx,
//! or hold it unanswered (a request lost in flight; the caller dies first) — real AWS error
//! shapes through the real SDK, its retries included.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// What to do to an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// 400 ThrottlingException (DynamoDB) / RequestThrottled (SQS): retried by the SDK.
    Throttle,
    /// 500 InternalServerError: retried by the SDK.
    ServerError,
    /// Never answered, never forwarded: the request is lost in flight.
    Blackhole,
}

#[derive(Debug, Default)]
struct Rules {
    /// operation -> (fault, times left)
    faults: BTreeMap<String, (Fault, u32)>,
    injected: BTreeMap<String, u32>,
    calls: BTreeMap<String, u32>,
}

/// The proxy; point `AWS_ENDPOINT_URL` at [`FaultProxy::url`].
#[derive(Clone)]
pub struct FaultProxy {
    rules: Arc<Mutex<Rules>>,
    upstream: String,
    http: reqwest::Client,
    /// Where it listens.
    pub addr: std::net::SocketAddr,
}

impl FaultProxy {
    /// Starts a proxy in front of `upstream` (moto).
    pub async fn start(upstream: &str) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let proxy = Self {
            rules: Arc::default(),
            upstream: upstream.trim_end_matches('/').to_string(),
            // The project's own HTTP client set-up (it installs the rustls crypto provider).
            http: shared::adapters::helsenorge::http_client(std::time::Duration::from_secs(120)).expect("HTTP client"),
            addr,
        };
        let app = Router::new().fallback(forward).with_state(proxy.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        proxy
    }

    /// The endpoint URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Fails the next `times` calls of `operation` (e.g. "TransactWriteItems") with `fault`.
    pub fn fail(&self, operation: &str, fault: Fault, times: u32) {
        self.rules.lock().expect("rules").faults.insert(operation.to_string(), (fault, times));
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.rules.lock().expect("rules").faults.clear();
    }

    /// Faults injected so far, by operation.
    pub fn injected(&self) -> BTreeMap<String, u32> {
        self.rules.lock().expect("rules").injected.clone()
    }

    /// Calls seen so far, by operation.
    pub fn calls(&self) -> BTreeMap<String, u32> {
        self.rules.lock().expect("rules").calls.clone()
    }
}

fn operation(headers: &HeaderMap, body: &[u8]) -> String {
    if let Some(t) = headers.get("x-amz-target").and_then(|v| v.to_str().ok()) {
        return t.rsplit('.').next().unwrap_or(t).to_string();
    }
    // Query protocol (form body): Action=...
    String::from_utf8_lossy(body)
        .split('&')
        .find_map(|kv| kv.strip_prefix("Action=").map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

async fn forward(State(p): State<FaultProxy>, method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let op = operation(&headers, &body);
    let fault = {
        let mut r = p.rules.lock().expect("rules");
        *r.calls.entry(op.clone()).or_default() += 1;
        let fault = match r.faults.get_mut(&op) {
            Some((f, left)) if *left > 0 => {
                *left -= 1;
                Some(*f)
            }
            _ => None,
        };
        if fault.is_some() {
            *r.injected.entry(op.clone()).or_default() += 1;
        }
        fault
    };
    let sqs = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).is_some_and(|t| t.starts_with("AmazonSQS"));
    match fault {
        Some(Fault::Throttle) => {
            let (kind, code) = if sqs { ("com.amazonaws.sqs#RequestThrottled", "RequestThrottled") } else {
                ("com.amazonaws.dynamodb.v20120810#ThrottlingException", "ThrottlingException")
            };
            let body = serde_json::json!({"__type": kind, "message": "Rate exceeded (injected)"}).to_string();
            return (StatusCode::BAD_REQUEST, [("content-type", "application/x-amz-json-1.0"), ("x-amzn-query-error", &format!("{code};Sender"))], body).into_response();
        }
        Some(Fault::ServerError) => {
            let body = serde_json::json!({"__type": "com.amazonaws.dynamodb.v20120810#InternalServerError", "message": "injected"}).to_string();
            return (StatusCode::INTERNAL_SERVER_ERROR, [("content-type", "application/x-amz-json-1.0")], body).into_response();
        }
        Some(Fault::Blackhole) => return std::future::pending().await,
        None => {}
    }
    let url = format!("{}{}", p.upstream, uri.path_and_query().map_or("/", |pq| pq.as_str()));
    let mut req = p.http.request(method, url).body(body);
    for (k, v) in &headers {
        if k != "host" && k != "content-length" {
            req = req.header(k, v);
        }
    }
    match req.send().await {
        Ok(resp) => {
            let status = resp.status();
            let headers = resp.headers().clone();
            let body = resp.bytes().await.unwrap_or_default();
            let mut out = (status, body).into_response();
            for (k, v) in &headers {
                if k != "content-length" && k != "transfer-encoding" {
                    out.headers_mut().insert(k, v.clone());
                }
            }
            out
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}
