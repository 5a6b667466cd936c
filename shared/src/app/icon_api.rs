//! status-icon's HTTP routes (R-ICON-1..7): `POST /status-icon {"nationalId"}` and
//! `POST /status-icons {"nationalIds"}`. Ids travel in the body, never in the URL (URLs end up
//! in access logs). A route answers only its method.

use serde_json::{Value, json};

use crate::app::http::{HttpRequest, HttpResponse, Route, find_route};
use crate::app::icon::{IconService, QueryError, parse_query};
use crate::domain::IdMode;
use crate::ports::{AktivClient, CitizenReader, Clock};

/// How many ids a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    One,
    Many,
}

const ROUTES: [Route<'static, Shape>; 2] = [
    Route { method: "POST", path: "/status-icon", value: Shape::One },
    Route { method: "POST", path: "/status-icons", value: Shape::Many },
];

impl QueryError {
    /// The code of the refusal: R-CIT-6 for an invalid id, else the kind of problem.
    fn code(&self) -> &'static str {
        match self {
            Self::InvalidId { .. } => "R-CIT-6",
            Self::TooMany(_) => "too-many-ids",
            Self::Empty => "no-ids",
            Self::Malformed(_) => "malformed-request",
        }
    }
}

impl<A: AktivClient, R: CitizenReader, C: Clock> IconService<A, R, C> {
    /// Answers one HTTP request: 200 with the icon (or `{"results": [...]}` for many), 400 for a
    /// malformed body or an invalid id (R-CIT-6, by position, never the id), 404/405 for
    /// another route or method.
    pub async fn answer(&self, req: &HttpRequest, mode: IdMode) -> HttpResponse {
        let shape = match find_route(&ROUTES, req) {
            Ok(shape) => shape,
            Err(refused) => return refused,
        };
        let ids = match parse_query(&req.body, shape == Shape::Many, mode) {
            Ok(ids) => ids,
            Err(e) => return HttpResponse::error(400, e.code(), &e.to_string()),
        };
        let answers = self.icons(&ids).await;
        tracing::info!(ids = ids.len(), "icons answered");
        let body = match shape {
            Shape::Many => ids
                .iter()
                .zip(&answers)
                .map(|(id, a)| {
                    let mut v = serde_json::to_value(a)?;
                    v["nationalId"] = Value::String(id.expose());
                    Ok(v)
                })
                .collect::<Result<Vec<Value>, serde_json::Error>>()
                .map(|results| json!({ "results": results })),
            Shape::One => serde_json::to_value(answers.first()),
        };
        match body {
            Ok(Value::Null) | Err(_) => HttpResponse::error(500, "internal", "the answer could not be written"),
            Ok(body) => HttpResponse::json(200, body),
        }
    }
}
