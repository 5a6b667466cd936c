//! AppRec, the application receipt: 1.1 (`…/apprec/2012-02-15`) written and read, 1.0
//! (`…/apprec/2004-11-21`) read. It travels as its own document, not inside a MsgHead.

use jiff::Timestamp;

use super::codes::{AppRecStatusCode, ErrorCode, MsgFunction};
use super::error::KithError;
use super::write::Xml;
use super::xml::Element;
use super::{NS_APPREC_1_0, NS_APPREC_1_1, OID_8221};

/// One side of an AppRec: `HCP/Inst` (name, HER-id) and at most one `Dept`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hcp {
    /// `Inst/Name`.
    pub name: String,
    /// `Inst/Id` with `TypeId` `HER`.
    pub her: Option<String>,
    /// `Inst/Dept` (name, HER-id), or an `HCPerson` read as one.
    pub dept: Option<(String, String)>,
}

impl Hcp {
    /// The most specific HER-id (department before institution).
    pub fn most_specific_her(&self) -> Option<&str> {
        self.dept.as_ref().map(|(_, h)| h.as_str()).or(self.her.as_deref())
    }
}

/// An AppRec document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRecDoc {
    /// Read from 1.0 (`false` for 1.1 and for what we write).
    pub v1_0: bool,
    /// `GenDate`.
    pub gen_date: String,
    /// `Id`: the receipt's own id.
    pub id: String,
    /// `Sender`.
    pub sender: Hcp,
    /// `Receiver`.
    pub receiver: Hcp,
    /// `Status` (code list 8258).
    pub status: AppRecStatusCode,
    /// `Error` lines: code (8221) and our text (`OT`) or the code's name.
    pub errors: Vec<(ErrorCode, String)>,
    /// `OriginalMsgId/MsgType`.
    pub original_function: MsgFunction,
    /// `OriginalMsgId/IssueDate`.
    pub original_issue_date: String,
    /// `OriginalMsgId/Id`: the message it answers.
    pub original_id: String,
}

/// Reads an `xs:dateTime`: with an offset, or without one as Oslo time (as KITH samples do).
pub fn parse_datetime(s: &str) -> Option<Timestamp> {
    if let Ok(t) = s.parse::<Timestamp>() {
        return Some(t);
    }
    let dt: jiff::civil::DateTime = s.parse().ok()?;
    crate::domain::appointment::oslo_instant(dt).ok()
}

impl AppRecDoc {
    /// Reads an `AppRec` root element of either version.
    pub fn read(el: &Element) -> Result<Self, KithError> {
        let ns = match el.ns.as_str() {
            NS_APPREC_1_1 if el.name == "AppRec" => NS_APPREC_1_1,
            NS_APPREC_1_0 if el.name == "AppRec" => NS_APPREC_1_0,
            _ => return Err(KithError::Unsupported("AppRec-navnerom")),
        };
        if el.child_v(ns, "MsgType").as_deref() != Some("APPREC") {
            return Err(KithError::Invalid("AppRec/MsgType"));
        }
        let gen_date = el.child_text(ns, "GenDate").ok_or(KithError::Missing("AppRec/GenDate"))?;
        let id = el.child_text(ns, "Id").ok_or(KithError::Missing("AppRec/Id"))?;
        if !crate::domain::message::valid_message_id(&id) {
            return Err(KithError::Invalid("MsgInfo/MsgId"));
        }
        let status = el
            .child_v(ns, "Status")
            .ok_or(KithError::Missing("AppRec/Status"))
            .and_then(|v| AppRecStatusCode::from_code(&v).ok_or(KithError::Invalid("AppRec/Status")))?;
        let errors = el
            .children(ns, "Error")
            .map(|e| {
                let code = ErrorCode::from_code(e.attr("V").unwrap_or_default());
                let text = e.attr("OT").or(e.attr("DN")).unwrap_or(code.display_name()).chars().take(500).collect();
                (code, text)
            })
            .collect();
        let original = el.child(ns, "OriginalMsgId").ok_or(KithError::Missing("AppRec/OriginalMsgId"))?;
        let original_id = original.child_text(ns, "Id").ok_or(KithError::Missing("OriginalMsgId/Id"))?;
        if !crate::domain::message::valid_message_id(&original_id) {
            return Err(KithError::Invalid("OriginalMsgId/Id"));
        }
        let side = |name: &'static str| -> Result<Hcp, KithError> {
            let inst = el
                .child(ns, name)
                .and_then(|s| s.child(ns, "HCP"))
                .and_then(|h| h.child(ns, "Inst"))
                .ok_or(KithError::Missing(name))?;
            let her_of = |e: &Element| (e.child_v(ns, "TypeId").as_deref() == Some("HER")).then(|| e.child_text(ns, "Id")).flatten();
            let dept = inst
                .children
                .iter()
                .filter(|c| c.ns == ns && (c.name == "Dept" || c.name == "HCPerson"))
                .find_map(|d| her_of(d).map(|h| (d.child_text(ns, "Name").unwrap_or_default(), h)));
            Ok(Hcp { name: inst.child_text(ns, "Name").unwrap_or_default(), her: her_of(inst), dept })
        };
        Ok(Self {
            v1_0: ns == NS_APPREC_1_0,
            gen_date,
            id,
            sender: side("Sender")?,
            receiver: side("Receiver")?,
            status,
            errors,
            original_function: MsgFunction::from_code(&original.child_v(ns, "MsgType").unwrap_or_default()),
            original_issue_date: original.child_text(ns, "IssueDate").ok_or(KithError::Missing("OriginalMsgId/IssueDate"))?,
            original_id,
        })
    }

    /// Writes an AppRec 1.1 document (UTF-8).
    pub fn write(&self) -> String {
        let mut x = Xml::new(1536);
        x.open("AppRec", &[("xmlns", NS_APPREC_1_1)]);
        x.empty("MsgType", &[("V", "APPREC"), ("DN", "Applikasjonskvittering")]);
        x.leaf("MIGversion", "v1.1 2012-02-15");
        x.leaf("SoftwareName", "helsedialog");
        x.leaf("SoftwareVersion", env!("CARGO_PKG_VERSION"));
        x.leaf("GenDate", &self.gen_date).leaf("Id", &self.id);
        for (name, hcp) in [("Sender", &self.sender), ("Receiver", &self.receiver)] {
            x.open(name, &[]).open("HCP", &[]).open("Inst", &[]).leaf("Name", &hcp.name);
            if let Some(her) = &hcp.her {
                x.leaf("Id", her).empty("TypeId", &[("V", "HER"), ("DN", "HER-id")]);
            }
            if let Some((dname, dher)) = &hcp.dept {
                x.open("Dept", &[]).leaf("Name", dname).leaf("Id", dher).empty("TypeId", &[("V", "HER"), ("DN", "HER-id")]).close("Dept");
            }
            x.close("Inst").close("HCP").close(name);
        }
        x.empty("Status", &[("V", self.status.code()), ("DN", self.status.display_name())]);
        for (code, text) in &self.errors {
            x.empty("Error", &[("V", code.code()), ("S", OID_8221), ("DN", code.display_name()), ("OT", text)]);
        }
        x.open("OriginalMsgId", &[]);
        x.empty("MsgType", &[("V", self.original_function.code()), ("DN", self.original_function.display_name())]);
        x.leaf("IssueDate", &self.original_issue_date).leaf("Id", &self.original_id);
        x.close("OriginalMsgId").close("AppRec");
        x.finish()
    }
}
