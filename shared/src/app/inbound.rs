//! The inbound use case: a message from Helsenorge's bridge, turned into domain input by the
//! KITH edge ([`super::kith_inbound`]; the queue speaks only KITH XML), is validated, passed through the
//! consent gate, journaled and delivered to the department inbox exactly once, and answered
//! with an AppRec (R-IN-1..3, R-CIT-1..6, R-APT-2..5, R-OUT-3 for AppRecs in).

use jiff::Timestamp;

use crate::domain::appointment::{
    CancelOutcome, CancelScope, Cancellation, Period, PeriodError, REGULAR_REFUSED_TEXT, cancel,
};
use crate::domain::consent::{GateDecision, Sender, consent_gate};
use crate::domain::dead_letter::{ErrorClass, RecordedError};
use crate::domain::message::{
    Author, EntryKind, GRADING_AJ, InboundEnvelope, InboundMessage, InboxItem, JournalEntry,
    Outgoing, RawSender, OutMessage, check_text,
};
use crate::domain::receipt::{AppRec, KithErrorCode, ReceiptFact};
use crate::domain::reply::OutboundMessage;
use crate::domain::{IdMode, NationalId};
pub use super::RecordIn;
pub use super::pipeline::{Pending, ProcessError, SEND_LEASE};
use super::pipeline::{Answered, Pipeline, Written};
use super::appointments::CONFLICT_RETRIES;
use crate::ports::{
    AppointmentStore, Clock, DeadLetterLog, Delivery, GateReader, HelsenorgeOutbox, MAX_ASSIGNMENTS_PER_WRITE,
    MessageStore, OutboundStore, ReceiptApplied,
};

/// The sender recorded on messages helsedialog itself writes to the citizen (R-APT-3's return
/// message), where a staff reply has the staff member's id.
pub const SYSTEM_SENDER: &str = "helsedialog";

/// Why an inbound record could not be processed now.
pub type InboundError = ProcessError;

/// What processing a record ended in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Journaled and delivered (or a cancellation applied); the outgoing messages are pending.
    Delivered(Pending),
    /// Not delivered; a rejection receipt is pending (R-IN-2).
    Rejected(Pending, KithErrorCode),
    /// A redelivery of a message already done and answered: nothing to do (R-IN-3).
    Duplicate,
    /// A redelivery whose answer was not yet sent; it is pending again.
    Resend(Pending),
    /// An AppRec updated the status of one of our outbound messages.
    ReceiptApplied,
    /// An AppRec for a message we do not know; recorded for support.
    ReceiptForUnknownMessage,
}

impl Answered for Outcome {
    fn pending(&self) -> Option<&Pending> {
        match self {
            Self::Delivered(p) | Self::Rejected(p, _) | Self::Resend(p) => Some(p),
            _ => None,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Self::Delivered(_) => "delivered",
            Self::Rejected(..) => "rejected",
            Self::Duplicate => "duplicate",
            Self::Resend(_) => "resend",
            Self::ReceiptApplied => "receipt-applied",
            Self::ReceiptForUnknownMessage => "receipt-unknown-message",
        }
    }
}

/// The inbound use case, generic over its ports.
pub struct InboundService<G, M, A, O, H, D, C> {
    /// Reads citizen and activation for the gate.
    pub gate: G,
    /// The work plan.
    pub appointments: A,
    /// Outbound replies' receipt status.
    pub outbound: O,
    /// Recording once, answering, failures.
    pub pipeline: Pipeline<M, H, D, C>,
    /// Which national ids are accepted.
    pub id_mode: IdMode,
}

/// What a readable message leads to.
enum Decision {
    /// Write this, then answer.
    Deliver(Box<Delivery>),
    /// Reject with a coded reason; nothing is delivered.
    Refuse(KithErrorCode, String),
    /// Already handled completely (an AppRec in).
    Done(Outcome),
}

impl<G, M, A, O, H, D, C> InboundService<G, M, A, O, H, D, C>
where
    G: GateReader,
    M: MessageStore,
    A: AppointmentStore,
    O: OutboundStore,
    H: HelsenorgeOutbox,
    D: DeadLetterLog,
    C: Clock,
{
    /// Processes a message the KITH edge ([`super::kith_inbound`]) has turned into domain input,
    /// up to (not including) sending its outgoing messages; `render` turns each answer into its
    /// wire form before it is recorded, so a resend sends the same bytes, or leaves it out (a
    /// process whose messages take no AppRec). A cancellation that
    /// lost to a concurrent write of the same plan (R-APT-5) is worked out again on the fresh
    /// plan, a few times, before SQS retries it.
    pub async fn process_envelope(
        &self,
        envelope: InboundEnvelope,
        render: &(dyn Fn(Outgoing) -> Option<Outgoing> + Sync),
    ) -> Result<Outcome, InboundError> {
        let mut attempt = 0;
        loop {
            match self.process_once(envelope.clone(), render).await {
                Err(ProcessError::Port(e)) if e.is_conflict() && attempt < CONFLICT_RETRIES => attempt += 1,
                other => return other,
            }
        }
    }

    async fn process_once(
        &self,
        envelope: InboundEnvelope,
        render: &(dyn Fn(Outgoing) -> Option<Outgoing> + Sync),
    ) -> Result<Outcome, InboundError> {
        let now = self.pipeline.clock.now();
        let message_id = envelope.message_id.clone();
        match self.decide(envelope, now).await? {
            Decision::Deliver(mut delivery) => {
                delivery.outgoing = std::mem::take(&mut delivery.outgoing).into_iter().filter_map(render).collect();
                self.pipeline.record(*delivery).await.map(|w| match w {
                    Written::New(p) => Outcome::Delivered(p),
                    other => Outcome::from(other),
                })
            }
            Decision::Refuse(code, reason) => self.reject(&message_id, code, reason, now, render).await,
            Decision::Done(outcome) => Ok(outcome),
        }
    }

    /// Decides what a readable message leads to, reading what it needs.
    async fn decide(&self, env: InboundEnvelope, now: Timestamp) -> Result<Decision, InboundError> {
        let message_id = env.message_id;
        let at = env.sent_at;
        let (citizen, sender, service) = match &env.message {
            InboundMessage::Apprec { answers_message_id, status, errors } => {
                let rec = AppRec { answers_message_id: answers_message_id.clone(), status: *status, errors: errors.clone() };
                return self.apply_apprec(&message_id, &rec, now).await.map(Decision::Done);
            }
            InboundMessage::DialogMessage { citizen, sender, service, .. }
            | InboundMessage::CancelAppointment { citizen, sender, service, .. }
            | InboundMessage::CancelPeriod { citizen, sender, service, .. } => (citizen, sender, service),
        };
        // R-CIT-6: only valid national ids; the reason never quotes the number.
        let citizen = match NationalId::parse(citizen, self.id_mode) {
            Ok(c) => c,
            Err(e) => return Ok(Decision::Refuse(KithErrorCode::E10, format!("Ugyldig fødselsnummer for innbygger: {e}"))),
        };
        let sender = match sender {
            RawSender::Citizen => Sender::Citizen,
            RawSender::Representative { representative } => match NationalId::parse(representative, self.id_mode) {
                Ok(r) => Sender::Representative { representative: r },
                Err(e) => return Ok(Decision::Refuse(KithErrorCode::E10, format!("Ugyldig fødselsnummer for fullmektig: {e}"))),
            },
        };
        if let InboundMessage::DialogMessage { subject, body, .. } = &env.message
            && let Err(e) = check_text(subject, body)
        {
            return Ok(Decision::Refuse(KithErrorCode::E10, format!("Ugyldig melding: {e}")));
        }

        // R-CIT-1/2, R-ACT-1/4, R-IN-2: the gate, on one read. The sender's role is as
        // Helsenorge asserts it (R-CIT-4, R-CIT-5): journaled on the citizen below.
        // R-IN-3: the idempotency record comes with the gate's facts, so a redelivered duplicate
        // is answered from it on this one read (no write attempt, no second read).
        let facts = self.gate.gate_facts(&citizen, service, Some(message_id.as_str())).await?;
        if let Some(p) = facts.processed {
            return self.pipeline.existing(p, now).map(|w| Decision::Done(Outcome::from(w)));
        }
        if let GateDecision::Reject(reason) = consent_gate(facts.citizen.as_ref(), service, facts.activation.as_ref()) {
            return Ok(Decision::Refuse(reason.kith_code(), reason.text_nb().to_string()));
        }

        let author = Author::from(sender);
        let ok = Outgoing::new(format!("{message_id}.apprec"), OutMessage::Apprec(AppRec::ok(&message_id)));
        let mut d = Delivery::answers_only(message_id.clone(), vec![ok], now);
        let entry = |kind, author: Author, subject: &str, body: &str| JournalEntry {
            message_id: message_id.clone(),
            citizen: citizen.clone(),
            service: service.clone(),
            kind,
            author,
            subject: subject.to_string(),
            body: body.to_string(),
            grading: GRADING_AJ.to_string(),
            at,
        };
        let inbox = |suffix: &str, kind, subject: &str| InboxItem {
            department: service.department.clone(),
            message_id: format!("{message_id}{suffix}"),
            citizen: citizen.clone(),
            service: service.clone(),
            kind,
            subject: subject.to_string(),
            grading: GRADING_AJ.to_string(),
            at,
        };

        match &env.message {
            // R-IN-1: journal on the citizen (with who wrote it) and deliver to the inbox.
            InboundMessage::DialogMessage { subject, body, .. } => {
                d.journal.push(entry(EntryKind::DialogMessage, author, subject, body));
                d.inbox.push(inbox("", EntryKind::DialogMessage, subject));
            }
            InboundMessage::CancelAppointment { assignment, .. } => {
                let read = self.appointments.plan(&citizen, service).await?;
                let mut plan = read.assignments;
                let start = plan.iter().find(|a| &a.id == assignment).and_then(|a| match a.schedule {
                    crate::domain::appointment::Schedule::Dated { start, .. } => Some(start),
                    crate::domain::appointment::Schedule::Regular => None,
                });
                let c = Cancellation {
                    message_id: message_id.clone(),
                    service: service.clone(),
                    scope: CancelScope::One { assignment: assignment.clone(), start },
                    received_at: now,
                };
                match cancel(&mut plan, &c) {
                    // R-APT-2: lapsed with its text, kept (R-APT-5), notice to the inbox.
                    CancelOutcome::Lapsed(_) | CancelOutcome::AlreadyApplied if start.is_some() => {
                        let subject = "Avbestilling av avtale";
                        let text = format!("Innbyggeren har avbestilt avtale {} på Helsenorge.", assignment.0);
                        d.assignments = plan.into_iter().filter(|a| &a.id == assignment).map(|a| (citizen.clone(), a)).collect();
                        d.cancellation = Some((citizen.clone(), c));
                        d.plan_version = Some(read.version);
                        d.journal.push(entry(EntryKind::Cancellation, author, subject, &text));
                        d.inbox.push(inbox("", EntryKind::Cancellation, subject));
                    }
                    // R-APT-3: nothing cancelled; a return message to the citizen, also in the
                    // inbox, the journal and the dialog.
                    CancelOutcome::RegularRefused(_) => {
                        let subject = "Faste avtaler kan ikke avbestilles enkeltvis";
                        d.journal.push(entry(EntryKind::Cancellation, author, "Avbestilling av fast avtale", "Avbestilling av fast avtale avvist."));
                        d.journal.push(JournalEntry {
                            message_id: format!("{message_id}.return"),
                            ..entry(EntryKind::ReturnMessage, Author::System, subject, REGULAR_REFUSED_TEXT)
                        });
                        d.inbox.push(inbox(".return", EntryKind::ReturnMessage, subject));
                        // R-OUT-3: the return message is an outbound message with a receipt
                        // status, so the AppRec answering `{id}.return` finds its record.
                        d.outbound = Some(OutboundMessage {
                            message_id: format!("{message_id}.return"),
                            citizen: citizen.clone(),
                            service: service.clone(),
                            staff_id: SYSTEM_SENDER.to_string(),
                            sent_at: now,
                            receipt: ReceiptFact::Awaiting,
                        });
                        d.outgoing.push(Outgoing::new(
                            format!("{message_id}.return"),
                            OutMessage::DialogMessage {
                                message_id: format!("{message_id}.return"),
                                in_reply_to: Some(message_id.clone()),
                                citizen: citizen.clone(),
                                service: service.clone(),
                                subject: subject.to_string(),
                                body: REGULAR_REFUSED_TEXT.to_string(),
                                attachments: vec![],
                            },
                        ));
                    }
                    _ => {
                        return Ok(Decision::Refuse(KithErrorCode::E10, "Avtalen finnes ikke i arbeidsplanen for tjenesten.".into()));
                    }
                }
            }
            // R-APT-4: the service pauses for the period: dated assignments in it lapse, regular
            // ones pause for it; however many there are, all or none (exactly once, R-IN-3).
            InboundMessage::CancelPeriod { from, to, .. } => {
                let period = match Period::oslo_days(*from, *to) {
                    Ok(p) => p,
                    Err(e) => return Ok(Decision::Refuse(KithErrorCode::E10, period_reason(e).into())),
                };
                let read = self.appointments.plan(&citizen, service).await?;
                let mut plan = read.assignments;
                let c = Cancellation {
                    message_id: message_id.clone(),
                    service: service.clone(),
                    scope: CancelScope::Period { period },
                    received_at: now,
                };
                let CancelOutcome::Paused { lapsed, paused, .. } = cancel(&mut plan, &c) else {
                    return Ok(Decision::Refuse(KithErrorCode::E10, "Perioden kunne ikke avbestilles.".into()));
                };
                let subject = "Avbestilling av periode";
                let text = format!(
                    "Innbyggeren har avbestilt tjenesten fra {from} til og med {to}; {} avtale(r) utgår, {} fast(e) avtale(r) settes på pause.",
                    lapsed.len(),
                    paused.len()
                );
                let mut changed: Vec<_> = plan.into_iter().filter(|a| lapsed.contains(&a.id) || paused.contains(&a.id)).collect();
                // What does not fit in the delivery's one transaction is written first, in chunks
                // conditional on the plan's version; the delivery (idempotency record, version
                // bump, the rest) comes last. A retry recomputes the same marks and writes them
                // again, harmlessly, until the delivery lands once.
                let ahead = changed.len().saturating_sub(MAX_ASSIGNMENTS_PER_WRITE);
                for chunk in changed[..ahead].chunks(MAX_ASSIGNMENTS_PER_WRITE) {
                    self.appointments.write_assignments(&citizen, service, read.version, chunk).await?;
                }
                d.assignments = changed.split_off(ahead).into_iter().map(|a| (citizen.clone(), a)).collect();
                d.plan_version = Some(read.version);
                d.cancellation = Some((citizen.clone(), c));
                d.journal.push(entry(EntryKind::PeriodCancellation, author, subject, &text));
                d.inbox.push(inbox("", EntryKind::PeriodCancellation, subject));
            }
            InboundMessage::Apprec { .. } => unreachable!("handled above"),
        }
        Ok(Decision::Deliver(Box::new(d)))
    }

    /// R-OUT-3: an AppRec updates the receipt status of the outbound message it answers; one
    /// for an unknown message is recorded for support (not retried in a loop).
    async fn apply_apprec(&self, message_id: &str, rec: &AppRec, now: Timestamp) -> Result<Outcome, InboundError> {
        let fact = ReceiptFact::from_apprec(rec, now);
        match self.outbound.apply_receipt(&rec.answers_message_id, &fact).await? {
            ReceiptApplied::Updated => Ok(Outcome::ReceiptApplied),
            ReceiptApplied::UnknownMessage => {
                self.pipeline
                    .dead_letters
                    .record(&RecordedError {
                        message_id: message_id.to_string(),
                        source_queue: self.pipeline.source_queue.clone(),
                        kind: Some("apprec".into()),
                        receive_count: 0,
                        class: ErrorClass::Permanent,
                        error: "AppRec answers an unknown outbound message".into(),
                        at: now,
                    })
                    .await?;
                Ok(Outcome::ReceiptForUnknownMessage)
            }
        }
    }

    /// R-IN-2: records a rejection (once) and makes its receipt pending.
    async fn reject(
        &self,
        message_id: &str,
        code: KithErrorCode,
        reason: String,
        now: Timestamp,
        render: &(dyn Fn(Outgoing) -> Option<Outgoing> + Sync),
    ) -> Result<Outcome, InboundError> {
        let apprec = Outgoing::new(format!("{message_id}.apprec"), OutMessage::Apprec(AppRec::rejected(message_id, code, reason)));
        let d = Delivery::answers_only(message_id, render(apprec).into_iter().collect(), now);
        self.pipeline.record(d).await.map(|w| match w {
            Written::New(p) => Outcome::Rejected(p, code),
            other => Outcome::from(other),
        })
    }
}

impl From<Written> for Outcome {
    fn from(w: Written) -> Self {
        match w {
            Written::New(p) => Outcome::Delivered(p),
            Written::Duplicate => Outcome::Duplicate,
            Written::Resend(p) => Outcome::Resend(p),
        }
    }
}

fn period_reason(e: PeriodError) -> &'static str {
    match e {
        PeriodError::Reversed => "Perioden slutter før den starter.",
        PeriodError::Empty => "Perioden er tom.",
        PeriodError::OutOfRange => "Periodens datoer er utenfor gyldig område.",
    }
}
