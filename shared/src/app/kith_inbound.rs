//! inbound-message's KITH edge: a MsgHead (or bare AppRec) from Helsenorge's bridge becomes the
//! domain's input, and every answer goes back as KITH XML (R-IN-1..3, R-CIT-4/6, R-APT-2/4,
//! R-OUT-3). The XML is the truth: transport attributes that disagree with it are a rejection.
//! Message functions map as follows (the appointment mapping is isolated in [`cancellation`]):
//! `DIALOG_INNBYGGER_EKONTAKT` → dialog message; `…_AVTALEAVBESTILLING` and `…_TIMERESERVASJON`
//! → cancellation of one appointment or a period (`…_TIMERESERVASJON` without an AppRec, see
//! [`takes_apprec`]; its refusals are recorded for support); `APPREC` → receipt; `DIALOG_INNBYGGER_TEST` →
//! AppRec OK; anything else → AppRec rejection T10. Nothing is dropped.

use jiff::Timestamp;

use super::inbound::{InboundService, Outcome};
use super::kith_edge::Answering;
use super::pipeline::{Answered, Pending, ProcessError, Written};
use super::RecordIn;
use crate::domain::NationalId;
use crate::domain::dead_letter::{ErrorClass, RecordedError};
use crate::domain::message::{InboundEnvelope, InboundMessage, OutMessage, Outgoing, RawSender, check_text, valid_message_id};
use crate::kith::codes::{AppRecStatusCode, ErrorCode, MsgFunction, PersonIdType};
use crate::kith::ical::{CalendarCancel, read_cancel};
use crate::kith::msghead::{Content, KithDocument, MsgHead, Organisation, read_document};
use crate::kith::{AppRecDoc, ReadLimits};
use crate::ports::{
    AppointmentStore, Clock, DeadLetterLog, Delivery, GateReader, HelsenorgeOutbox, HerDirectory, MessageStore,
    OutboundStore,
};

/// The transport metadata the bridge puts on each SQS message (the AMQP properties).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transport {
    /// `messageFunction` (the AMQP label).
    pub function: Option<String>,
    /// `fromHerId`.
    pub from_her_id: Option<String>,
    /// `toHerId`.
    pub to_her_id: Option<String>,
    /// `cpaId`.
    pub cpa_id: Option<String>,
    /// `messageId` (the AMQP message id).
    pub message_id: Option<String>,
    /// `claimCheck`: the body came by reference (`app::claimed_inbound` read it; issue 18).
    pub claim_check: Option<String>,
}

impl Transport {
    /// Reads the attributes by name; others are ignored.
    pub fn from_attributes<'a>(attrs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut t = Self::default();
        for (k, raw) in attrs {
            let v = Some(raw.chars().take(128).collect());
            match k {
                "messageFunction" => t.function = v,
                "fromHerId" => t.from_her_id = v,
                "toHerId" => t.to_her_id = v,
                "cpaId" => t.cpa_id = v,
                "messageId" => t.message_id = v,
                // A reference is not cut short (bucket and key are up to 1,087 characters).
                crate::domain::claim_check::CLAIM_ATTRIBUTE => t.claim_check = Some(raw.chars().take(1100).collect()),
                _ => {}
            }
        }
        t
    }

    /// The first attribute that disagrees with the document: its 8221 code and name.
    fn disagreement(&self, function: &MsgFunction, msg_id: &str, sender: &[&str], receiver: &[&str]) -> Option<(ErrorCode, &'static str)> {
        let differs = |a: &Option<String>, ok: &dyn Fn(&str) -> bool| a.as_deref().is_some_and(|v| !ok(v));
        if differs(&self.message_id, &|v| v == msg_id) {
            Some((ErrorCode::E10, "messageId"))
        } else if differs(&self.function, &|v| v == function.code()) {
            Some((ErrorCode::T10, "messageFunction"))
        } else if differs(&self.to_her_id, &|v| receiver.contains(&v)) {
            Some((ErrorCode::E21, "toHerId"))
        } else if differs(&self.from_her_id, &|v| sender.contains(&v)) {
            Some((ErrorCode::X99, "fromHerId"))
        } else {
            None
        }
    }
}

/// What processing a KITH message ended in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KithOutcome {
    /// The domain's outcome (delivered, rejected by a rule, duplicate, receipt applied, …).
    Domain(Outcome),
    /// Refused at the edge with an 8221 code; the AppRec is pending.
    Rejected(Pending, ErrorCode),
    /// Answered at the edge without delivery (the communication test); the AppRec is pending.
    Answered(Pending),
}

impl Answered for KithOutcome {
    fn pending(&self) -> Option<&Pending> {
        match self {
            Self::Domain(o) => o.pending(),
            Self::Rejected(p, _) | Self::Answered(p) => Some(p),
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Self::Domain(o) => o.label(),
            Self::Rejected(..) => "rejected-at-edge",
            Self::Answered(_) => "answered",
        }
    }
}

/// The inbound use case behind its KITH edge.
pub struct KithInboundService<G, M, A, O, H, D, C, R> {
    /// The domain use case.
    pub inbound: InboundService<G, M, A, O, H, D, C>,
    /// Our HER-ids and the services they stand for.
    pub directory: R,
}

impl<G, M, A, O, H, D, C, R> KithInboundService<G, M, A, O, H, D, C, R>
where
    G: GateReader,
    M: MessageStore,
    A: AppointmentStore,
    O: OutboundStore,
    H: HelsenorgeOutbox,
    D: DeadLetterLog,
    C: Clock,
    R: HerDirectory,
{
    /// Processes one SQS body with its transport attributes, up to sending its answers.
    pub async fn process(&self, body: &str, transport: &Transport) -> Result<KithOutcome, ProcessError> {
        let now = self.inbound.pipeline.clock.now();
        // A body read back from the claim check may be larger than SQS carries (attachments).
        let limits = if transport.claim_check.is_some() { ReadLimits::WITH_ATTACHMENTS } else { ReadLimits::INBOUND };
        match read_document(body.as_bytes(), limits) {
            Ok(KithDocument::AppRec(a)) => self.receipt(&a, transport).await,
            Ok(KithDocument::MsgHead(m)) => self.message(*m, transport, now).await,
            Err(e) => {
                // Answerable when an id can be read (from the XML, else the transport); a body
                // without one is a recorded dead letter.
                let id = sniff_msg_id(body).or_else(|| transport.message_id.clone().filter(|i| valid_message_id(i)));
                let Some(msg_id) = id else { return Err(ProcessError::Unreadable(e.to_string())) };
                let to = |h: &Option<String>| Organisation::with_her("", h.as_deref().unwrap_or_default());
                let who = Answering {
                    msg_id,
                    function: MsgFunction::from_code(transport.function.as_deref().unwrap_or_default()),
                    gen_date: now.to_string(),
                    ours: to(&transport.to_her_id),
                    theirs: to(&transport.from_her_id),
                    cpa_id: transport.cpa_id.clone(),
                };
                self.refuse(&who, e.code(), e.text_nb(), now).await
            }
        }
    }

    /// R-OUT-3: an AppRec for one of our messages.
    async fn receipt(&self, a: &AppRecDoc, transport: &Transport) -> Result<KithOutcome, ProcessError> {
        let sender: Vec<&str> = [a.sender.her.as_deref(), a.sender.dept.as_ref().map(|d| d.1.as_str())].into_iter().flatten().collect();
        let receiver: Vec<&str> = [a.receiver.her.as_deref(), a.receiver.dept.as_ref().map(|d| d.1.as_str())].into_iter().flatten().collect();
        if let Some((_, field)) = transport.disagreement(&MsgFunction::AppRec, &a.id, &sender, &receiver) {
            // A receipt is never answered with a receipt: recorded for support instead.
            return Err(ProcessError::Unreadable(format!("AppRec transport attribute {field} disagrees with the document")));
        }
        let rec = super::kith_edge::domain_apprec(a);
        let env = InboundEnvelope {
            version: crate::domain::message::ENVELOPE_VERSION,
            message_id: a.id.clone(),
            sent_at: crate::kith::apprec::parse_datetime(&a.gen_date).unwrap_or_else(|| self.inbound.pipeline.clock.now()),
            message: InboundMessage::Apprec { answers_message_id: rec.answers_message_id, status: rec.status, errors: rec.errors },
        };
        self.inbound.process_envelope(env, &|o| Some(o)).await.map(KithOutcome::Domain)
    }

    async fn message(&self, m: MsgHead, transport: &Transport, now: Timestamp) -> Result<KithOutcome, ProcessError> {
        let who = Answering::of(&m, transport.cpa_id.clone());
        if let Some((code, field)) = transport.disagreement(&m.function, &m.msg_id, &m.sender.her_ids(), &m.receiver.her_ids()) {
            return self.refuse(&who, code, format!("Transportopplysningen {field} stemmer ikke med meldingen."), now).await;
        }
        let input = match &m.function {
            MsgFunction::Test => return self.answer(&who, AppRecStatusCode::Ok, vec![], now).await,
            MsgFunction::AppRec => {
                return match m.documents.iter().find_map(|d| match &d.content { Content::AppRec(a) => Some(a), _ => None }) {
                    Some(a) => self.receipt(a, &Transport::default()).await,
                    None => self.refuse(&who, ErrorCode::T02, "Meldingen mangler applikasjonskvitteringen.".into(), now).await,
                };
            }
            MsgFunction::Ekontakt | MsgFunction::Avtaleavbestilling | MsgFunction::Timereservasjon => self.to_domain(&m).await?,
            MsgFunction::Avtaleutsending | MsgFunction::Other(_) => {
                Err((ErrorCode::T10, "Meldingens funksjon støttes ikke av mottakeren.".to_string()))
            }
        };
        let takes_apprec = takes_apprec(&m.function);
        let render = |o: Outgoing| match o.message {
            OutMessage::Apprec(_) if !takes_apprec => None,
            _ => Some(who.render(o, now)),
        };
        match input {
            Ok(env) => {
                let out = self.inbound.process_envelope(env, &render).await?;
                if let Outcome::Rejected(_, code) = &out
                    && !takes_apprec
                {
                    self.unanswered(&who, code.as_str(), now).await?;
                }
                Ok(KithOutcome::Domain(out))
            }
            Err((code, text)) => self.refuse(&who, code, text, now).await,
        }
    }

    /// A refusal of a message whose process takes no AppRec: recorded for support, who answer
    /// the citizen another way (the refusal itself is recorded once, with no answer to send).
    async fn unanswered(&self, who: &Answering, code: &str, now: Timestamp) -> Result<(), ProcessError> {
        let record = RecordedError {
            message_id: who.msg_id.clone(),
            source_queue: self.inbound.pipeline.source_queue.clone(),
            kind: Some(who.function.code().to_string()),
            receive_count: 0,
            class: ErrorClass::Permanent,
            error: format!("refused with {code}; its process takes no AppRec, so the citizen has not been told"),
            at: now,
        };
        self.inbound.pipeline.dead_letters.record(&record).await?;
        Ok(())
    }

    /// The domain's input for a routed message, or the edge's coded refusal.
    async fn to_domain(&self, m: &MsgHead) -> Result<Result<InboundEnvelope, (ErrorCode, String)>, ProcessError> {
        let refuse = |c: ErrorCode, t: &str| Ok(Err((c, t.to_string())));
        // Routing: the receiver's HER-id is data (EPJ), never code.
        let Some(her) = m.receiver.most_specific_her() else {
            return refuse(ErrorCode::E21, "Mottakeren mangler HER-id.");
        };
        let Some(service) = self.directory.service_of(her).await? else {
            return refuse(ErrorCode::E21, "Mottakerens HER-id er ikke knyttet til en tjeneste i kommunen.");
        };
        // R-CIT-6: the patient is whom it is journaled on; only an FNR or DNR in Patient counts.
        let Some((citizen, _)) = m.patient.as_ref().and_then(|p| p.national_id()) else {
            return refuse(ErrorCode::E30, "Pasientens fødselsnummer mangler.");
        };
        if NationalId::parse(citizen, self.inbound.id_mode).is_err() {
            return refuse(ErrorCode::E31, "Pasientens fødselsnummer er ugyldig.");
        }
        // R-CIT-4/5: Pasientrelasjon names who writes for the patient.
        let sender = match m.relation() {
            None => RawSender::Citizen,
            Some(r) => match r.person.as_ref().filter(|p| PersonIdType::from_code(&p.type_id).is_some()) {
                Some(p) if NationalId::parse(&p.id, self.inbound.id_mode).is_ok() => {
                    RawSender::Representative { representative: p.id.clone() }
                }
                _ => return refuse(ErrorCode::E36, "Pasientrelasjonen mangler gyldig fødselsnummer for den som skriver."),
            },
        };
        let citizen = citizen.to_string();
        let message = if m.function == MsgFunction::Ekontakt {
            let Some(dialog) = m.dialog() else { return refuse(ErrorCode::T02, "Meldingen mangler dialogmelding.") };
            let (subject, text) = dialog.subject_and_text();
            let subject = subject.or(m.documents[0].content_description.as_deref()).unwrap_or("Melding fra innbygger");
            let body = text.unwrap_or_default();
            if check_text(subject, body).is_err() {
                return refuse(ErrorCode::T99, "Emne eller tekst er tom, for lang (over 20 000 tegn) eller har ugyldige tegn.");
            }
            InboundMessage::DialogMessage { citizen, sender, service, subject: subject.into(), body: body.into() }
        } else {
            match cancellation(m) {
                Some(CalendarCancel::One { uid }) => InboundMessage::CancelAppointment {
                    citizen, sender, service, assignment: crate::domain::AssignmentId(uid),
                },
                Some(CalendarCancel::Period { from, to }) => InboundMessage::CancelPeriod { citizen, sender, service, from, to },
                None => return refuse(ErrorCode::T02, "Avbestillingen mangler kalenderdel (iCalendar) med avtale eller periode."),
            }
        };
        let sent_at = crate::kith::apprec::parse_datetime(&m.gen_date).unwrap_or_else(|| self.inbound.pipeline.clock.now());
        Ok(Ok(InboundEnvelope { version: crate::domain::message::ENVELOPE_VERSION, message_id: m.msg_id.clone(), sent_at, message }))
    }

    /// Answers at the edge, recorded once like every answer (R-IN-3).
    async fn answer(&self, who: &Answering, status: AppRecStatusCode, errors: Vec<(ErrorCode, String)>, now: Timestamp) -> Result<KithOutcome, ProcessError> {
        let code = errors.first().map(|e| e.0.clone());
        let answers = if takes_apprec(&who.function) { vec![who.apprec(status, errors, now)] } else { vec![] };
        let d = Delivery::answers_only(&who.msg_id, answers, now);
        Ok(match self.inbound.pipeline.record(d).await? {
            Written::New(p) => match code {
                Some(c) => {
                    if !takes_apprec(&who.function) {
                        self.unanswered(who, c.code(), now).await?;
                    }
                    KithOutcome::Rejected(p, c)
                }
                None => KithOutcome::Answered(p),
            },
            other => KithOutcome::Domain(Outcome::from(other)),
        })
    }

    /// R-IN-2: a coded rejection at the edge, with its Norwegian text.
    async fn refuse(&self, who: &Answering, code: ErrorCode, text: String, now: Timestamp) -> Result<KithOutcome, ProcessError> {
        self.answer(who, AppRecStatusCode::Rejected, vec![(code, text)], now).await
    }

    /// Processes a batch; each record's transport attributes come with it.
    pub async fn handle_batch(&self, records: &[(RecordIn, Transport)], concurrency: usize) -> Vec<String> {
        let plain: Vec<RecordIn> = records.iter().map(|(r, _)| r.clone()).collect();
        let by_id = |id: &str| records.iter().find(|(r, _)| r.sqs_message_id == id).map(|(_, t)| t.clone()).unwrap_or_default();
        self.inbound.pipeline.handle_batch(&plain, concurrency, |r| {
            let t = by_id(&r.sqs_message_id);
            async move { self.process(&r.body, &t).await }
        }).await
    }
}

/// Whether a message of this function is answered with an AppRec. Helsenorge's page on
/// `DIALOG_INNBYGGER_TIMERESERVASJON` 1.2 (the DigiHelse appointment process, API docs at
/// helsenorge.atlassian.net, "Hent planlagte avtaler") says: "Merk at det ikke skal sendes
/// applikasjonskvittering for denne prosessen" — no AppRec is sent for this process; its answers
/// are the process's own messages (`SvarTimeReservasjon`), which DigiHelse's cancellation does
/// not need. `DIALOG_INNBYGGER_AVTALEAVBESTILLING`, its successor for cancellations, and every
/// other process take one. (Helsenorge.Messaging still routes an AppRec for a
/// `…_TIMERESERVASJON` party without the process in its CPP, a hack its code marks for removal;
/// Helsenorge's page is the process's definition.)
pub fn takes_apprec(function: &MsgFunction) -> bool {
    *function != MsgFunction::Timereservasjon
}

/// The appointment processes' mapping (isolated): the iCalendar in a `text/calendar` (or any
/// base64) document names one appointment by `UID` or a period by all-day dates.
pub fn cancellation(m: &MsgHead) -> Option<CalendarCancel> {
    let mut docs: Vec<_> = m.documents.iter().collect();
    docs.sort_by_key(|d| d.mime_type.as_deref() != Some("text/calendar"));
    docs.iter().find_map(|d| match &d.content {
        Content::Base64(b) => std::str::from_utf8(b).ok().and_then(read_cancel),
        _ => None,
    })
}

/// The `MsgId` of a document that could not be parsed, when one can be picked out safely.
fn sniff_msg_id(body: &str) -> Option<String> {
    let start = body.find("MsgId>")? + "MsgId>".len();
    let rest = body.get(start..)?;
    let id = rest[..rest.find('<')?].trim();
    valid_message_id(id).then(|| id.to_string())
}
