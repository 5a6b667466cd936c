//! Activations (R-ACT-1..4), only through the one activation rule: list them with their state,
//! activate one (department, service type) on the code-list links the EPJ states (R-ACT-2), and
//! deactivate it, each by `digihelse_adm` or function 0 (R-ACT-3), recording who and when. A
//! client never sets `syncedAt`: the body has no such field and unknown fields are refused;
//! an activation waits for consent-sync's next run (R-ACT-4).

use serde::Deserialize;
use serde_json::{Value, json};

use super::EpjApi;
use super::request::{ApiError, body, service, to_json};
use crate::app::epj::{ActivateError, ActivationRequest, activate};
use crate::app::http::{HttpRequest, HttpResponse};
use crate::domain::activation::activation_state;
use crate::domain::staff::{Staff, authorize_activations};
use crate::domain::{Activation, CodeListLinks};
use crate::ports::epj::ActivationAdmin;
use crate::ports::{ActivationStore, Clock};

/// `PUT /v1/activations/{department}/{serviceType}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ActivateBody {
    links: CodeListLinks,
}

/// An activation as listed: the stored fields and the state they give (R-ACT-4).
fn activation_json(a: &Activation) -> Result<Value, ApiError> {
    let mut v = to_json(a)?;
    v["state"] = to_json(&activation_state(Some(a)))?;
    if v.get("syncedAt").is_none() {
        v["syncedAt"] = Value::Null;
    }
    Ok(v)
}

impl<R: ActivationStore, E: ActivationAdmin, P, S, C: Clock> EpjApi<R, E, P, S, C> {
    /// `GET /v1/activations` (R-ACT-3: the administration screen's list).
    pub(super) async fn activations(&self, staff: &Staff) -> Result<HttpResponse, ApiError> {
        authorize_activations(&staff.profile())?;
        let all = self.epj.activation_list().await?;
        let list = all.iter().map(activation_json).collect::<Result<Vec<Value>, ApiError>>()?;
        Ok(HttpResponse::json(200, json!({ "activations": list })))
    }

    /// Activates through `app::epj::activate`, the one path every activation write takes.
    pub(super) async fn activate(&self, req: &HttpRequest, staff: &Staff, dept: &str, service_type: &str) -> Result<HttpResponse, ApiError> {
        let key = service(dept, service_type)?;
        let b: ActivateBody = body(req)?;
        let request = ActivationRequest { key, links: b.links, staff: staff.profile() };
        match activate(&self.records, &request, self.clock.now()).await {
            Ok(a) => Ok(HttpResponse::json(200, activation_json(&a)?)),
            Err(ActivateError::Refused(r)) => Err(ApiError::Activation(r)),
            Err(ActivateError::Store(e)) => Err(ApiError::Port(e)),
        }
    }

    /// Deactivates through [`Activation::deactivate`] (R-ACT-3); deactivating what is not
    /// active is answered 200 with `wasActive: false` (the request is idempotent).
    pub(super) async fn deactivate(&self, staff: &Staff, dept: &str, service_type: &str) -> Result<HttpResponse, ApiError> {
        let key = service(dept, service_type)?;
        let d = Activation::deactivate(key, &staff.profile(), self.clock.now())?;
        let was_active = self.epj.deactivate(&d).await?;
        let mut v = to_json(&d)?;
        v["wasActive"] = was_active.into();
        Ok(HttpResponse::json(200, v))
    }
}
