//! Submitting a reply from the dialog window (R-OUT-1..4) through the outbound use case, the
//! same one outbound-reply runs for the queue (`app::outbound`), answered synchronously: 202
//! with the reply id, or the refusal with the rule it names. The client's `Idempotency-Key`
//! header is the reply id: the same key again is answered as the first time, never sent twice.

use std::future::Future;

use serde::Deserialize;
use serde_json::json;

use super::EpjApi;
use super::request::{ApiError, body};
use crate::app::http::{HttpRequest, HttpResponse};
use crate::app::outbound::{OutboundService, Outcome};
use crate::app::pipeline::{Pending, ProcessError};
use crate::domain::message::{OutMessage, valid_message_id};
use crate::domain::reply::{Attachment, Origin, REQUEST_VERSION, ReplyRefusal, ReplyRequest};
use crate::domain::staff::Staff;
use crate::domain::reply::OutboundMessage;
use crate::domain::{IdMode, NationalId, ServiceKey};
use crate::ports::{Clock, DeadLetterLog, GateReader, HelsenorgeOutbox, MessageStore, OutboundStore};

/// How a submission ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// Recorded and handed to the queue toward Helsenorge (now or by an earlier submission).
    Sent,
    /// Refused (now, or recorded so by an earlier submission of the same key).
    Refused(ReplyRefusal),
    /// The key was handled and answered before; the caller looks up how.
    Repeated,
}

/// The outbound use case as the API uses it.
pub trait ReplySender: Send + Sync {
    /// Processes `request` and sends its answers now.
    fn submit(&self, request: &ReplyRequest) -> impl Future<Output = Result<Submitted, ProcessError>> + Send;

    /// The refusal `request` meets now, if any (for a repeated key), recording nothing.
    fn refusal(&self, request: &ReplyRequest) -> impl Future<Output = Result<Option<ReplyRefusal>, ProcessError>> + Send;
}

/// The refusal recorded among a delivery's answers (the result for the EPJ), if any.
fn recorded_refusal(p: &Pending) -> Option<ReplyRefusal> {
    p.outgoing.iter().find_map(|o| match &o.message {
        OutMessage::ReplyResult(r) => r.refusal.clone(),
        _ => None,
    })
}

impl<G, M, H, D, C> ReplySender for OutboundService<G, M, H, D, C>
where
    G: GateReader,
    M: MessageStore,
    H: HelsenorgeOutbox,
    D: DeadLetterLog,
    C: Clock,
{
    async fn submit(&self, request: &ReplyRequest) -> Result<Submitted, ProcessError> {
        let (pending, submitted) = match self.process_request(request).await? {
            Outcome::Duplicate => return Ok(Submitted::Repeated),
            Outcome::Refused(p, refusal) => (p, Submitted::Refused(refusal)),
            Outcome::Sent(p) | Outcome::Resend(p) => {
                let refusal = recorded_refusal(&p);
                (p, refusal.map_or(Submitted::Sent, Submitted::Refused))
            }
        };
        let unsent = self.pipeline.send_pending(&[&pending]).await?;
        match submitted {
            // The reply is recorded but not yet on its way: the client tries again with the
            // same key, and the recorded answers go out then (nothing is sent twice).
            Submitted::Sent if !unsent.is_empty() => Err(ProcessError::NotSent),
            // A refusal is answered now; its copy on the results queue goes out on a repeat.
            other => Ok(other),
        }
    }

    async fn refusal(&self, request: &ReplyRequest) -> Result<Option<ReplyRefusal>, ProcessError> {
        OutboundService::refusal(self, request).await
    }
}

/// `POST /v1/replies`: the reply as the dialog window composed it. Who sends it is the
/// asserted staff member; the reply id is the `Idempotency-Key` header.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ReplyBody {
    citizen: String,
    service: ServiceKey,
    origin: Origin,
    subject: String,
    body: String,
    #[serde(default)]
    attachments: Vec<Attachment>,
    #[serde(default)]
    in_reply_to: Option<String>,
}

impl<R: OutboundStore, E, P, S: ReplySender, C> EpjApi<R, E, P, S, C> {
    /// Submits the reply (R-ACC-1/2, R-OUT-1..4 decided by the outbound use case).
    pub(super) async fn reply(&self, req: &HttpRequest, staff: &Staff) -> Result<HttpResponse, ApiError> {
        let key = req.header("idempotency-key").map(str::trim).filter(|k| valid_message_id(k)).ok_or(ApiError::Invalid {
            code: "idempotency-key",
            message: "the Idempotency-Key header is required: 1 to 128 of A-Z a-z 0-9 - _ . :",
        })?;
        let b: ReplyBody = body(req)?;
        let request = ReplyRequest {
            version: REQUEST_VERSION,
            reply_id: key.to_string(),
            staff: staff.profile(),
            origin: b.origin,
            citizen: b.citizen,
            service: b.service,
            subject: b.subject,
            body: b.body,
            attachments: b.attachments,
            in_reply_to: b.in_reply_to,
        };
        let submitted = match self.replies.submit(&request).await? {
            Submitted::Repeated => match self.records.reply(key).await? {
                Some(sent) if !same_reply(&sent, &request, self.settings.id_mode) => {
                    return Err(ApiError::Conflict {
                        code: "idempotency-key-reused",
                        message: "this Idempotency-Key was used for another reply (citizen, service or sender); use a new key",
                    });
                }
                Some(_) => Submitted::Sent,
                None => self.repeated_refusal(&request).await?,
            },
            other => other,
        };
        match submitted {
            Submitted::Refused(refusal) => Err(ApiError::Reply(refusal)),
            _ => Ok(HttpResponse::json(202, json!({ "replyId": key, "outcome": "sent", "receipt": { "status": "sent", "flag": "none" } }))),
        }
    }

    /// A repeated key whose reply was not sent: it was refused, and is refused again now.
    async fn repeated_refusal(&self, request: &ReplyRequest) -> Result<Submitted, ApiError> {
        Ok(match self.replies.refusal(request).await? {
            Some(refusal) => Submitted::Refused(refusal),
            None => {
                return Err(ApiError::Conflict {
                    code: "idempotency-key-refused-before",
                    message: "a reply with this Idempotency-Key was refused before; send the new one with a new key",
                });
            }
        })
    }
}

/// Whether a repeated key asks for the reply that was sent under it: the same citizen, service
/// and sender (subject and body are not kept on the outbound record).
fn same_reply(sent: &OutboundMessage, request: &ReplyRequest, mode: IdMode) -> bool {
    sent.service == request.service
        && sent.staff_id == request.staff.staff_id
        && NationalId::parse(&request.citizen, mode).is_ok_and(|c| c == sent.citizen)
}
