//! Support's read-only view of parked messages (R-DLQ-2: out of the ordinary flow after 10
//! republishes; R-DLQ-5: what the summary lists): no bodies, message ids masked, error texts
//! as recorded (scrubbed of anything like a national id when they were written).

use serde_json::json;

use super::EpjApi;
use super::request::ApiError;
use crate::app::http::HttpResponse;
use crate::domain::staff::{Staff, authorize_support};
use crate::ports::ParkedStore;

/// A message id with only its first and last four characters shown.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() <= 8 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

impl<R, E, P: ParkedStore, S, C> EpjApi<R, E, P, S, C> {
    /// `GET /v1/support/parked`, oldest first.
    pub(super) async fn parked(&self, staff: &Staff) -> Result<HttpResponse, ApiError> {
        authorize_support(&staff.profile())?;
        let parked = self.parked.parked().await?;
        let list: Vec<serde_json::Value> = parked
            .iter()
            .map(|p| {
                json!({
                    "messageId": mask_id(&p.message_id),
                    "sourceQueue": p.source_queue,
                    "kind": p.kind,
                    "republished": p.republished,
                    "lastError": p.last_error,
                    "parkedAt": p.parked_at,
                })
            })
            .collect();
        Ok(HttpResponse::json(200, json!({ "parked": list })))
    }
}

#[cfg(test)]
mod tests {
    use super::mask_id;

    #[test]
    fn r_dlq_5_ids_are_masked_for_support() {
        assert_eq!(mask_id("0a1b2c3d-4e5f"), "0a1b…4e5f");
        assert_eq!(mask_id("short"), "*****");
    }
}
