//! A citizen's administrative journal for one department (R-IN-1: every message is journaled
//! on the citizen; R-ACC-1/2: staff read it for departments their profile covers), newest first
//! and paginated; and the dialog thread of one service, oldest first, with the receipt status
//! of every reply (R-OUT-3). National ids travel in the body, never in the URL.

use serde::Deserialize;
use serde_json::{Value, json};

use super::EpjApi;
use super::page::{page, page_request, with_etag};
use super::request::{ApiError, body, citizen, to_json};
use crate::app::http::{HttpRequest, HttpResponse};
use crate::domain::message::{EntryKind, JournalEntry};
use crate::domain::staff::{Staff, authorize_read};
use crate::domain::{DepartmentCode, ServiceKey};
use crate::ports::{Clock, Inspect, OutboundStore};

/// `POST /v1/journal`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct JournalQuery {
    citizen: String,
    department: DepartmentCode,
}

/// `POST /v1/dialog`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct DialogQuery {
    citizen: String,
    service: ServiceKey,
}

impl<R: Inspect + OutboundStore, E, P, S, C: Clock> EpjApi<R, E, P, S, C> {
    /// The journal entries on services of the asked department, newest first.
    pub(super) async fn journal(&self, req: &HttpRequest, staff: &Staff) -> Result<HttpResponse, ApiError> {
        let q: JournalQuery = body(req)?;
        let who = citizen(&q.citizen, self.settings.id_mode)?;
        authorize_read(&staff.profile(), &q.department)?;
        let (limit, cursor) = page_request(req)?;
        let mut entries = self.records.journal(&who).await?;
        entries.retain(|e| e.service.department == q.department);
        let (entries, next) = page(entries, |e: &JournalEntry| (e.at, e.message_id.as_str()), limit, cursor.as_ref());
        let entries = entries.iter().map(to_json).collect::<Result<Vec<Value>, ApiError>>()?;
        Ok(with_etag(req, json!({ "entries": entries, "nextCursor": next })))
    }

    /// The conversation of one citizen and service, oldest first: the citizen's messages and
    /// the staff's replies, each reply with its receipt status and flag (R-OUT-3).
    pub(super) async fn dialog(&self, req: &HttpRequest, staff: &Staff) -> Result<HttpResponse, ApiError> {
        let q: DialogQuery = body(req)?;
        let who = citizen(&q.citizen, self.settings.id_mode)?;
        authorize_read(&staff.profile(), &q.service.department)?;
        let mut entries = self.records.journal(&who).await?;
        entries.retain(|e| e.service == q.service);
        entries.sort_by(|a, b| (a.at, &a.message_id).cmp(&(b.at, &b.message_id)));
        let replies = self.records.replies_of(&who).await?;
        let now = self.clock.now();
        let mut messages = vec![];
        for e in &entries {
            let mut m = to_json(e)?;
            let outbound = e.kind == EntryKind::Reply || e.kind == EntryKind::ReturnMessage;
            m["direction"] = if outbound { "outbound" } else { "inbound" }.into();
            if outbound {
                m["receipt"] = match replies.iter().find(|r| r.message_id == e.message_id) {
                    Some(r) => {
                        let status = r.status(now, self.settings.receipt_deadline);
                        let mut v = to_json(&status)?;
                        v["flag"] = to_json(&status.flag())?;
                        v
                    }
                    None => Value::Null,
                };
            }
            messages.push(m);
        }
        Ok(with_etag(req, json!({ "messages": messages })))
    }
}
