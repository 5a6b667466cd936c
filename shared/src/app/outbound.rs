//! The outbound use case: a staff reply from the EPJ's dialog window is authorized, checked,
//! journaled on the citizen, recorded with status Sent and sent toward Helsenorge exactly once;
//! a refusal goes back to the EPJ as a result, never as a retry (R-ACC-1/2, R-OUT-1..4).
//! Helsenorge notifies the citizen when the reply arrives (R-OUT-5): nothing here does.

use super::RecordIn;
use super::pipeline::{Answered, Pending, Pipeline, ProcessError, Written};
use crate::domain::message::{
    Author, EntryKind, GRADING_AJ, JournalEntry, OutMessage, Outgoing, describe_json_error, valid_message_id,
};
use crate::domain::receipt::ReceiptFact;
use crate::domain::reply::{
    OutboundMessage, REQUEST_VERSION, ReplyOutcome, ReplyRefusal, ReplyRequest, ReplyResult, authorize_citizen,
    authorize_staff, check_limits,
};
use crate::domain::{IdMode, NationalId};
use crate::ports::{Clock, DeadLetterLog, Delivery, GateReader, HelsenorgeOutbox, MessageStore};

/// What processing a reply request ended in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Recorded as Sent; the message to Helsenorge and the result to the EPJ are pending.
    Sent(Pending),
    /// Refused; the result to the EPJ is pending.
    Refused(Pending, ReplyRefusal),
    /// A redelivery of a request already handled and answered.
    Duplicate,
    /// A redelivery whose answers were not yet sent; they are pending again.
    Resend(Pending),
}

impl Answered for Outcome {
    fn pending(&self) -> Option<&Pending> {
        match self {
            Self::Sent(p) | Self::Refused(p, _) | Self::Resend(p) => Some(p),
            Self::Duplicate => None,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Self::Sent(_) => "sent",
            Self::Refused(..) => "refused",
            Self::Duplicate => "duplicate",
            Self::Resend(_) => "resend",
        }
    }
}

/// The idempotency key of a reply (EPJ reply ids live beside Helsenorge message ids).
pub fn reply_key(reply_id: &str) -> String {
    format!("reply:{reply_id}")
}

/// The outbound use case, generic over its ports.
pub struct OutboundService<G, M, H, D, C> {
    /// Reads citizen and activation.
    pub gate: G,
    /// Recording once, answering, failures.
    pub pipeline: Pipeline<M, H, D, C>,
    /// Which national ids are accepted.
    pub id_mode: IdMode,
}

impl<G, M, H, D, C> OutboundService<G, M, H, D, C>
where
    G: GateReader,
    M: MessageStore,
    H: HelsenorgeOutbox,
    D: DeadLetterLog,
    C: Clock,
{
    /// Processes one request up to (not including) sending its answers.
    pub async fn process(&self, body: &str) -> Result<Outcome, ProcessError> {
        let request: ReplyRequest = match serde_json::from_str(body) {
            Ok(r) => r,
            Err(e) => {
                let reply_id = serde_json::from_str::<serde_json::Value>(body)
                    .ok()
                    .and_then(|v| v.get("replyId").and_then(|r| r.as_str()).map(str::to_string))
                    .filter(|id| valid_message_id(id));
                let what = describe_json_error(&e);
                return match reply_id {
                    Some(id) => self.refuse(&id, ReplyRefusal::InvalidRequest(what)).await,
                    None => Err(ProcessError::Unreadable(what)),
                };
            }
        };
        self.process_request(&request).await
    }

    /// Processes one read request up to (not including) sending its answers: the path the
    /// queue's records and the EPJ API's synchronous submissions share.
    pub async fn process_request(&self, request: &ReplyRequest) -> Result<Outcome, ProcessError> {
        if !valid_message_id(&request.reply_id) {
            return Err(ProcessError::Unreadable("the reply id is missing or invalid".into()));
        }
        match self.decide(request).await? {
            Ok(d) => self.pipeline.record(d).await.map(|w| match w {
                Written::New(p) => Outcome::Sent(p),
                Written::Duplicate => Outcome::Duplicate,
                Written::Resend(p) => Outcome::Resend(p),
            }),
            Err(refusal) => self.refuse(&request.reply_id, refusal).await,
        }
    }

    /// The refusal `request` meets now, if any, without recording anything: what a repeated
    /// submission of a refused request is answered with.
    pub async fn refusal(&self, request: &ReplyRequest) -> Result<Option<ReplyRefusal>, ProcessError> {
        Ok(self.decide(request).await?.err())
    }

    /// The checks, in the order a staff member would want to hear them.
    async fn decide(&self, r: &ReplyRequest) -> Result<Result<Delivery, ReplyRefusal>, ProcessError> {
        if r.version != REQUEST_VERSION {
            return Ok(Err(ReplyRefusal::InvalidRequest(format!("version {} is not supported (expected 1)", r.version))));
        }
        // R-ACC-1, R-ACC-2, R-OUT-1.
        if let Err(refusal) = authorize_staff(&r.staff, r.origin, &r.service) {
            return Ok(Err(refusal));
        }
        // R-OUT-2 / R-CIT-6.
        let citizen = match NationalId::parse(&r.citizen, self.id_mode) {
            Ok(c) => c,
            Err(e) => return Ok(Err(ReplyRefusal::InvalidNationalId(e.to_string()))),
        };
        // R-OUT-4.
        if let Err(refusal) = check_limits(&r.subject, &r.body, &r.attachments) {
            return Ok(Err(refusal));
        }
        // R-OUT-2, R-ACT-1/4: one read for consent and activation.
        let facts = self.gate.gate_facts(&citizen, &r.service, None).await?;
        if let Err(refusal) = authorize_citizen(facts.citizen.as_ref(), facts.activation.as_ref()) {
            return Ok(Err(refusal));
        }

        let now = self.pipeline.clock.now();
        let id = &r.reply_id;
        Ok(Ok(Delivery {
            message_id: reply_key(id),
            outgoing: vec![
                Outgoing::new(
                    format!("{id}.message"),
                    OutMessage::DialogMessage {
                        message_id: id.clone(),
                        in_reply_to: r.in_reply_to.clone(),
                        citizen: citizen.clone(),
                        service: r.service.clone(),
                        subject: r.subject.clone(),
                        body: r.body.clone(),
                        attachments: r.attachments.clone(),
                    },
                ),
                Outgoing::new(
                    format!("{id}.result"),
                    OutMessage::ReplyResult(ReplyResult {
                        reply_id: id.clone(),
                        outcome: ReplyOutcome::Sent,
                        refusal: None,
                        message: "Sendt til Helsenorge. Følg kvitteringsstatus.".into(),
                    }),
                ),
            ],
            // Journaled on the citizen like inbound messages (administrative journal, AJ).
            journal: vec![JournalEntry {
                message_id: id.clone(),
                citizen: citizen.clone(),
                service: r.service.clone(),
                kind: EntryKind::Reply,
                author: Author::Staff { staff_id: r.staff.staff_id.clone() },
                subject: r.subject.clone(),
                body: r.body.clone(),
                grading: GRADING_AJ.into(),
                at: now,
            }],
            inbox: vec![],
            assignments: vec![],
            cancellation: None,
            plan_version: None,
            // R-OUT-3: Sent now; ReceiptOk/Rejected when the AppRec arrives, Missing after the deadline.
            outbound: Some(OutboundMessage {
                message_id: id.clone(),
                citizen,
                service: r.service.clone(),
                staff_id: r.staff.staff_id.clone(),
                sent_at: now,
                receipt: ReceiptFact::Awaiting,
            }),
            at: now,
        }))
    }

    /// A refusal is a result for the EPJ, recorded once; never an exception or a retry.
    async fn refuse(&self, reply_id: &str, refusal: ReplyRefusal) -> Result<Outcome, ProcessError> {
        let now = self.pipeline.clock.now();
        let result = ReplyResult {
            reply_id: reply_id.to_string(),
            outcome: ReplyOutcome::Refused,
            message: refusal.text_nb(),
            refusal: Some(refusal.clone()),
        };
        let answer = Outgoing::new(format!("{reply_id}.result"), OutMessage::ReplyResult(result));
        let d = Delivery::answers_only(reply_key(reply_id), vec![answer], now);
        self.pipeline.record(d).await.map(|w| match w {
            Written::New(p) => Outcome::Refused(p, refusal),
            Written::Duplicate => Outcome::Duplicate,
            Written::Resend(p) => Outcome::Resend(p),
        })
    }

    /// Processes a batch (see [`Pipeline::handle_batch`]); returns the failed SQS ids.
    pub async fn handle_batch(&self, records: &[RecordIn], concurrency: usize) -> Vec<String> {
        self.pipeline.handle_batch(records, concurrency, |r| self.process(&r.body)).await
    }
}
