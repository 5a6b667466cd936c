//! What the EPJ pushes: a citizen's record card (the services they receive, R-CIT-1/2) and a
//! re-dated work plan (R-APT-5: kept cancellations re-applied, moved ones flagged to the
//! department inbox) through the same use case `helsedialog-admin load` uses
//! (`app::appointments::redate`). Each touches only departments the staff profile covers
//! (R-ACC-2).

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::json;

use super::EpjApi;
use super::request::{ApiError, body, citizen, to_json};
use crate::app::appointments::redate;
use crate::app::http::{HttpRequest, HttpResponse};
use crate::domain::ServiceKey;
use crate::domain::appointment::Assignment;
use crate::domain::staff::{Staff, authorize_push};
use crate::ports::epj::RecordCardStore;
use crate::ports::{AppointmentStore, Clock, MessageStore};

/// The most services a record card holds.
const MAX_CARD: usize = 200;
/// The most assignments one pushed plan holds.
const MAX_PLAN: usize = 2_000;

/// `PUT /v1/record-cards`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RecordCardBody {
    citizen: String,
    record_card: BTreeSet<ServiceKey>,
}

/// `PUT /v1/work-plans`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WorkPlanBody {
    citizen: String,
    service: ServiceKey,
    assignments: Vec<Assignment>,
}

impl<R: AppointmentStore + MessageStore, E: RecordCardStore, P, S, C: Clock> EpjApi<R, E, P, S, C> {
    /// Replaces the citizen's record card; their consent state stays as synced.
    pub(super) async fn record_card(&self, req: &HttpRequest, staff: &Staff) -> Result<HttpResponse, ApiError> {
        let b: RecordCardBody = body(req)?;
        let who = citizen(&b.citizen, self.settings.id_mode)?;
        if b.record_card.len() > MAX_CARD {
            return Err(ApiError::Invalid { code: "too-many-services", message: "a record card holds at most 200 services" });
        }
        authorize_push(&staff.profile(), b.record_card.iter().map(|s| &s.department))?;
        self.epj.put_record_card(&who, &b.record_card).await?;
        Ok(HttpResponse::json(200, json!({ "services": b.record_card.len() })))
    }

    /// Re-dates the citizen's plan for one service (R-APT-5) and answers the flags raised.
    pub(super) async fn work_plan(&self, req: &HttpRequest, staff: &Staff) -> Result<HttpResponse, ApiError> {
        let b: WorkPlanBody = body(req)?;
        let who = citizen(&b.citizen, self.settings.id_mode)?;
        if b.assignments.len() > MAX_PLAN {
            return Err(ApiError::Invalid { code: "too-many-assignments", message: "a plan holds at most 2000 assignments" });
        }
        if b.assignments.iter().any(|a| a.service != b.service) {
            return Err(ApiError::Invalid { code: "assignment-service", message: "every assignment must belong to the plan's service" });
        }
        authorize_push(&staff.profile(), [&b.service.department])?;
        let count = b.assignments.len();
        let flags = redate(&self.records, &self.records, &who, &b.service, b.assignments, self.clock.now()).await?;
        Ok(HttpResponse::json(200, json!({ "assignments": count, "redateFlags": to_json(&flags)? })))
    }
}
