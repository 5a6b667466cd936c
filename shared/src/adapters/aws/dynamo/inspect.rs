//! [`Inspect`] on the Messages table: journals and inboxes by partition, replies by gsi1.

use super::Dynamo;
use super::calls::query_all;
use super::item::{from_item, s};
use crate::domain::message::{InboxItem, JournalEntry};
use crate::domain::reply::OutboundMessage;
use crate::domain::{DepartmentCode, NationalId};
use crate::error::PortError;
use crate::ports::Inspect;

impl Inspect for Dynamo {
    async fn journal(&self, citizen: &NationalId) -> Result<Vec<JournalEntry>, PortError> {
        let items = self.query_pk(&self.tables.messages, &format!("JOURNAL#{}", citizen.expose()), "").await?;
        items.into_iter().map(|i| from_item("journal entry", i)).collect()
    }

    async fn inbox(&self, department: &DepartmentCode) -> Result<Vec<InboxItem>, PortError> {
        let items = self.query_pk(&self.tables.messages, &format!("INBOX#{department}"), "").await?;
        items.into_iter().map(|i| from_item("inbox item", i)).collect()
    }

    /// Query gsi1 `CITOUT#<national id>`, newest first.
    async fn replies_of(&self, citizen: &NationalId) -> Result<Vec<OutboundMessage>, PortError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.messages)
            .index_name("gsi1")
            .key_condition_expression("gsi1pk = :pk")
            .expression_attribute_values(":pk", s(format!("CITOUT#{}", citizen.expose())))
            .scan_index_forward(false);
        let items = query_all("query replies", query).await?;
        items.into_iter().map(|i| from_item("outbound", i)).collect()
    }
}
