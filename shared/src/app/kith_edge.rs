//! What both KITH edges share: who answers whom, rendering an AppRec or a dialog message as a
//! [`WireMessage`] with its transport attributes, and the 8221 code and Norwegian text of a
//! domain rejection. Rendering happens once; the result is stored with the answer.

use jiff::Timestamp;

use crate::domain::NationalId;
use crate::domain::message::{OutMessage, Outgoing, WireMessage};
use crate::domain::receipt::{AppRec, AppRecStatus, KithErrorCode};
use crate::kith::codes::{AppRecStatusCode, ErrorCode, MsgFunction};
use crate::kith::msghead::{Content, Document, Ident, MsgHead, Organisation, Patient};
use crate::kith::{AppRecDoc, Dialogmelding, Hcp};

/// The parties and identity of the message being answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answering {
    /// The message's id.
    pub msg_id: String,
    /// Its function.
    pub function: MsgFunction,
    /// Its `GenDate`, as written.
    pub gen_date: String,
    /// Us (the message's receiver).
    pub ours: Organisation,
    /// Them (the message's sender).
    pub theirs: Organisation,
    /// The CPA id it came under, echoed on the answer.
    pub cpa_id: Option<String>,
}

impl Answering {
    /// From a MsgHead we read.
    pub fn of(m: &MsgHead, cpa_id: Option<String>) -> Self {
        Self {
            msg_id: m.msg_id.clone(),
            function: m.function.clone(),
            gen_date: m.gen_date.clone(),
            ours: m.receiver.clone(),
            theirs: m.sender.clone(),
            cpa_id,
        }
    }

    /// The transport attributes of an answer.
    fn attributes(&self, function: &str, id: &str) -> Vec<(String, String)> {
        let mut a = vec![
            ("messageFunction".to_string(), function.to_string()),
            ("messageId".to_string(), id.to_string()),
            ("contentType".to_string(), "text/xml".to_string()),
        ];
        if let Some(h) = self.ours.most_specific_her() {
            a.push(("fromHerId".into(), h.into()));
        }
        if let Some(h) = self.theirs.most_specific_her() {
            a.push(("toHerId".into(), h.into()));
        }
        if let Some(c) = &self.cpa_id {
            a.push(("cpaId".into(), c.clone()));
        }
        if function == "APPREC" {
            a.push(("receiptForMessageFunction".into(), self.function.code().to_string()));
        }
        a
    }

    /// An AppRec 1.1 answering the message, as `{msg_id}.apprec`.
    pub fn apprec(&self, status: AppRecStatusCode, errors: Vec<(ErrorCode, String)>, now: Timestamp) -> Outgoing {
        let id = format!("{}.apprec", self.msg_id);
        let doc = AppRecDoc {
            v1_0: false,
            gen_date: now.to_string(),
            id: id.clone(),
            sender: hcp(&self.ours),
            receiver: hcp(&self.theirs),
            status,
            errors,
            original_function: self.function.clone(),
            original_issue_date: self.gen_date.clone(),
            original_id: self.msg_id.clone(),
        };
        let attributes = self.attributes("APPREC", &id);
        Outgoing::new(id, OutMessage::Wire(WireMessage { body: doc.write(), attributes }))
    }

    /// A dialog message to the citizen in the same conversation (R-APT-3's return message).
    pub fn dialog(&self, id: &str, citizen: &NationalId, subject: &str, body: &str, now: Timestamp) -> Outgoing {
        let m = MsgHead {
            function: self.function.clone(),
            gen_date: now.to_string(),
            msg_id: id.to_string(),
            conversation: Some((self.msg_id.clone(), self.msg_id.clone())),
            sender: self.ours.clone(),
            receiver: self.theirs.clone(),
            patient: Some(patient(citizen)),
            documents: vec![dialog_document(subject, body)],
        };
        let attributes = self.attributes(self.function.code(), id);
        Outgoing::new(id, OutMessage::Wire(WireMessage { body: m.write(), attributes }))
    }

    /// Renders the domain's answers (AppRec, return message) for the wire; others unchanged.
    pub fn render(&self, o: Outgoing, now: Timestamp) -> Outgoing {
        match o.message {
            OutMessage::Apprec(rec) => self.apprec(status_code(rec.status), errors_of(&rec), now),
            OutMessage::DialogMessage { message_id, citizen, subject, body, .. } => {
                self.dialog(&message_id, &citizen, &subject, &body, now)
            }
            message => Outgoing { message, ..o },
        }
    }
}

/// The patient element for a citizen.
pub fn patient(citizen: &NationalId) -> Patient {
    let type_id = if citizen.kind() == crate::domain::national_id::IdKind::DNumber { "DNR" } else { "FNR" };
    Patient { family_name: None, given_name: None, idents: vec![Ident { id: citizen.expose(), type_id: type_id.into() }] }
}

/// The first document of a dialog message.
pub fn dialog_document(subject: &str, body: &str) -> Document {
    Document {
        content_description: Some(subject.chars().take(200).collect()),
        msg_type: "XML".into(),
        mime_type: None,
        description: None,
        content: Content::Dialog(Dialogmelding::citizen_dialog(subject, body)),
    }
}

fn hcp(o: &Organisation) -> Hcp {
    Hcp {
        name: o.name.clone(),
        her: o.her().map(str::to_string),
        dept: o.sub.as_deref().and_then(|s| s.her().map(|h| (s.name.clone(), h.to_string()))),
    }
}

fn status_code(s: AppRecStatus) -> AppRecStatusCode {
    match s {
        AppRecStatus::Ok => AppRecStatusCode::Ok,
        AppRecStatus::Rejected => AppRecStatusCode::Rejected,
        AppRecStatus::OkWithErrors => AppRecStatusCode::OkErrorInPart,
    }
}

/// R-IN-2: a domain rejection's 8221 code and Norwegian text. The domain's E20 (representative)
/// and E10 (its catch-all) have no 8221 meaning of their own and go out as X99; the text keeps
/// only what stands before a colon (the domain's Norwegian lead, never a parser's detail).
fn errors_of(rec: &AppRec) -> Vec<(ErrorCode, String)> {
    rec.errors
        .iter()
        .map(|e| {
            let code = match e.code {
                KithErrorCode::E35 => ErrorCode::E35,
                KithErrorCode::E21 => ErrorCode::E21,
                KithErrorCode::T01 => ErrorCode::T01,
                KithErrorCode::E10 | KithErrorCode::E20 => ErrorCode::X99,
            };
            let lead = e.reason.split(':').next().unwrap_or_default().trim().trim_end_matches('.');
            let text = if lead.is_empty() { code.display_name().to_string() } else { format!("{lead}.") };
            (code, text)
        })
        .collect()
}

/// An AppRec we receive, as the domain's receipt (R-OUT-3). Codes the domain does not name
/// keep their own code in the reason.
pub fn domain_apprec(a: &AppRecDoc) -> AppRec {
    let status = match a.status {
        AppRecStatusCode::Ok => AppRecStatus::Ok,
        AppRecStatusCode::Rejected => AppRecStatus::Rejected,
        AppRecStatusCode::OkErrorInPart => AppRecStatus::OkWithErrors,
    };
    let errors = a
        .errors
        .iter()
        .map(|(code, text)| {
            let (c, reason) = match code {
                ErrorCode::E10 => (KithErrorCode::E10, text.clone()),
                ErrorCode::E21 => (KithErrorCode::E21, text.clone()),
                ErrorCode::E35 => (KithErrorCode::E35, text.clone()),
                ErrorCode::T01 => (KithErrorCode::T01, text.clone()),
                other => (KithErrorCode::E10, format!("{} {text}", other.code())),
            };
            crate::domain::receipt::AppRecError { code: c, reason }
        })
        .collect();
    AppRec { answers_message_id: a.original_id.clone(), status, errors }
}

/// A reply from staff as MsgHead + Dialogmelding 1.1 (R-OUT-2): from the service's HER-id to
/// Helsenorge's, `ConversationRef` to the citizen's message when it answers one, attachments as
/// documents (R-OUT-4 is checked before; an attachment held by reference goes as `FileReference`).
pub struct Reply<'a> {
    /// Our message id.
    pub message_id: &'a str,
    /// The citizen's message it answers.
    pub in_reply_to: Option<&'a str>,
    /// The citizen.
    pub citizen: &'a NationalId,
    /// Subject.
    pub subject: &'a str,
    /// Body.
    pub body: &'a str,
    /// Attachments.
    pub attachments: &'a [crate::domain::reply::Attachment],
}

impl Reply<'_> {
    /// Renders the reply from `ours` to `helsenorge`, attachments as base64 (kith-base64) with
    /// their decoded content; an attachment that is not base64 (refused before a reply is
    /// recorded, R-OUT-4) is an error, never an empty document.
    pub fn render(&self, ours: &crate::ports::HerEntry, helsenorge: &Organisation, now: Timestamp) -> Result<Outgoing, NotBase64> {
        let mut us = Organisation::with_her(&ours.parent_name, &ours.parent_her_id);
        us.sub = Some(Box::new(Organisation::with_her(&ours.name, &ours.her_id)));
        let mut documents = vec![dialog_document(self.subject, self.body)];
        for a in self.attachments {
            documents.push(Document {
                content_description: None,
                msg_type: "A".into(),
                mime_type: Some(a.media_type.clone()),
                description: Some(a.name.clone()),
                content: Content::Base64(a.content.decode().ok_or(NotBase64)?),
            });
        }
        let m = MsgHead {
            function: MsgFunction::Ekontakt,
            gen_date: now.to_string(),
            msg_id: self.message_id.to_string(),
            conversation: self.in_reply_to.map(|p| (p.to_string(), p.to_string())),
            sender: us.clone(),
            receiver: helsenorge.clone(),
            patient: Some(patient(self.citizen)),
            documents,
        };
        let who = Answering {
            msg_id: self.message_id.to_string(),
            function: MsgFunction::Ekontakt,
            gen_date: m.gen_date.clone(),
            ours: us,
            theirs: helsenorge.clone(),
            cpa_id: None,
        };
        let attributes = who.attributes(MsgFunction::Ekontakt.code(), self.message_id);
        Ok(Outgoing::new(format!("{}.message", self.message_id), OutMessage::Wire(WireMessage { body: m.write(), attributes })))
    }
}

/// A reply's attachment is not base64 (R-OUT-4 refuses it before a reply is recorded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an attachment of the reply is not base64")]
pub struct NotBase64;
