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
    /// The headers, names in lower case (as the HTTP API hands them over).
    pub headers: Vec<(String, String)>,
    /// The raw query string, without `?`.
    pub query: String,
}

impl HttpRequest {
    /// A request without headers or query.
    pub fn new(method: &str, path: &str, body: Vec<u8>) -> Self {
        Self { method: method.to_ascii_uppercase(), path: path.into(), body, headers: vec![], query: String::new() }
    }

    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The first value of query parameter `name`, percent-decoded.
    pub fn query_param(&self, name: &str) -> Result<Option<String>, BadQuery> {
        for pair in self.query.split('&').filter(|p| !p.is_empty()) {
            let (n, v) = pair.split_once('=').unwrap_or((pair, ""));
            if percent_decode(n).as_deref() == Some(name) {
                return percent_decode(&v.replace('+', " ")).map(Some).ok_or(BadQuery);
            }
        }
        Ok(None)
    }
}

/// A query parameter that is not percent-encoded UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a query parameter is not valid percent-encoded UTF-8")]
pub struct BadQuery;

/// Decodes `%XX` escapes; `None` for a broken escape or a result that is not UTF-8.
pub fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Matches `path` against `pattern` (segments; `{}` captures one non-empty segment), on the
/// path's last segments so that a stage prefix does not matter. The captures, percent-decoded.
pub fn match_path(pattern: &str, path: &str) -> Option<Vec<String>> {
    let want: Vec<&str> = pattern.trim_matches('/').split('/').collect();
    let have: Vec<&str> = path.trim_matches('/').split('/').collect();
    let tail = have.get(have.len().checked_sub(want.len())?..)?;
    let mut captures = vec![];
    for (w, h) in want.iter().zip(tail) {
        if *w == "{}" {
            captures.push(percent_decode(h).filter(|c| !c.is_empty())?);
        } else if w != h {
            return None;
        }
    }
    Some(captures)
}

// The body can hold national ids; the query and the headers are shown only by size.
crate::domain::masked::masked_debug!(HttpRequest { method, path } masking { body, headers, query });

/// A JSON response.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// The JSON body (`Null` for none, as on a 304).
    pub body: Value,
    /// Headers beside `content-type` (e.g. `etag`).
    pub headers: Vec<(String, String)>,
}

impl HttpResponse {
    /// A JSON body with `status`.
    pub fn json(status: u16, body: Value) -> Self {
        Self { status, body, headers: vec![] }
    }

    /// The response with one more header.
    pub fn with_header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_ascii_lowercase(), value.into()));
        self
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
        HttpRequest::new(method, path, b"{\"nationalId\":\"30108299920\"}".to_vec())
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
    fn a_pattern_captures_its_segments_after_any_stage_prefix() {
        let m = |pattern, path| match_path(pattern, path);
        assert_eq!(m("/v1/departments/{}/inbox", "/prod/v1/departments/115/inbox/"), Some(vec!["115".to_string()]));
        assert_eq!(m("/v1/departments/{}/inbox/{}/take-over", "/v1/departments/115/inbox/m%3A1/take-over"), Some(vec!["115".into(), "m:1".into()]));
        assert_eq!(m("/v1/departments/{}/inbox", "/v1/departments//inbox"), None);
        assert_eq!(m("/v1/departments/{}/inbox", "/v1/inbox"), None);
        assert_eq!(m("/v1/departments/{}/inbox", "/v1/departments/%zz/inbox"), None);
    }

    #[test]
    fn query_parameters_and_headers_are_read() {
        let mut r = req("GET", "/x");
        r.query = "limit=5&cursor=a%2Bb&x".into();
        r.headers = vec![("if-none-match".into(), "\"e\"".into())];
        assert_eq!(r.query_param("limit"), Ok(Some("5".into())));
        assert_eq!(r.query_param("cursor"), Ok(Some("a+b".into())));
        assert_eq!(r.query_param("none"), Ok(None));
        assert_eq!(r.header("If-None-Match"), Some("\"e\""));
        r.query = "limit=%g1".into();
        assert_eq!(r.query_param("limit"), Err(BadQuery));
    }

    #[test]
    fn a_request_shows_no_body_in_debug() {
        assert!(!format!("{:?}", req("POST", "/x")).contains("30108299920"));
    }
}
