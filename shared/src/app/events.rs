//! The events of the scheduled and operator-invoked functions (consent-sync, summary-alert),
//! read by serde: an event without a known `action`, with unknown fields or a malformed run id
//! is refused with an answer that says so, never taken for the default action (issue #20).

use serde::Deserialize;

/// A run id an operator gives: 1 to 40 ASCII letters, digits, `-` or `_`, starting with a
/// letter or digit (it becomes part of table keys and alert texts).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct RunId(String);

impl RunId {
    /// The id.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl TryFrom<String> for RunId {
    type Error = &'static str;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        let ok = (1..=40).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_alphanumeric())
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if ok { Ok(Self(s)) } else { Err("runId must be 1 to 40 letters, digits, '-' or '_'") }
    }
}

/// What consent-sync is asked to do by its schedule or an operator (its chunks arrive as SQS
/// events, told apart by their `Records`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", rename_all_fields = "camelCase", deny_unknown_fields)]
pub enum SyncAction {
    /// R-CIT-3: start tonight's run (or the named one).
    Start {
        /// The run; tonight's Oslo date when absent.
        #[serde(default)]
        run_id: Option<RunId>,
    },
}

/// What summary-alert is asked to do by its schedule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "action", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SummaryAction {
    /// R-DLQ-5: send the summary of what is parked (`{}`: unknown fields refused).
    Summary {},
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::republish::DeadLetterAction;

    fn read<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> Result<T, String> {
        serde_json::from_value(v).map_err(|e| crate::domain::message::describe_json_error(&e))
    }

    #[test]
    fn operator_actions_are_read_and_anything_else_is_refused() {
        let start: SyncAction = read(serde_json::json!({"action": "start", "runId": "manual-2026-11-23"})).unwrap();
        assert_eq!(start, SyncAction::Start { run_id: Some(RunId("manual-2026-11-23".into())) });
        assert_eq!(read::<SyncAction>(serde_json::json!({"action": "start"})).unwrap(), SyncAction::Start { run_id: None });
        let long = format!("../../{}", "A".repeat(5000));
        for bad in [
            serde_json::json!({"action": "start", "runId": long}),
            serde_json::json!({"action": "start", "runId": "30108299920/x"}),
            serde_json::json!({"action": "stop"}),
            serde_json::json!({"action": 30108299920_u64}),
            serde_json::json!([1, 2, 3]),
            serde_json::json!({}),
        ] {
            let e = read::<SyncAction>(bad.clone()).unwrap_err();
            assert!(!e.contains("30108299920") && !e.contains("AAAA"), "{e}");
            assert!(read::<DeadLetterAction>(bad.clone()).is_err(), "{bad}");
            assert!(read::<SummaryAction>(bad).is_err());
        }
        assert_eq!(read::<SummaryAction>(serde_json::json!({"action": "summary"})).unwrap(), SummaryAction::Summary {});
        assert!(read::<SummaryAction>(serde_json::json!({"action": "summary", "x": 1})).is_err());
        assert!(read::<DeadLetterAction>(serde_json::json!({"action": "republish", "x": 1})).is_err());
        assert!(read::<DeadLetterAction>(serde_json::json!({"action": "list-parked", "x": 1})).is_err());
        let send_back: DeadLetterAction = read(serde_json::json!({"action": "send-back", "messageId": "m-1"})).unwrap();
        assert_eq!(send_back, DeadLetterAction::SendBack { message_id: "m-1".into() });
        assert!(read::<DeadLetterAction>(serde_json::json!({"action": "send-back", "messageId": "m-1", "x": 1})).is_err());
        assert!(read::<DeadLetterAction>(serde_json::json!({"action": "send-back"})).is_err());
    }
}
