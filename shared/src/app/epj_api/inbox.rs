//! The department inbox (R-IN-1): newest first with who took each item over, paginated, with
//! an ETag for polling (R-ACC-1/2); taking an item over (R-ACC-3), idempotent; and the
//! re-dating flags among the items (R-APT-5).

use serde_json::{Value, json};

use super::page::{page, page_request, with_etag};
use super::request::{ApiError, department, to_json};
use super::EpjApi;
use crate::app::http::{HttpRequest, HttpResponse};
use crate::domain::message::{EntryKind, InboxItem};
use crate::domain::staff::{Staff, TakeOver, authorize_read, authorize_take_over};
use crate::ports::epj::TakeOverStore;
use crate::ports::{Clock, Inspect};

impl<R: Inspect, E: TakeOverStore, P, S, C: Clock> EpjApi<R, E, P, S, C> {
    /// `GET /v1/departments/{department}/inbox` (or `/redate-flags`: only the R-APT-5 flags).
    pub(super) async fn inbox(&self, req: &HttpRequest, staff: &Staff, dept: &str, flags_only: bool) -> Result<HttpResponse, ApiError> {
        let dept = department(dept)?;
        authorize_read(&staff.profile(), &dept)?;
        let (limit, cursor) = page_request(req)?;
        let mut items = self.records.inbox(&dept).await?;
        if flags_only {
            items.retain(|i| i.kind == EntryKind::RedateFlag);
        }
        let (items, next) = page(items, |i: &InboxItem| (i.at, i.message_id.as_str()), limit, cursor.as_ref());
        let taken = self.epj.taken_over(&dept).await?;
        let items = items
            .iter()
            .map(|i| {
                let t = taken.iter().find(|t| t.message_id == i.message_id);
                item_json(i, t)
            })
            .collect::<Result<Vec<Value>, ApiError>>()?;
        Ok(with_etag(req, json!({ "items": items, "nextCursor": next })))
    }

    /// `POST /v1/departments/{department}/inbox/{messageId}/take-over` (R-ACC-3). Taking over
    /// an item already taken over answers the take-over that stands: 200 when it is this staff
    /// member's, 409 (`taken-over-by-another`, with who and when) otherwise.
    pub(super) async fn take_over(&self, staff: &Staff, dept: &str, message_id: &str) -> Result<HttpResponse, ApiError> {
        let dept = department(dept)?;
        authorize_take_over(&staff.profile(), &dept)?;
        let inbox = self.records.inbox(&dept).await?;
        let item = inbox.iter().find(|i| i.message_id == message_id).ok_or(ApiError::Missing("the inbox item"))?;
        let wanted = TakeOver { department: dept, message_id: item.message_id.clone(), staff_id: staff.staff_id.clone(), at: self.clock.now() };
        let stands = self.epj.take_over(&wanted).await?;
        let body = json!({ "messageId": stands.message_id, "takenOver": taken_json(&stands) });
        if stands.staff_id == staff.staff_id {
            Ok(HttpResponse::json(200, body))
        } else {
            let mut body = body;
            body["code"] = "taken-over-by-another".into();
            body["message"] = "another staff member took this item over first".into();
            Ok(HttpResponse::json(409, body))
        }
    }
}

fn taken_json(t: &TakeOver) -> Value {
    json!({ "staffId": t.staff_id, "at": t.at })
}

/// An inbox item as the EPJ reads it, with its take-over (or `null`).
fn item_json(i: &InboxItem, taken: Option<&TakeOver>) -> Result<Value, ApiError> {
    let mut v = to_json(i)?;
    v["takenOver"] = taken.map_or(Value::Null, taken_json);
    Ok(v)
}
