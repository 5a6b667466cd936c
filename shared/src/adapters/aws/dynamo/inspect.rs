//! [`Inspect`] on the Messages table: journals and inboxes through their indexes
//! ([`super::message_item`]), replies by gsi1.

use super::Dynamo;
use super::calls::query_all;
use super::item::{Item, from_item, s};
use super::message_item::{INBOX_INDEX, JOURNAL_INDEX, inbox_of, inbox_pk, journal_of, journal_pk};
use crate::domain::message::{InboxItem, JournalEntry};
use crate::domain::reply::OutboundMessage;
use crate::domain::{DepartmentCode, NationalId};
use crate::error::PortError;
use crate::ports::Inspect;

impl Dynamo {
    /// Every item of one partition of an index, oldest first (eventually consistent: an index
    /// has no consistent reads; it follows the table within a second).
    async fn query_index(&self, index: &str, pk_name: &str, pk: String) -> Result<Vec<Item>, PortError> {
        let query = self
            .client
            .query()
            .table_name(&self.tables.messages)
            .index_name(index)
            .key_condition_expression("#pk = :pk")
            .expression_attribute_names("#pk", pk_name)
            .expression_attribute_values(":pk", s(pk));
        query_all("query index", query).await
    }
}

impl Inspect for Dynamo {
    /// Query the `journal` index `JOURNAL#<national id>`, every page.
    async fn journal(&self, citizen: &NationalId) -> Result<Vec<JournalEntry>, PortError> {
        let items = self.query_index(JOURNAL_INDEX, "jpk", journal_pk(citizen)).await?;
        items.into_iter().map(journal_of).collect()
    }

    /// Query the `inbox` index `INBOX#<department>`, every page.
    async fn inbox(&self, department: &DepartmentCode) -> Result<Vec<InboxItem>, PortError> {
        let items = self.query_index(INBOX_INDEX, "ipk", inbox_pk(department)).await?;
        items.into_iter().map(inbox_of).collect()
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
