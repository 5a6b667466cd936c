//! The EPJ's HTTP API (function `epj-api`), routes under `/v1/`: the department inbox with
//! take-overs (R-IN-1, R-ACC-1..3), a citizen's administrative journal and dialog thread with
//! receipt status (R-OUT-3), replies through the outbound use case (R-OUT-1..4), activations
//! (R-ACT-1..4), record cards and work plans pushed by the EPJ (R-APT-5), and support's
//! read-only view of parked messages (R-DLQ-2..5). `openapi.yaml` documents every route.
//!
//! The acting staff member arrives in the `x-epj-staff` header as JSON ([`Staff`]); the EPJ
//! system itself is authenticated by IAM (SigV4) on the HTTP API. Every route authorizes the
//! staff member once, in the domain (`domain::staff`), and a refusal answers 403 with
//! `{"code": "<rule id>", "message": "..."}`. National ids travel in bodies, never in URLs.

mod activations;
mod inbox;
mod journal;
mod page;
mod pushes;
mod reply;
mod request;
mod support;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_writes;

pub use page::{DEFAULT_LIMIT, MAX_LIMIT};
pub use reply::{ReplySender, Submitted};
pub use request::{ApiError, STAFF_HEADER};

use jiff::SignedDuration;

use crate::app::http::{HttpRequest, HttpResponse, match_path};
use crate::domain::IdMode;
use crate::domain::staff::Staff;
use crate::error::PortError;
use crate::ports::epj::{ActivationAdmin, RecordCardStore, TakeOverStore};
use crate::ports::{ActivationStore, AppointmentStore, Clock, Inspect, MessageStore, OutboundStore, ParkedStore};

/// Lambda's limit on a synchronous request payload (6 MB): the default body limit.
pub const LAMBDA_PAYLOAD_LIMIT: usize = 6 * 1024 * 1024;

/// The API's limits and settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    /// Bodies above this are answered 413.
    pub max_body_bytes: usize,
    /// Which national ids are accepted (R-CIT-6).
    pub id_mode: IdMode,
    /// A reply without AppRec after this long shows Missing (R-OUT-3).
    pub receipt_deadline: SignedDuration,
}

impl Default for Settings {
    fn default() -> Self {
        Self { max_body_bytes: LAMBDA_PAYLOAD_LIMIT, id_mode: IdMode::Production, receipt_deadline: SignedDuration::from_mins(60) }
    }
}

/// The EPJ API over its ports.
pub struct EpjApi<R, E, P, S, C> {
    /// Journal, inbox, outbound replies, plans, activation writes (`Dynamo` / `MemoryDb`).
    pub records: R,
    /// Take-overs, activation list and removal, record cards (`DynamoEpj` / `MemoryEpj`).
    pub epj: E,
    /// Parked messages (R-DLQ-2).
    pub parked: P,
    /// The outbound use case (`OutboundService`), answering synchronously.
    pub replies: S,
    /// Time.
    pub clock: C,
    /// Limits.
    pub settings: Settings,
}

/// The routes: method, path pattern (`{}` one segment), what answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `GET /v1/departments/{department}/inbox`.
    Inbox,
    /// `POST /v1/departments/{department}/inbox/{messageId}/take-over`.
    TakeOver,
    /// `GET /v1/departments/{department}/redate-flags`.
    RedateFlags,
    /// `POST /v1/journal`.
    Journal,
    /// `POST /v1/dialog`.
    Dialog,
    /// `POST /v1/replies`.
    Reply,
    /// `GET /v1/activations`.
    Activations,
    /// `PUT /v1/activations/{department}/{serviceType}`.
    Activate,
    /// `DELETE /v1/activations/{department}/{serviceType}`.
    Deactivate,
    /// `PUT /v1/record-cards`.
    RecordCard,
    /// `PUT /v1/work-plans`.
    WorkPlan,
    /// `GET /v1/support/parked`.
    Parked,
}

/// Every route the function serves, as `openapi.yaml` must list them (checked by a test).
pub const ROUTES: [(&str, &str, Route); 12] = [
    ("GET", "/v1/departments/{department}/inbox", Route::Inbox),
    ("POST", "/v1/departments/{department}/inbox/{messageId}/take-over", Route::TakeOver),
    ("GET", "/v1/departments/{department}/redate-flags", Route::RedateFlags),
    ("POST", "/v1/journal", Route::Journal),
    ("POST", "/v1/dialog", Route::Dialog),
    ("POST", "/v1/replies", Route::Reply),
    ("GET", "/v1/activations", Route::Activations),
    ("PUT", "/v1/activations/{department}/{serviceType}", Route::Activate),
    ("DELETE", "/v1/activations/{department}/{serviceType}", Route::Deactivate),
    ("PUT", "/v1/record-cards", Route::RecordCard),
    ("PUT", "/v1/work-plans", Route::WorkPlan),
    ("GET", "/v1/support/parked", Route::Parked),
];

/// The pattern with its `{name}` segments as `{}` for [`match_path`].
fn pattern(path: &str) -> String {
    path.split('/').map(|s| if s.starts_with('{') { "{}" } else { s }).collect::<Vec<_>>().join("/")
}

/// The route for `req` and its path captures; 404 for an unknown path, 405 for a known path
/// asked with another method.
pub fn find(req: &HttpRequest) -> Result<(Route, Vec<String>), HttpResponse> {
    let on_path: Vec<(&str, Route, Vec<String>)> = ROUTES
        .iter()
        .filter_map(|(m, p, r)| match_path(&pattern(p), &req.path).map(|c| (*m, *r, c)))
        .collect();
    if on_path.is_empty() {
        return Err(ApiError::NotFound.response());
    }
    on_path
        .into_iter()
        .find(|(m, ..)| *m == req.method)
        .map(|(_, r, c)| (r, c))
        .ok_or_else(|| ApiError::MethodNotAllowed.response())
}

impl<R, E, P, S, C> EpjApi<R, E, P, S, C>
where
    R: MessageStore + Inspect + OutboundStore + AppointmentStore + ActivationStore,
    E: TakeOverStore + ActivationAdmin + RecordCardStore,
    P: ParkedStore,
    S: ReplySender,
    C: Clock,
{
    /// Answers one request. Never panics on input; every failure is a coded JSON answer.
    pub async fn answer(&self, req: &HttpRequest) -> HttpResponse {
        let (route, captures) = match find(req) {
            Ok(found) => found,
            Err(refused) => return refused,
        };
        let result = if req.body.len() > self.settings.max_body_bytes {
            Err(ApiError::TooLarge)
        } else {
            match request::staff(req) {
                Ok(staff) => self.route(route, &captures, req, &staff).await,
                Err(e) => Err(e),
            }
        };
        let response = result.unwrap_or_else(|e| e.response());
        tracing::info!(route = ?route, status = response.status, "answered");
        response
    }

    async fn route(&self, route: Route, captures: &[String], req: &HttpRequest, staff: &Staff) -> Result<HttpResponse, ApiError> {
        let capture = |i: usize| captures.get(i).map(String::as_str).ok_or(ApiError::NotFound);
        match route {
            Route::Inbox => self.inbox(req, staff, capture(0)?, false).await,
            Route::RedateFlags => self.inbox(req, staff, capture(0)?, true).await,
            Route::TakeOver => self.take_over(staff, capture(0)?, capture(1)?).await,
            Route::Journal => self.journal(req, staff).await,
            Route::Dialog => self.dialog(req, staff).await,
            Route::Reply => self.reply(req, staff).await,
            Route::Activations => self.activations(staff).await,
            Route::Activate => self.activate(req, staff, capture(0)?, capture(1)?).await,
            Route::Deactivate => self.deactivate(staff, capture(0)?, capture(1)?).await,
            Route::RecordCard => self.record_card(req, staff).await,
            Route::WorkPlan => self.work_plan(req, staff).await,
            Route::Parked => self.parked(staff).await,
        }
    }
}

impl From<PortError> for ApiError {
    fn from(e: PortError) -> Self {
        Self::Port(e)
    }
}
