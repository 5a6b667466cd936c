//! A minimal Lambda runtime-API emulator: it serves `/2018-06-01/runtime/invocation/next` to a
//! real function binary (built by `cargo build --workspace`) and collects its responses, so the
//! end-to-end tests run the functions exactly as Lambda starts them, with no Docker.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::Value;
use tokio::process::{Child, Command};
use tokio::sync::{Mutex, mpsc, oneshot};

/// The outcome of one invocation: the function's response, or the error it reported.
pub type Outcome = Result<Value, Value>;

struct Shared {
    /// When the function first asked for an event: it is initialised and ready.
    ready: std::sync::OnceLock<std::time::Instant>,
    /// What the function reported to `/runtime/init/error`: every invocation fails with it, as
    /// in Lambda, whether it was waiting already or comes later.
    init_error: std::sync::OnceLock<Value>,
    next: Mutex<mpsc::Receiver<(String, Value)>>,
    waiting: Mutex<HashMap<String, oneshot::Sender<Outcome>>>,
}

/// One function process behind its own runtime API.
pub struct LocalLambda {
    logs: Arc<std::sync::Mutex<String>>,
    events: mpsc::Sender<(String, Value)>,
    shared: Arc<Shared>,
    child: Child,
    spawned: std::time::Instant,
    ids: AtomicU64,
    /// Where the runtime API listens.
    pub addr: std::net::SocketAddr,
}

/// Path of a workspace binary in the shared target directory.
pub fn binary(name: &str) -> PathBuf {
    // A test executable lives in <target>/<profile>/deps/, a binary (the bench) in <target>/<profile>/.
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().expect("the executable's directory");
    let profile_dir = if dir.ends_with("deps") { dir.parent().expect("target/<profile>") } else { dir };
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace` first (make test does)",
        path.display()
    );
    path
}

impl LocalLambda {
    /// Starts the runtime API and the function binary with `env` (as the template sets it).
    pub async fn start(name: &str, env: &BTreeMap<String, String>) -> Self {
        let (tx, rx) = mpsc::channel(64);
        let shared = Arc::new(Shared {
            ready: std::sync::OnceLock::new(),
            init_error: std::sync::OnceLock::new(),
            next: Mutex::new(rx),
            waiting: Mutex::new(HashMap::new()),
        });
        let app = Router::new()
            .route("/2018-06-01/runtime/invocation/next", get(next))
            .route("/2018-06-01/runtime/invocation/{id}/response", post(response))
            .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
            .route("/2018-06-01/runtime/init/error", post(init_error))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });

        let mut cmd = Command::new(binary(name));
        cmd.envs(env)
            .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "local")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true);
        let spawned = std::time::Instant::now();
        let mut child = cmd.spawn().expect("spawn function binary");
        let logs = Arc::new(std::sync::Mutex::new(String::new()));
        for out in [child.stdout.take().map(|o| Box::new(o) as Box<dyn tokio::io::AsyncRead + Unpin + Send>),
                    child.stderr.take().map(|e| Box::new(e) as Box<dyn tokio::io::AsyncRead + Unpin + Send>)]
            .into_iter()
            .flatten()
        {
            let logs = logs.clone();
            tokio::spawn(async move {
                use tokio::io::AsyncBufReadExt;
                let mut lines = tokio::io::BufReader::new(out).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if let Ok(mut l) = logs.lock() {
                        l.push_str(&line);
                        l.push('\n');
                    }
                }
            });
        }
        Self { logs, events: tx, shared, child, spawned, ids: AtomicU64::new(1), addr }
    }

    /// Invokes the function with `event` and waits (at most 60 s) for its outcome.
    pub async fn invoke(&self, event: Value) -> Outcome {
        self.invoke_within(event, Duration::from_secs(60)).await
    }

    /// Invokes and waits at most `limit` (Lambda's own limit is 15 minutes).
    pub async fn invoke_within(&self, event: Value, limit: Duration) -> Outcome {
        self.try_invoke_within(event, limit).await.unwrap_or_else(|| panic!("function answered within {limit:?}"))
    }

    /// Invokes and waits at most `limit`; `None` when the function did not answer in time (as
    /// Lambda's timeout would end it).
    pub async fn try_invoke_within(&self, event: Value, limit: Duration) -> Option<Outcome> {
        let id = format!("req-{}", self.ids.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        self.shared.waiting.lock().await.insert(id.clone(), tx);
        // Checked after registering: `init_error` records first and then fails the waiting.
        if let Some(err) = self.shared.init_error.get() {
            if self.shared.waiting.lock().await.remove(&id).is_some() {
                return Some(Err(err.clone()));
            }
        }
        self.events.send((id, event)).await.expect("runtime API is running");
        tokio::time::timeout(limit, rx).await.ok().map(|r| r.expect("outcome delivered"))
    }

    /// Time from spawning the process to its first request for an event (its init phase), waiting
    /// at most `limit`; `None` if it never asked.
    pub async fn startup(&self, limit: Duration) -> Option<Duration> {
        let until = std::time::Instant::now() + limit;
        while std::time::Instant::now() < until {
            if let Some(t) = self.shared.ready.get() {
                return Some(t.duration_since(self.spawned));
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        None
    }

    /// The function process's resident and peak memory in kB (VmRSS, VmHWM), on Linux.
    pub fn memory_kb(&self) -> Option<(u64, u64)> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()?)).ok()?;
        let field = |name: &str| {
            status.lines().find(|l| l.starts_with(name)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        };
        Some((field("VmRSS:")?, field("VmHWM:")?))
    }

    /// The function process's id (for memory readings).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Everything the function wrote to stdout and stderr so far (its logs).
    pub fn logs(&self) -> String {
        self.logs.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Stops the function process.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

async fn next(State(s): State<Arc<Shared>>) -> impl IntoResponse {
    let _ = s.ready.set(std::time::Instant::now());
    let Some((id, event)) = s.next.lock().await.recv().await else {
        return (StatusCode::GONE, HeaderMap::new(), Bytes::new());
    };
    let deadline = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() + 30_000)
        .unwrap_or(0);
    let mut h = HeaderMap::new();
    let hv = |v: String| HeaderValue::from_str(&v).expect("header value");
    h.insert("lambda-runtime-aws-request-id", hv(id));
    h.insert("lambda-runtime-deadline-ms", hv(deadline.to_string()));
    h.insert(
        "lambda-runtime-invoked-function-arn",
        hv("arn:aws:lambda:eu-north-1:123456789012:function:local".into()),
    );
    h.insert("lambda-runtime-trace-id", hv("Root=1-00000000-000000000000000000000000".into()));
    h.insert("content-type", HeaderValue::from_static("application/json"));
    (StatusCode::OK, h, Bytes::from(event.to_string()))
}

async fn finish(s: &Shared, id: &str, outcome: Outcome) {
    if let Some(tx) = s.waiting.lock().await.remove(id) {
        let _ = tx.send(outcome);
    }
}

fn json(body: &Bytes) -> Value {
    serde_json::from_slice(body).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into()))
}

async fn response(State(s): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    finish(&s, &id, Ok(json(&body))).await;
    StatusCode::ACCEPTED
}

async fn error(State(s): State<Arc<Shared>>, Path(id): Path<String>, body: Bytes) -> StatusCode {
    finish(&s, &id, Err(json(&body))).await;
    StatusCode::ACCEPTED
}

async fn init_error(State(s): State<Arc<Shared>>, body: Bytes) -> StatusCode {
    let err = json(&body);
    let _ = s.init_error.set(err.clone());
    for (_, tx) in s.waiting.lock().await.drain() {
        let _ = tx.send(Err(err.clone()));
    }
    StatusCode::ACCEPTED
}
