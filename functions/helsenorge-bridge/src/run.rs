//! The bridge's wiring: adapters from the configuration, then three loops for ever — receive on
//! our `_async` queue (`shared::app::bridge_in`), send what ToHelsenorgeQueue holds
//! (`shared::app::bridge_out`), and read our `_error` queue (logged, accepted).

use std::sync::Arc;
use std::time::Duration;

use shared::adapters::memory::SystemClock;
use shared::app::bridge_in::{ReceiveFromHelsenorge, Settle};
use shared::app::bridge_out::SendToHelsenorge;
use shared::domain::transport::TransportMessage;
use shared::error::BoxError;

use crate::amqp::{AmqpOutbox, receive_forever};
use crate::cms::OpensslProtection;
use crate::config::BridgeConfig;
use crate::sqs::{SqsInbound, SqsOutboundSource};

/// A new message id in the library's `N` format (32 hex digits).
fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Builds everything and runs until the process is stopped; returns only on a start-up error.
pub async fn run(config: BridgeConfig) -> Result<(), BoxError> {
    let sdk = crate::aws::sdk_config()?;
    let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
    let signing = crate::keys::load(&secrets, &config.signing_secret).await?;
    let decryption = crate::keys::load(&secrets, &config.decryption_secret).await?;
    let previous = match &config.previous_decryption_secret {
        Some(id) => Some(crate::keys::load(&secrets, id).await?),
        None => None,
    };
    let protection = OpensslProtection::new(signing, decryption, previous);
    let profiles = crate::profiles::Profiles::build(&config.profiles, &secrets).await?;
    let sqs = aws_sdk_sqs::Client::new(&sdk);
    let amqp = Arc::new(config.amqp.clone());
    // Claim check (BODY_BUCKET): large MsgHeads go to InboundQueue by reference; a message from
    // ToHelsenorgeQueue carrying a reference is read whole from S3.
    let claims = shared::adapters::aws::s3_bodies::S3Claims::from_env(&sdk)?;

    let inbound = Arc::new(ReceiveFromHelsenorge {
        profiles: profiles.clone(),
        protection: protection.clone(),
        sink: claims.inbound(SqsInbound::new(sqs.clone(), &config.inbound_queue_url), new_id),
        errors: AmqpOutbox::new(amqp.clone()),
        clock: SystemClock,
        new_id,
        our_her_ids: config.our_her_ids.clone(),
    });
    let outbound = SendToHelsenorge {
        profiles,
        protection,
        sender: AmqpOutbox::new(amqp.clone()),
        clock: SystemClock,
        our_queues: config.our_queues.clone(),
        ttl_ms: None,
    };
    let source = claims.source(SqsOutboundSource::new(sqs, &config.to_helsenorge_queue_url, config.outbound_wait_seconds));

    let receiving = receive_forever(amqp.clone(), config.our_queues.asynchronous.clone(), |m: TransportMessage| {
        let inbound = inbound.clone();
        async move {
            tracing::debug!(message_id = m.message_id.as_deref().unwrap_or("-"), bytes = m.body.len(), "AMQP delivery received");
            inbound.handle(&m).await
        }
    });
    let errors = receive_forever(amqp, config.our_queues.error.clone(), |m: TransportMessage| async move {
        log_error_message(&m);
        Settle::Accept
    });
    let sending = async {
        loop {
            if let Err(error) = outbound.pump(&source).await {
                tracing::warn!(%error, "ToHelsenorgeQueue unavailable; trying again");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    };
    tracing::info!(queue = %config.our_queues.asynchronous, "bridge started");
    tokio::join!(receiving, errors, sending);
    Ok(())
}

/// An error message a counterpart sent us about one of ours: its properties are logged (no
/// body: it has none), as the library's error-queue listener does.
fn log_error_message(m: &TransportMessage) {
    tracing::error!(
        original_message_id = m.app("originalMessageId").as_deref().unwrap_or("-"),
        error_condition = m.app("errorCondition").as_deref().unwrap_or("-"),
        error_description = m.app("errorDescription").as_deref().unwrap_or("-"),
        from_her_id = m.app("fromHerId").as_deref().unwrap_or("-"),
        function = m.subject.as_deref().unwrap_or("-"),
        "error message received from a counterpart"
    );
}
