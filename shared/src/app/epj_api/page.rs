//! Cursor pagination, newest first, and ETags for what a client polls.
//!
//! The cursor names the last item of a page by its time and message id (the order's key), so
//! items arriving between two page reads never shift a page: they appear on the first page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;
use serde_json::Value;

use super::request::ApiError;
use crate::app::http::{HttpRequest, HttpResponse};

/// The page size when the client names none.
pub const DEFAULT_LIMIT: usize = 20;
/// The largest page size.
pub const MAX_LIMIT: usize = 100;

/// Where a page starts: after the item with this time and id (newest first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    at: Timestamp,
    message_id: String,
}

impl Cursor {
    fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}|{}", self.at.as_millisecond(), self.message_id))
    }

    fn decode(s: &str) -> Option<Self> {
        let text = String::from_utf8(URL_SAFE_NO_PAD.decode(s).ok()?).ok()?;
        let (ms, id) = text.split_once('|')?;
        Some(Self { at: Timestamp::from_millisecond(ms.parse().ok()?).ok()?, message_id: id.to_string() })
    }
}

/// The `limit` and `cursor` query parameters.
pub fn page_request(req: &HttpRequest) -> Result<(usize, Option<Cursor>), ApiError> {
    let bad_limit = || ApiError::Invalid { code: "invalid-limit", message: "limit is a number from 1 to 100" };
    let limit = match req.query_param("limit").map_err(|_| bad_limit())? {
        None => DEFAULT_LIMIT,
        Some(l) => l.parse::<usize>().ok().filter(|l| (1..=MAX_LIMIT).contains(l)).ok_or_else(bad_limit)?,
    };
    let bad_cursor = || ApiError::Invalid { code: "invalid-cursor", message: "the cursor is not one this API gave out" };
    let cursor = match req.query_param("cursor").map_err(|_| bad_cursor())? {
        None => None,
        Some(c) => Some(Cursor::decode(&c).ok_or_else(bad_cursor)?),
    };
    Ok((limit, cursor))
}

/// One page of `items` newest first (by `key`: time, then message id, both descending) after
/// `cursor`, and the cursor of the next page when there is one.
pub fn page<T>(mut items: Vec<T>, key: impl Fn(&T) -> (Timestamp, &str), limit: usize, cursor: Option<&Cursor>) -> (Vec<T>, Option<String>) {
    items.sort_by(|a, b| key(b).cmp(&key(a)));
    let start = cursor.map_or(0, |c| items.iter().position(|i| key(i) < (c.at, c.message_id.as_str())).unwrap_or(items.len()));
    let mut rest: Vec<T> = items.into_iter().skip(start).collect();
    let next = (rest.len() > limit).then(|| {
        let (at, id) = key(&rest[limit - 1]);
        Cursor { at, message_id: id.to_string() }.encode()
    });
    rest.truncate(limit);
    (rest, next)
}

/// 200 with `body` and its ETag, or 304 without a body when the client's `If-None-Match`
/// names the same ETag (the content has not changed since its last poll).
pub fn with_etag(req: &HttpRequest, body: Value) -> HttpResponse {
    let etag = format!("\"{:016x}\"", fnv1a(body.to_string().as_bytes()));
    let unchanged = req.header("if-none-match").is_some_and(|h| h.split(',').any(|t| t.trim().trim_start_matches("W/") == etag));
    let response = if unchanged { HttpResponse::json(304, Value::Null) } else { HttpResponse::json(200, body) };
    response.with_header("etag", etag)
}

/// FNV-1a, 64 bits: a stable content hash for ETags (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<(Timestamp, String)> {
        (0..n).map(|i| (Timestamp::from_second(1_800_000_000 + (i as i64 / 2)).unwrap(), format!("m{i}"))).collect()
    }

    fn key(i: &(Timestamp, String)) -> (Timestamp, &str) {
        (i.0, i.1.as_str())
    }

    #[test]
    fn pages_walk_every_item_once_newest_first_including_equal_times() {
        for (n, limit) in [(0, 1), (1, 1), (5, 2), (6, 2), (6, 6), (6, 7), (7, 100)] {
            let (mut seen, mut cursor) = (vec![], None::<Cursor>);
            loop {
                let (got, next) = page(items(n), key, limit, cursor.as_ref());
                assert!(got.len() <= limit);
                seen.extend(got.into_iter().map(|i| i.1));
                match next {
                    Some(c) => cursor = Cursor::decode(&c),
                    None => break,
                }
            }
            let mut want: Vec<(Timestamp, String)> = items(n);
            want.sort_by(|a, b| key(b).cmp(&key(a)));
            assert_eq!(seen, want.into_iter().map(|i| i.1).collect::<Vec<_>>(), "n={n} limit={limit}");
        }
    }

    #[test]
    fn limits_and_cursors_are_checked() {
        let mut req = HttpRequest::new("GET", "/v1/x", vec![]);
        assert_eq!(page_request(&req).map(|p| p.0).ok(), Some(DEFAULT_LIMIT));
        for bad in ["limit=0", "limit=101", "limit=x", "limit=-1", "cursor=%%", "cursor=bm90LWEtY3Vyc29y"] {
            req.query = bad.into();
            assert!(page_request(&req).is_err(), "{bad}");
        }
        req.query = "limit=100".into();
        assert_eq!(page_request(&req).map(|p| p.0).ok(), Some(100));
    }

    #[test]
    fn an_unchanged_poll_is_answered_304_without_a_body() {
        let first = with_etag(&HttpRequest::new("GET", "/x", vec![]), serde_json::json!({"items": []}));
        let etag = first.headers[0].1.clone();
        let mut again = HttpRequest::new("GET", "/x", vec![]);
        again.headers.push(("if-none-match".into(), etag.clone()));
        let second = with_etag(&again, serde_json::json!({"items": []}));
        assert_eq!((second.status, second.body.is_null()), (304, true));
        let changed = with_etag(&again, serde_json::json!({"items": [1]}));
        assert_eq!(changed.status, 200);
        assert_ne!(changed.headers[0].1, etag);
    }
}
