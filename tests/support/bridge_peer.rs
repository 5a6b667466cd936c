//! The Helsenorge side of the bridge's end-to-end tests (tests/bridge*.rs): a peer that sends
//! signed and encrypted MsgHead messages to our queue on the real local RabbitMQ and listens on
//! Helsenorge's queues (built on [`crate::peer`], the peer `make demo` runs), test certificates made at test time, and one test's world (moto stack,
//! our keys in Secrets Manager, the built `helsenorge-bridge` binary). The peer reuses the
//! bridge crate's CMS and AMQP adapters as Helsenorge's side (other keys, other links).

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_dynamodb::Client as Ddb;
use aws_sdk_sqs::Client as Sqs;
use helsenorge_bridge::amqp::AmqpSettings;
use helsenorge_bridge::testkit::{self, PartyKeys};
use shared::adapters::aws::dynamo::Dynamo;
use shared::domain::transport::TransportMessage;
use shared::fixtures::{CITIZEN, consented_citizen, her_entry, service};
use shared::ports_transport::MessageProtection;
use tokio::sync::mpsc;

use crate::peer::{self, Route};
use crate::sqs::{failures, sqs_event_with_attributes};
use crate::stack::{root, sdk_config};
use crate::{LocalLambda, LocalStack};

pub const MSG_ID: &str = "6f1c2a10-0000-4000-8000-000000000001";

pub use crate::peer::{listen, rabbit_port};

/// Declares NHN's queues for `hers` on the local broker ([`peer::declare`]); panics in a test.
pub fn declare(hers: &[&str]) {
    peer::declare(hers).expect("broker queues");
}

/// The peer's connection settings ([`peer::settings`]).
pub fn peer_settings(name: &str) -> Arc<AmqpSettings> {
    peer::settings(name)
}

/// The next message on `rx` that `pick` chooses within 90 s (others, left over from earlier runs,
/// skipped).
pub async fn next(rx: &mut mpsc::UnboundedReceiver<TransportMessage>, pick: impl Fn(&TransportMessage) -> bool) -> TransportMessage {
    peer::next_within(rx, Duration::from_secs(90), pick).await.expect("a message within 90 s")
}

/// What Helsenorge.Messaging sends: the library's properties, the body signed and encrypted.
pub fn from_helsenorge(id: &str, body: Vec<u8>) -> TransportMessage {
    peer::message(id, &Route::ekontakt(), body)
}

/// Our key pair in Secrets Manager under `name`.
pub async fn secret(sdk: &aws_config::SdkConfig, name: &str, pair: &helsenorge_bridge::cms::KeyPair) -> String {
    peer::put_secret(sdk, name, pair).await.expect("create secret");
    name.to_string()
}

/// Polls InboundQueue until a message arrives; returns (body, attributes).
pub async fn inbound(sqs: &Sqs, url: &str) -> (String, Vec<(String, String)>) {
    for _ in 0..60 {
        let out = sqs.receive_message().queue_url(url).wait_time_seconds(1).message_attribute_names("All").send().await.expect("receive");
        if let Some(m) = out.messages.unwrap_or_default().into_iter().next() {
            sqs.delete_message().queue_url(url).receipt_handle(m.receipt_handle().unwrap_or_default()).send().await.expect("delete");
            let mut attrs: Vec<(String, String)> = m
                .message_attributes
                .unwrap_or_default()
                .into_iter()
                .filter_map(|(k, v)| v.string_value.map(|s| (k, s)))
                .collect();
            attrs.sort();
            return (m.body.unwrap_or_default(), attrs);
        }
    }
    panic!("nothing reached InboundQueue within a minute");
}

/// One test's world: a fresh stack with the citizen seeded, NHN's queues on the broker, keys for
/// us, Helsenorge and a stranger, our keys in Secrets Manager.
pub struct Env {
    pub stack: LocalStack,
    pub store: Dynamo,
    pub sqs: Sqs,
    pub us: PartyKeys,
    pub hn: PartyKeys,
    pub stranger: PartyKeys,
    pub secrets: (String, String),
}

impl Env {
    pub async fn new(name: &str) -> Self {
        let stack = LocalStack::provision(name);
        let sdk = sdk_config().await;
        let store = Dynamo::new(Ddb::new(&sdk), stack.tables());
        store.put_citizen(&consented_citizen(CITIZEN, &service())).await.unwrap();
        shared::fixtures::seed_usable_activation(&store, &service()).await.unwrap();
        store.put_her(&her_entry()).await.unwrap();
        declare(&["80115", "90002"]);
        let ca = testkit::ca("test CA").unwrap();
        let (us, hn, stranger) = (PartyKeys::new(&ca, "kommune").unwrap(), PartyKeys::new(&ca, "Helsenorge").unwrap(), PartyKeys::new(&ca, "x").unwrap());
        let secrets = (
            secret(&sdk, &format!("{}sign", stack.prefix), &us.signing).await,
            secret(&sdk, &format!("{}dec", stack.prefix), &us.encryption).await,
        );
        Self { store, sqs: Sqs::new(&sdk), stack, us, hn, stranger, secrets }
    }

    /// The built bridge binary, configured for this world (plus `extra`), logging to .local/.
    pub fn bridge(&self, extra: &[(&str, &str)]) -> tokio::process::Child {
        self.bridge_with(&[], extra)
    }

    /// The bridge knowing Helsenorge (90002) and `more` profiles (`PROFILES_CONFIG` entries).
    pub fn bridge_with(&self, more: &[serde_json::Value], extra: &[(&str, &str)]) -> tokio::process::Child {
        let mut profiles: Vec<serde_json::Value> =
            serde_json::from_str(&peer::profiles_config(90002, "cpa-synthetic-1", &self.hn)).expect("profiles JSON");
        profiles.extend(more.iter().cloned());
        let env = peer::BridgeEnv {
            signing_secret: &self.secrets.0,
            decryption_secret: &self.secrets.1,
            profiles: serde_json::Value::Array(profiles).to_string(),
            inbound_queue_url: self.stack.queue("InboundQueue"),
            to_helsenorge_queue_url: self.stack.queue("ToHelsenorgeQueue"),
        };
        let log = root().join(format!(".local/bridge-{}log", self.stack.prefix));
        let log = std::fs::OpenOptions::new().create(true).append(true).open(log).expect("log file");
        tokio::process::Command::new(crate::lambda::binary("helsenorge-bridge"))
            .envs(env.vars())
            .envs(extra.iter().copied())
            .stdout(log)
            .kill_on_drop(true)
            .spawn()
            .expect("start the bridge binary")
    }

    /// inbound-message over these records (SQS id, body, attributes).
    pub async fn inbound_message(&self, records: &[(String, Vec<(String, String)>)]) {
        let lambda = LocalLambda::start("inbound-message", &self.stack.function_env("InboundMessageFunction")).await;
        let ids: Vec<String> = (0..records.len()).map(|i| format!("r{i}")).collect();
        let event: Vec<_> = records
            .iter()
            .zip(&ids)
            .map(|((body, attrs), id)| (id.as_str(), body.clone(), attrs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()))
            .collect();
        let response = lambda.invoke(sqs_event_with_attributes(&event)).await.expect("handler succeeded");
        assert!(failures(&response).is_empty(), "{response}");
        lambda.stop().await;
    }
}

/// The tests share the broker's queues 80115_* and 90002_*: one at a time.
pub async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}


/// Helsenorge's eKontakt, signed by Helsenorge and encrypted for us.
pub fn ekontakt(e: &Env) -> TransportMessage {
    let xml = std::fs::read(root().join("events/kith/ekontakt.xml")).unwrap();
    from_helsenorge(MSG_ID, e.hn.protection().protect(&xml, &e.us.encryption.cert_der()).unwrap())
}


/// R-TR-1: no subject (the library's `Label`).
pub fn without_subject(mut m: TransportMessage) -> TransportMessage {
    m.subject = None;
    m
}

/// An AppRec whose sender is another HER-id than `fromHerId` (spoofing, R-TR-5).
pub trait ReplaceHer {
    fn replace_her(self) -> Vec<u8>;
}

impl ReplaceHer for Vec<u8> {
    fn replace_her(self) -> Vec<u8> {
        String::from_utf8_lossy(&self).replace("<Id>90002</Id>", "<Id>90777</Id>").replace("<Id>90001</Id>", "<Id>90776</Id>").into_bytes()
    }
}
