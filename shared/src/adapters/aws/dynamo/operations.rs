//! The Operations table's records of failures: `DLQ#<message id>` / `RECORD` (a failed
//! record's error) and `ALERTS#<Oslo date>` (the alert history).

use super::item::{expires, from_item, key, s, time_key, to_item, with_keys};
use super::{Dynamo, OPERATIONS_TTL};
use crate::domain::dead_letter::{Alert, RecordedError};
use crate::error::PortError;
use crate::ports::{AlertSink, DeadLetterLog};

impl Dynamo {
    /// A dead-letter record, if one was written for `message_id`.
    pub async fn dead_letter(&self, message_id: &str) -> Result<Option<RecordedError>, PortError> {
        let item = self.get("get dead letter", &self.tables.operations, key(format!("DLQ#{message_id}"), "RECORD")).await?;
        item.map(|i| from_item("dead letter", i)).transpose()
    }
}

impl DeadLetterLog for Dynamo {
    /// One PutItem on `DLQ#<message id>`: the latest failure of that message.
    async fn record(&self, error: &RecordedError) -> Result<(), PortError> {
        let mut item = with_keys(to_item("dead letter", error)?, format!("DLQ#{}", error.message_id), "RECORD".into());
        item.insert("expires_at".into(), expires(error.at, OPERATIONS_TTL));
        self.put_one("record dead letter", &self.tables.operations, item).await
    }

    async fn recorded(&self, message_id: &str) -> Result<Option<RecordedError>, PortError> {
        self.dead_letter(message_id).await
    }
}

impl AlertSink for Dynamo {
    /// The alert history: PutItem `ALERTS#<Oslo date>` / `<time>#<type>` (TTL 90 days), all
    /// from the alert's own time (the use case's clock).
    async fn send(&self, alert: &Alert) -> Result<(), PortError> {
        let now = alert.at();
        let value = serde_json::to_value(alert).map_err(|e| PortError::permanent("encode alert", e))?;
        let kind = value.get("type").and_then(|t| t.as_str()).unwrap_or("alert").to_string();
        let mut item = key(
            format!("ALERTS#{}", crate::domain::sync::run_id_for(now)),
            format!("{}#{kind}#{}", time_key(now, ""), uuid_like(&value)),
        );
        item.insert("alert".into(), s(value.to_string()));
        item.insert("expires_at".into(), expires(now, OPERATIONS_TTL));
        self.put_one("keep alert", &self.tables.operations, item).await
    }
}

/// A short stable discriminator for alerts written in the same millisecond.
fn uuid_like(v: &serde_json::Value) -> String {
    v.get("messageId").and_then(|m| m.as_str()).unwrap_or("summary").to_string()
}
