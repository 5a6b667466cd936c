//! AMQP 1.0 toward the Tjenestebuss over fe2o3-amqp (SASL PLAIN; TLS for `amqps://` through
//! tokio-rustls with ring, the SDK's stack). Connections are ours to keep: fe2o3 does not
//! reconnect, so every error drops the connection and the next use opens a new one, with capped
//! back-off for the receiver — as Helsenorge.Messaging's `AmqpConnection.EnsureConnection`
//! re-opens on demand. Addresses per R-TR-6; on RabbitMQ 3.10 a receiver link is never detached
//! (3.10 never answers the detach, docs/transport.md §2): the connection is closed instead.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use fe2o3_amqp::connection::ConnectionHandle;
use fe2o3_amqp::link::CreditMode;
use fe2o3_amqp::types::definitions::SenderSettleMode;
use fe2o3_amqp::sasl_profile::SaslProfile;
use fe2o3_amqp::session::SessionHandle;
use fe2o3_amqp::types::messaging::{Body, Modified, Outcome};
use fe2o3_amqp::types::primitives::Value;
use fe2o3_amqp::{Connection, Delivery, Receiver, Sender, Session};
use shared::app::bridge_in::Settle;
use shared::domain::transport::{TransportMessage, receive_address, send_address};
use shared::error::{BoxError, PortError};
use shared::ports_transport::AmqpSender;
use tokio::sync::Mutex;

use crate::wire::{from_amqp, to_amqp};

/// How a transient failure is settled (R-TR-4). RabbitMQ 3.10's AMQP 1.0 plugin ends the session
/// on `modified` (docs/transport.md §2), so `Released` is the default; Helsenorge.Messaging uses
/// `modified(delivery-failed)`, which brokers from RabbitMQ 4 accept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOutcome {
    /// `released`.
    Released,
    /// `modified` with `delivery-failed = true`.
    Modified,
}

/// Where and how to connect.
#[derive(Clone)]
pub struct AmqpSettings {
    /// `amqp://host:port` or `amqps://host:port` (a path is ignored: see `namespace`).
    pub url: String,
    /// SASL PLAIN user.
    pub username: String,
    /// SASL PLAIN password.
    pub password: String,
    /// The exchange senders publish through (NHN: `NHNTestServiceBus`); empty = bare queue names.
    pub namespace: String,
    /// Our container id.
    pub container_id: String,
    /// Link credit of a receiver.
    pub credit: u32,
    /// How transient failures are settled.
    pub retry: RetryOutcome,
    /// Test hook (e2e fault tests only): a pause between InboundQueue's accept and the AMQP
    /// accept, so a test can kill the bridge there. `None` in production.
    pub pause_before_settle: Option<Duration>,
}

impl std::fmt::Debug for AmqpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AmqpSettings").field("url", &self.url).field("namespace", &self.namespace).field("retry", &self.retry).finish()
    }
}

type Conn = (ConnectionHandle<()>, SessionHandle<()>);

/// Opens a connection and a session.
pub async fn open(s: &AmqpSettings, suffix: &str) -> Result<Conn, BoxError> {
    let (tls, rest) = match s.url.split_once("://") {
        Some(("amqps", rest)) => (true, rest),
        Some(("amqp", rest)) => (false, rest),
        _ => return Err("AMQP_URL must start with amqp:// or amqps://".into()),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = authority.rsplit_once(':').map(|(h, _)| h).unwrap_or(authority).to_string();
    let addr = if authority.contains(':') { authority.to_string() } else { format!("{authority}:{}", if tls { 5671 } else { 5672 }) };
    let builder = Connection::builder()
        .container_id(format!("{}-{suffix}", s.container_id))
        .hostname(host.as_str())
        .sasl_profile(SaslProfile::Plain { username: s.username.clone(), password: s.password.clone() })
        .idle_time_out(60_000u32)
        .scheme("amqp");
    let tcp = tokio::net::TcpStream::connect(&addr).await?;
    let mut connection = if tls {
        builder.open_with_stream(crate::tls::connect(&host, tcp).await?).await?
    } else {
        builder.open_with_stream(tcp).await?
    };
    let session = Session::begin(&mut connection).await?;
    Ok((connection, session))
}

/// The sender adapter: one connection and a sender link per queue, opened on demand; any error
/// drops them all.
pub struct AmqpOutbox {
    settings: Arc<AmqpSettings>,
    state: Mutex<Option<(Conn, std::collections::HashMap<String, Sender>)>>,
}

impl AmqpOutbox {
    /// Connects on first use.
    pub fn new(settings: Arc<AmqpSettings>) -> Self {
        Self { settings, state: Mutex::new(None) }
    }
}

impl AmqpSender for AmqpOutbox {
    /// `Ok` only on `accepted`; `rejected` is permanent; anything else transient (R-TR-8).
    async fn send(&self, queue: &str, message: &TransportMessage) -> Result<(), PortError> {
        let mut state = self.state.lock().await;
        if state.is_none() {
            let conn = open(&self.settings, "send").await.map_err(|e| PortError::transient("amqp connect", e))?;
            *state = Some((conn, Default::default()));
        }
        let Some(((_, session), senders)) = state.as_mut() else {
            return Err(PortError::transient("amqp connect", "no connection"));
        };
        if !senders.contains_key(queue) {
            let address = send_address(&self.settings.namespace, queue);
            let attach = Sender::builder()
                .name(format!("{}-to-{queue}", self.settings.container_id))
                .target(address)
                .sender_settle_mode(SenderSettleMode::Unsettled)
                .attach(session);
            match attach.await {
                Ok(sender) => {
                    senders.insert(queue.to_string(), sender);
                }
                Err(e) => {
                    *state = None;
                    return Err(PortError::transient("amqp attach sender", e));
                }
            }
        }
        let Some(sender) = senders.get_mut(queue) else {
            return Err(PortError::transient("amqp attach sender", "no sender"));
        };
        match sender.send(to_amqp(message)).await {
            Ok(Outcome::Accepted(_)) => Ok(()),
            Ok(Outcome::Rejected(r)) => Err(PortError::permanent("amqp send", format!("rejected by the broker: {:?}", r.error))),
            Ok(other) => Err(PortError::transient("amqp send", format!("not accepted: {other:?}"))),
            Err(e) => {
                *state = None;
                Err(PortError::transient("amqp send", e))
            }
        }
    }
}

/// Receives from `queue` for ever: each delivery goes to `handle`, settled as it answers;
/// reconnects with back-off (1 s doubling to 30 s) after any error.
pub async fn receive_forever<F, Fut>(settings: Arc<AmqpSettings>, queue: String, handle: F)
where
    F: Fn(TransportMessage) -> Fut,
    Fut: Future<Output = Settle>,
{
    let mut backoff = Duration::from_secs(1);
    loop {
        match receive(&settings, &queue, &handle).await {
            Ok(()) => backoff = Duration::from_secs(1),
            Err(error) => {
                tracing::warn!(%error, queue, retry_in_ms = backoff.as_millis() as u64, "AMQP receiver lost; reconnecting");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}

async fn receive<F, Fut>(s: &AmqpSettings, queue: &str, handle: &F) -> Result<(), BoxError>
where
    F: Fn(TransportMessage) -> Fut,
    Fut: Future<Output = Settle>,
{
    let (mut connection, mut session) = open(s, "receive").await?;
    let mut receiver = Receiver::builder()
        .name(format!("{}-from-{queue}", s.container_id))
        .source(receive_address(&s.namespace, queue))
        .credit_mode(CreditMode::Auto(s.credit))
        // Unsettled: the broker keeps each delivery until we settle it (with the default
        // `mixed` RabbitMQ 3.10 sends them pre-settled — at most once — and a crash loses them).
        .sender_settle_mode(SenderSettleMode::Unsettled)
        .auto_accept(false)
        .attach(&mut session)
        .await?;
    tracing::info!(queue, "AMQP receiver attached");
    let result = async {
        loop {
            let delivery: Delivery<Body<Value>> = receiver.recv().await?;
            let settle = handle(from_amqp(delivery.message())).await;
            match (settle, s.retry) {
                (Settle::Accept, _) => {
                    if let Some(pause) = s.pause_before_settle {
                        tokio::time::sleep(pause).await;
                    }
                    receiver.accept(&delivery).await?
                }
                (Settle::Release, RetryOutcome::Released) => receiver.release(&delivery).await?,
                (Settle::Release, RetryOutcome::Modified) => {
                    let modified = Modified { delivery_failed: Some(true), undeliverable_here: None, message_annotations: None };
                    receiver.modify(&delivery, modified).await?
                }
            }
        }
        #[allow(unreachable_code)]
        Ok::<(), BoxError>(())
    }
    .await;
    // Closing the connection returns anything unsettled to the queue (no link detach on 3.10).
    drop(receiver);
    let _ = connection.close().await;
    result
}
