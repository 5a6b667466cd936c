//! HTTP at the edge of a use case, without AWS types: the request a route reads and the
//! response it answers. `adapters::aws::lambda` reads and writes the HTTP API's event shapes.

use serde_json::{Value, json};

/// An HTTP request as a route sees it.
#[derive(Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Upper-case method.
    pub method: String,
    /// The raw path.
    pub path: String,
    /// The body, decoded.
    pub body: Vec<u8>,
}

// The body can hold national ids: only its length is shown.
crate::domain::masked::masked_debug!(HttpRequest { method, path } masking { body });

/// A JSON response.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl HttpResponse {
    /// A JSON body with `status`.
    pub fn json(status: u16, body: Value) -> Self {
        Self { status, body }
    }

    /// A refusal or error: `{"error": message, "code": code}`, where `code` names the rule or the
    /// kind of problem. `message` must hold no personal data.
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        Self::json(status, json!({ "error": message, "code": code }))
    }
}

/// One route: a method on a path (a trailing slash ignored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route<'a, T> {
    /// The method it answers.
    pub method: &'a str,
    /// The path's last segments it answers (matched on the end of the path, so that a stage
    /// prefix does not matter).
    pub path: &'a str,
    /// What the route is.
    pub value: T,
}

/// Finds the route for `req`: the value, or the response for an unknown path (404) or a known
/// path asked with another method (405).
pub fn find_route<T: Copy>(routes: &[Route<'_, T>], req: &HttpRequest) -> Result<T, HttpResponse> {
    let path = req.path.trim_end_matches('/');
    let on_path: Vec<&Route<'_, T>> = routes.iter().filter(|r| path.ends_with(r.path)).collect();
    if on_path.is_empty() {
        return Err(HttpResponse::error(404, "not-found", "no such route"));
    }
    on_path
        .iter()
        .find(|r| r.method == req.method)
        .map(|r| r.value)
        .ok_or_else(|| HttpResponse::error(405, "method-not-allowed", "this route does not answer that method"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(method: &str, path: &str) -> HttpRequest {
        HttpRequest { method: method.into(), path: path.into(), body: b"{\"nationalId\":\"30108299920\"}".to_vec() }
    }

    #[test]
    fn a_route_answers_only_its_method_and_its_path() {
        let routes = [Route { method: "POST", path: "/status-icon", value: 1 }, Route { method: "POST", path: "/status-icons", value: 2 }];
        assert_eq!(find_route(&routes, &req("POST", "/status-icon/")), Ok(1));
        assert_eq!(find_route(&routes, &req("POST", "/prod/status-icons")), Ok(2));
        assert_eq!(find_route(&routes, &req("GET", "/status-icon")).unwrap_err().status, 405);
        assert_eq!(find_route(&routes, &req("POST", "/other")).unwrap_err().status, 404);
    }

    #[test]
    fn a_request_shows_no_body_in_debug() {
        assert!(!format!("{:?}", req("POST", "/x")).contains("30108299920"));
    }
}
