//! A freshly named set of the template's queues and tables on the local moto server.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use serde::Deserialize;

/// The project's root directory.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// The moto endpoint; panics with the way to get one when it is not set.
pub fn endpoint() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| {
        panic!("AWS_ENDPOINT_URL is not set: run the end-to-end tests with `make test`, which starts moto")
    })
}

/// What `tools/stack.py provision` created, keyed by the template's logical ids.
#[derive(Debug, Clone, Deserialize)]
pub struct LocalStack {
    /// Name prefix of this set of resources.
    pub prefix: String,
    /// Logical id -> queue URL.
    pub queues: BTreeMap<String, String>,
    /// Logical id -> table name.
    pub tables: BTreeMap<String, String>,
    /// Logical id -> bucket name (the claim check's body bucket).
    #[serde(default)]
    pub buckets: BTreeMap<String, String>,
    /// Function logical id -> its environment variables as in Lambda.
    pub env: BTreeMap<String, BTreeMap<String, String>>,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl LocalStack {
    /// Provisions every queue and table of template.yaml under a fresh prefix, so tests do not
    /// see each other and moto's tables stay small.
    pub fn provision(test: &str) -> Self {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let short: String = test.chars().filter(|c| c.is_ascii_alphanumeric()).take(12).collect();
        let prefix = format!("t{}{}{n}-{short}-", std::process::id() % 100_000, nanos() % 10_000);
        let root = root();
        let out = Command::new(root.join(".venv/bin/python"))
            .arg(root.join("tools/stack.py"))
            .args(["provision", "--quiet", "--prefix", &prefix])
            .env("AWS_ENDPOINT_URL", endpoint())
            .output()
            .expect("run tools/stack.py (make venv installs it)");
        assert!(
            out.status.success(),
            "provision failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).expect("provision prints JSON")
    }

    /// Queue URL of a logical id.
    pub fn queue(&self, logical: &str) -> &str {
        self.queues.get(logical).unwrap_or_else(|| panic!("no queue {logical}"))
    }

    /// Table name of a logical id.
    pub fn table(&self, logical: &str) -> &str {
        self.tables.get(logical).unwrap_or_else(|| panic!("no table {logical}"))
    }

    /// The table names as the adapters take them.
    pub fn tables(&self) -> shared::config::Tables {
        shared::config::Tables {
            messages: self.table("MessagesTable").into(),
            citizens: self.table("CitizensTable").into(),
            activations: self.table("ActivationsTable").into(),
            appointments: self.table("AppointmentsTable").into(),
            operations: self.table("OperationsTable").into(),
        }
    }

    /// A fresh HelseID signing key in moto's Secrets Manager (`tools/stack.py helseid-key`),
    /// named after this stack; returns its name.
    pub fn helseid_secret(&self) -> String {
        let name = format!("{}helseid-key", self.prefix);
        let root = root();
        let out = Command::new(root.join(".venv/bin/python"))
            .arg(root.join("tools/stack.py"))
            .args(["helseid-key", "--name", &name])
            .env("AWS_ENDPOINT_URL", endpoint())
            .output()
            .expect("run tools/stack.py");
        assert!(out.status.success(), "helseid-key failed: {}", String::from_utf8_lossy(&out.stderr));
        name
    }

    /// Environment of a function that calls HelsenorgeAktiv, pointed at the local fake, with a
    /// fresh HelseID key secret.
    pub fn function_env_with_fake(&self, logical: &str, fake: &crate::fake::Fake) -> BTreeMap<String, String> {
        let mut env = self.function_env(logical);
        env.insert("HELSENORGE_AKTIV_BASE_URL".into(), fake.base_url());
        env.insert("HELSEID_TOKEN_URL".into(), fake.token_url());
        env.insert("HELSEID_CLIENT_ID".into(), crate::fake::CLIENT_ID.into());
        env.insert("HELSEID_KEY_SECRET_NAME".into(), self.helseid_secret());
        env
    }

    /// Environment of a function (logical id) as Lambda would set it.
    pub fn function_env(&self, logical: &str) -> BTreeMap<String, String> {
        self.env.get(logical).cloned().unwrap_or_else(|| panic!("no function {logical}"))
    }
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// SDK configuration for moto (endpoint and dummy credentials come from the environment), built
/// exactly as the functions build theirs.
pub async fn sdk_config() -> aws_config::SdkConfig {
    shared::adapters::aws::sdk_config().expect("AWS settings in the environment (make test sets them)")
}
