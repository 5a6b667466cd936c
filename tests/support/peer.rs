//! The Helsenorge-side test peer (issue 18): what Helsenorge.Messaging does on Helsenorge's side
//! of the Tjenestebuss, played over the real local RabbitMQ (`tools/rabbitmq.sh`) — sends
//! signed and encrypted MsgHead messages to our `_async` queue, receives our AppRecs and replies
//! on its own, verifies our signatures, reads our error messages. Certificates are made at run
//! time (`helsenorge_bridge::testkit`), never committed. Used by `tests/bridge.rs`, the
//! `helsenorge-peer` binary (`make demo`) and the bench.
//!
//! The peer reuses the bridge crate's CMS and AMQP adapters as Helsenorge's side (other keys,
//! other links): what is under test is the bridge binary between them.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use helsenorge_bridge::amqp::{AmqpSettings, RetryOutcome, receive_forever};
use helsenorge_bridge::cms::KeyPair;
use helsenorge_bridge::testkit::{self, PartyKeys};
use shared::app::bridge_in::Settle;
use shared::domain::transport::{SIGNED_AND_ENVELOPED, TransportMessage};
use tokio::sync::mpsc;

use crate::stack::root;

/// The exchange NHN's test broker publishes through (`tools/rabbitmq.sh` declares it).
pub const NAMESPACE: &str = "NHNTestServiceBus";

/// The local broker's port (`RABBITMQ_PORT`, as `tools/rabbitmq.sh` reads it).
pub fn rabbit_port() -> String {
    std::env::var("RABBITMQ_PORT").unwrap_or_else(|_| "5679".into())
}

/// The local broker's URL.
pub fn amqp_url() -> String {
    format!("amqp://127.0.0.1:{}", rabbit_port())
}

/// Declares NHN's queues for `hers` on the local broker (idempotent).
pub fn declare(hers: &[&str]) -> Result<(), String> {
    let out = std::process::Command::new(root().join("tools/rabbitmq.sh"))
        .arg("declare")
        .args(hers)
        .output()
        .map_err(|e| format!("tools/rabbitmq.sh: {e}"))?;
    if out.status.success() { Ok(()) } else { Err(format!("declare: {}", String::from_utf8_lossy(&out.stderr))) }
}

/// The peer's connection settings; `name` keeps its container ids apart.
pub fn settings(name: &str) -> Arc<AmqpSettings> {
    Arc::new(AmqpSettings {
        url: amqp_url(),
        username: "guest".into(),
        password: "guest".into(),
        namespace: NAMESPACE.into(),
        container_id: format!("helsenorge-peer-{name}-{}", std::process::id()),
        credit: 10,
        retry: RetryOutcome::Released,
        pause_before_settle: None,
    })
}

/// Everything arriving on `queue`, accepted, into a channel.
pub fn listen(queue: &str) -> mpsc::UnboundedReceiver<TransportMessage> {
    let (tx, rx) = mpsc::unbounded_channel();
    let queue = queue.to_string();
    tokio::spawn(async move {
        receive_forever(settings(&queue), queue.clone(), move |m| {
            let tx = tx.clone();
            async move {
                let _ = tx.send(m);
                Settle::Accept
            }
        })
        .await
    });
    rx
}

/// The next message on `rx` that `pick` chooses within `limit` (others, left over from earlier
/// runs, are skipped); `None` when none came.
pub async fn next_within(
    rx: &mut mpsc::UnboundedReceiver<TransportMessage>,
    limit: Duration,
    pick: impl Fn(&TransportMessage) -> bool,
) -> Option<TransportMessage> {
    let wait = async {
        while let Some(m) = rx.recv().await {
            if pick(&m) {
                return Some(m);
            }
        }
        None
    };
    tokio::time::timeout(limit, wait).await.ok().flatten()
}

/// Where a message goes and what it is, as Helsenorge.Messaging addresses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The sender's HER-id (Helsenorge).
    pub from_her_id: String,
    /// The receiver's HER-id (ours).
    pub to_her_id: String,
    /// The message function (`subject`).
    pub function: String,
    /// The CPA id.
    pub cpa_id: String,
}

impl Route {
    /// Helsenorge (90002) to our 80115, an eKontakt under the synthetic CPA.
    pub fn ekontakt() -> Self {
        Self {
            from_her_id: "90002".into(),
            to_her_id: "80115".into(),
            function: "DIALOG_INNBYGGER_EKONTAKT".into(),
            cpa_id: "cpa-synthetic-1".into(),
        }
    }
}

/// What Helsenorge.Messaging sends: the library's properties, `body` already signed and
/// encrypted (docs/transport.md §1.3).
pub fn message(id: &str, route: &Route, body: Vec<u8>) -> TransportMessage {
    let mut m = TransportMessage {
        message_id: Some(id.into()),
        to: Some(format!("{}_async", route.to_her_id)),
        subject: Some(route.function.clone()),
        reply_to: Some(format!("{}_async", route.from_her_id)),
        correlation_id: Some(id.into()),
        content_type: Some(SIGNED_AND_ENVELOPED.into()),
        body,
        ..TransportMessage::default()
    };
    m.set_app("fromHerId", route.from_her_id.as_str());
    m.set_app("toHerId", route.to_her_id.as_str());
    m.set_app("applicationTimeStamp", shared::domain::transport::format_time(jiff::Timestamp::now()));
    m.set_app("cpaId", route.cpa_id.as_str());
    m
}

/// A key pair as the bridge's secrets hold it: `{"key": PEM, "certificate": PEM}`.
pub fn secret_json(pair: &KeyPair) -> String {
    serde_json::json!({"key": testkit::key_pem(pair), "certificate": testkit::pem(&pair.cert)}).to_string()
}

/// Creates the secret `name` holding `pair`, or replaces its value (reruns on one stack).
pub async fn put_secret(sdk: &aws_config::SdkConfig, name: &str, pair: &KeyPair) -> Result<(), String> {
    let client = aws_sdk_secretsmanager::Client::new(sdk);
    let value = secret_json(pair);
    if client.create_secret().name(name).secret_string(&value).send().await.is_ok() {
        return Ok(());
    }
    client.put_secret_value().secret_id(name).secret_string(value).send().await.map_err(|e| format!("secret {name}: {e}"))?;
    Ok(())
}

/// `PROFILES_CONFIG` for the bridge: Helsenorge (`her_id`) with `hn`'s certificates.
pub fn profiles_config(her_id: u64, cpa_id: &str, hn: &PartyKeys) -> String {
    serde_json::json!([{
        "herId": her_id, "cpaId": cpa_id,
        "signingCertificate": testkit::pem(&hn.signing.cert), "encryptionCertificate": testkit::pem(&hn.encryption.cert)
    }])
    .to_string()
}

/// The keys of one run: ours (the bridge's) and Helsenorge's (the peer's), from one test CA.
#[derive(Debug, Clone)]
pub struct RunKeys {
    /// The municipality's pairs (their private keys go to Secrets Manager for the bridge).
    pub us: PartyKeys,
    /// Helsenorge's pairs (the peer's).
    pub hn: PartyKeys,
}

impl RunKeys {
    /// Fresh keys.
    pub fn new() -> Result<Self, String> {
        let ca = testkit::ca("helsedialog test CA").map_err(|e| e.to_string())?;
        let party = |cn| PartyKeys::new(&ca, cn).map_err(|e| e.to_string());
        Ok(Self { us: party("kommune")?, hn: party("Helsenorge")? })
    }

    const FILES: [&'static str; 4] = ["us-signing.json", "us-encryption.json", "hn-signing.json", "hn-encryption.json"];

    /// Writes the four pairs to `dir` (a run's state, e.g. `.local/peer`; never committed).
    pub fn save(&self, dir: &Path) -> Result<(), String> {
        std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        let pairs = [&self.us.signing, &self.us.encryption, &self.hn.signing, &self.hn.encryption];
        for (file, pair) in Self::FILES.iter().zip(pairs) {
            std::fs::write(dir.join(file), secret_json(pair)).map_err(|e| format!("{file}: {e}"))?;
        }
        Ok(())
    }

    /// Reads what [`RunKeys::save`] wrote.
    pub fn load(dir: &Path) -> Result<Self, String> {
        let read = |file: &str| -> Result<KeyPair, String> {
            let text = std::fs::read_to_string(dir.join(file)).map_err(|e| format!("{file}: {e} (run `helsenorge-peer keys` first)"))?;
            helsenorge_bridge::keys::pair_from_json(file, &text).map_err(|e| e.to_string())
        };
        let [a, b, c, d] = Self::FILES;
        Ok(Self {
            us: PartyKeys { signing: read(a)?, encryption: read(b)? },
            hn: PartyKeys { signing: read(c)?, encryption: read(d)? },
        })
    }
}

/// The bridge's environment on the local stack: the local broker, our HER-id 80115, our keys'
/// secrets, Helsenorge's profile and the two SQS queues (README "How a municipality configures it").
pub struct BridgeEnv<'a> {
    /// `SIGNING_KEY_SECRET`.
    pub signing_secret: &'a str,
    /// `DECRYPTION_KEY_SECRET`.
    pub decryption_secret: &'a str,
    /// `PROFILES_CONFIG`.
    pub profiles: String,
    /// `INBOUND_QUEUE_URL`.
    pub inbound_queue_url: &'a str,
    /// `TO_HELSENORGE_QUEUE_URL`.
    pub to_helsenorge_queue_url: &'a str,
}

impl BridgeEnv<'_> {
    /// The variables (AWS ones come from the caller's environment).
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AMQP_URL", amqp_url()),
            ("AMQP_USERNAME", "guest".into()),
            ("AMQP_PASSWORD", "guest".into()),
            ("AMQP_NAMESPACE", NAMESPACE.into()),
            ("OUR_HER_IDS", "80115".into()),
            ("SIGNING_KEY_SECRET", self.signing_secret.into()),
            ("DECRYPTION_KEY_SECRET", self.decryption_secret.into()),
            ("PROFILES_CONFIG", self.profiles.clone()),
            ("INBOUND_QUEUE_URL", self.inbound_queue_url.into()),
            ("TO_HELSENORGE_QUEUE_URL", self.to_helsenorge_queue_url.into()),
            ("OUTBOUND_WAIT_SECONDS", "1".into()),
        ]
    }
}
