//! The bridge's receiving side (issue 18): one AMQP delivery from our `_async` queue becomes a
//! plain MsgHead on InboundQueue, or a report on the sender's `_error` queue, or is left to the
//! broker (R-TR-1..5, R-TR-7, R-TR-9). The order of checks is the library's
//! (Helsenorge.Messaging `Amqp/Receivers/MessageListener.cs`, `HandleRawMessageAsync`).

use crate::domain::transport::{
    Disposition, ErrorReport, Queues, SIGNED_AND_ENVELOPED, TransportError, TransportHeader, TransportMessage, disposition,
    error_message, sender_matches,
};
use crate::kith::msghead::{KithDocument, read_document};
use crate::kith::{KithError, ReadLimits};
use crate::ports::Clock;
use crate::ports_transport::{AmqpSender, CollaborationProfiles, InboundItem, InboundSink, KeyUsage, MessageProtection};

/// How the AMQP delivery is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settle {
    /// Done: on InboundQueue, or reported to the sender (R-TR-2, R-TR-3).
    Accept,
    /// Not done: the broker delivers it again (R-TR-4).
    Release,
}

/// The receiving use case, generic over its ports. `new_id` makes the error messages' ids.
pub struct ReceiveFromHelsenorge<P, C, S, A, K, I> {
    /// Counterparts' profiles.
    pub profiles: P,
    /// CMS.
    pub protection: C,
    /// InboundQueue.
    pub sink: S,
    /// Toward the senders' `_error` queues.
    pub errors: A,
    /// Now.
    pub clock: K,
    /// New message ids (32 hex digits, as the library's `N` format).
    pub new_id: I,
    /// The HER-ids we receive for.
    pub our_her_ids: Vec<u64>,
}

impl<P, C, S, A, K, I> ReceiveFromHelsenorge<P, C, S, A, K, I>
where
    P: CollaborationProfiles,
    C: MessageProtection,
    S: InboundSink,
    A: AmqpSender,
    K: Clock,
    I: Fn() -> String + Send + Sync,
{
    /// Handles one delivery; the caller settles it as returned. `Accept` only after InboundQueue
    /// accepted the message (R-TR-2) or the sender's `_error` queue accepted the report (R-TR-3).
    #[tracing::instrument(skip_all, fields(message_id = message.message_id.as_deref().unwrap_or("-")))]
    pub async fn handle(&self, message: &TransportMessage) -> Settle {
        let error = match self.process(message).await {
            Ok(()) => return Settle::Accept,
            Err(e) => e,
        };
        match disposition(&error) {
            Disposition::Retry => {
                tracing::warn!(%error, "delivery released for redelivery");
                Settle::Release
            }
            Disposition::Report(report) => self.report(message, &report).await,
        }
    }

    async fn process(&self, m: &TransportMessage) -> Result<(), TransportError> {
        let header = TransportHeader::parse(m)?;
        if !self.our_her_ids.contains(&header.to_her_id) {
            return Err(TransportError::UnknownReceiver(header.to_her_id));
        }
        if !same_content_type(&header.content_type, SIGNED_AND_ENVELOPED) {
            return Err(TransportError::UnsupportedContent);
        }
        let profile = self
            .profiles
            .profile(header.to_her_id, header.from_her_id, header.cpa_id.as_deref())
            .await
            .map_err(|e| TransportError::Transient(e.to_string()))?;
        let signing = profile.and_then(|p| p.signing).ok_or(TransportError::MissingCertificate)?;
        let problems = self.protection.check(&signing, KeyUsage::NonRepudiation, self.clock.now());
        if !problems.is_empty() {
            return Err(TransportError::Certificate(problems));
        }
        let xml = self.protection.unprotect(&m.body, &signing).map_err(|e| TransportError::Security(e.to_string()))?;
        check_document(&xml, header.from_her_id)?;
        // Non-UTF-8 payloads (ISO-8859-1 is legal KITH) cannot travel as an SQS string body as
        // they are: refused as unsupported rather than transcoded behind the declaration's back.
        let body = String::from_utf8(xml).map_err(|_| TransportError::UnsupportedContent)?;
        let item = InboundItem { message_id: header.message_id.clone().unwrap_or_default(), body, attributes: attributes(&header) };
        // R-TR-2: the caller accepts only after this returned Ok; a crash in between redelivers
        // and R-IN-3 drops the duplicate downstream.
        self.sink.enqueue(&item).await.map_err(|e| TransportError::Transient(e.to_string()))?;
        tracing::info!(from = header.from_her_id, to = header.to_her_id, function = %header.function, "delivery handed to InboundQueue");
        Ok(())
    }

    /// R-TR-3: the report to the sender's `_error` queue, then accept; if it cannot be sent,
    /// release (nothing lost). No sender → nowhere to report: accept and log.
    async fn report(&self, m: &TransportMessage, report: &ErrorReport) -> Settle {
        let condition = report.condition.as_str();
        let Some(from) = m.app("fromHerId").and_then(|v| v.parse::<u64>().ok()).filter(|h| *h > 0) else {
            tracing::warn!(condition, "delivery without fromHerId: no error message can be routed; accepted");
            return Settle::Accept;
        };
        let ours = m.app("toHerId").and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        let queues = match self.profiles.profile(ours, from, None).await {
            Ok(p) => p.map(|p| p.queues).unwrap_or_else(|| Queues::conventional(from)),
            Err(error) => {
                tracing::warn!(%error, condition, "sender's queues unknown for now; released");
                return Settle::Release;
            }
        };
        let Some(error_msg) = error_message(m, &queues.error, report, &(self.new_id)(), self.clock.now()) else {
            return Settle::Accept;
        };
        match self.errors.send(&queues.error, &error_msg).await {
            Ok(()) => {
                tracing::warn!(condition, from, "delivery refused; reported to the sender's error queue");
                Settle::Accept
            }
            Err(error) => {
                tracing::warn!(%error, condition, "error message not sent; released");
                Settle::Release
            }
        }
    }
}

/// Content types compare without case and whitespace (`a;b` = `a; b`).
fn same_content_type(a: &str, b: &str) -> bool {
    let norm = |s: &str| s.chars().filter(|c| !c.is_whitespace()).flat_map(char::to_lowercase).collect::<String>();
    norm(a) == norm(b)
}

/// Not well-formed → reported; a KITH document whose sender is not `fromHerId` → spoofing
/// (R-TR-5). A well-formed document we cannot read further goes on: inbound-message answers it
/// with an AppRec.
fn check_document(xml: &[u8], from: u64) -> Result<(), TransportError> {
    match read_document(xml, ReadLimits::WITH_ATTACHMENTS) {
        Ok(KithDocument::MsgHead(m)) => sender_matches(from, &m.sender.her_ids()),
        Ok(KithDocument::AppRec(a)) => {
            let ids: Vec<&str> = a.sender.her.as_deref().into_iter().chain(a.sender.dept.as_ref().map(|(_, h)| h.as_str())).collect();
            sender_matches(from, &ids)
        }
        Err(KithError::Malformed | KithError::Encoding | KithError::Dtd) => Err(TransportError::NotWellFormed),
        Err(_) => Ok(()),
    }
}

/// The SQS attributes inbound-message reads (`app::kith_inbound::Transport`), plus the rest of
/// the header for support.
fn attributes(h: &TransportHeader) -> Vec<(String, String)> {
    let mut a = vec![
        ("messageFunction".to_string(), h.function.clone()),
        ("fromHerId".to_string(), h.from_her_id.to_string()),
        ("toHerId".to_string(), h.to_her_id.to_string()),
        ("applicationTimeStamp".to_string(), h.application_time_stamp.clone()),
    ];
    for (name, value) in [("cpaId", &h.cpa_id), ("messageId", &h.message_id), ("correlationId", &h.correlation_id)] {
        if let Some(v) = value.as_ref().filter(|v| !v.is_empty()) {
            a.push((name.to_string(), v.clone()));
        }
    }
    a
}
