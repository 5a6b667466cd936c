//! The layout of a delivered message on the Messages table (#16 item 8): ONE item keyed by the
//! message id, `MSG#<id>` / `MSG`, holds the idempotency record (the answers and when), the
//! citizen's journal entry and the department's inbox item. The journal and the inbox read it
//! through two indexes that project only what they show:
//!
//! | index | pk | sk | projects |
//! | --- | --- | --- | --- |
//! | `journal` | `jpk` = `JOURNAL#<national id>` | `jsk` = `<time>#<message id>` | `journal` (the entry) |
//! | `inbox` | `ipk` = `INBOX#<department>` | `isk` = `<time>#<message id>` | `inbox` (the item) |
//!
//! So an admitted dialog message is one conditional PutItem (`attribute_not_exists(pk)`): the
//! item's write units plus one per index, and the answers (`outgoing`, the larger part) are
//! written once, into no index. A delivery with more entries than one of each carries the
//! first pair on the message item and each further pair on `MSG#<id>` / `E#<n>` (same indexes),
//! in one transaction whose first item is the conditional message item.
//!
//! Items that carry a journal entry or an inbox item have no `expires_at`: the journal is kept,
//! so its message's idempotency record is kept with it (about 1 KB of storage a message). Items
//! that only answer (a rejection) expire after [`super::IDEMPOTENCY_TTL`] as before.

use aws_sdk_dynamodb::types::AttributeValue;
use jiff::Timestamp;

use super::IDEMPOTENCY_TTL;
use super::item::{Item, expires, from_item, key, s, time_key, to_item};
use crate::domain::message::{InboxItem, JournalEntry};
use crate::error::PortError;
use crate::ports::Delivery;

/// The journal's index: `jpk` / `jsk`, projecting `journal`.
pub(crate) const JOURNAL_INDEX: &str = "journal";
/// The inbox's index: `ipk` / `isk`, projecting `inbox`.
pub(crate) const INBOX_INDEX: &str = "inbox";

/// The index partition of a citizen's journal.
pub(crate) fn journal_pk(citizen: &crate::domain::NationalId) -> String {
    format!("JOURNAL#{}", citizen.expose())
}

/// The index partition of a department's inbox.
pub(crate) fn inbox_pk(department: &crate::domain::DepartmentCode) -> String {
    format!("INBOX#{department}")
}

/// Adds a journal entry (attribute `journal` and the `journal` index's keys) to `item`.
fn add_journal(item: &mut Item, e: &JournalEntry) -> Result<(), PortError> {
    item.insert("journal".into(), AttributeValue::M(to_item("journal entry", e)?));
    item.insert("jpk".into(), s(journal_pk(&e.citizen)));
    item.insert("jsk".into(), s(time_key(e.at, &e.message_id)));
    Ok(())
}

/// Adds an inbox item (attribute `inbox` and the `inbox` index's keys) to `item`.
fn add_inbox(item: &mut Item, i: &InboxItem) -> Result<(), PortError> {
    item.insert("inbox".into(), AttributeValue::M(to_item("inbox item", i)?));
    item.insert("ipk".into(), s(inbox_pk(&i.department)));
    item.insert("isk".into(), s(time_key(i.at, &i.message_id)));
    Ok(())
}

/// The message item: idempotency record, the first journal entry and the first inbox item.
pub(super) fn message_item(d: &Delivery) -> Result<Item, PortError> {
    let outgoing = serde_json::to_string(&d.outgoing).map_err(|e| PortError::permanent("encode outgoing", e))?;
    let mut item = key(format!("MSG#{}", d.message_id), "MSG");
    item.insert("outgoing".into(), s(outgoing));
    item.insert("processedAt".into(), s(d.at.to_string()));
    if let Some(e) = d.journal.first() {
        add_journal(&mut item, e)?;
    }
    if let Some(i) = d.inbox.first() {
        add_inbox(&mut item, i)?;
    }
    if d.journal.is_empty() && d.inbox.is_empty() {
        item.insert("expires_at".into(), expires(d.at, IDEMPOTENCY_TTL));
    }
    Ok(item)
}

/// The further journal entries and inbox items of a delivery, pairwise: `MSG#<id>` / `E#<n>`.
pub(super) fn entry_items(d: &Delivery) -> Result<Vec<Item>, PortError> {
    let n = d.journal.len().max(d.inbox.len());
    (1..n)
        .map(|k| {
            let mut item = key(format!("MSG#{}", d.message_id), format!("E#{k}"));
            if let Some(e) = d.journal.get(k) {
                add_journal(&mut item, e)?;
            }
            if let Some(i) = d.inbox.get(k) {
                add_inbox(&mut item, i)?;
            }
            Ok(item)
        })
        .collect()
}

/// Whether the delivery fits the message item alone (one conditional PutItem).
pub(super) fn fits_one_item(d: &Delivery) -> bool {
    d.journal.len() <= 1 && d.inbox.len() <= 1 && d.assignments.is_empty() && d.cancellation.is_none() && d.outbound.is_none()
}

/// The journal entry an index item projects.
pub(super) fn journal_of(mut item: Item) -> Result<JournalEntry, PortError> {
    from_item("journal entry", projected(&mut item, "journal")?)
}

/// The inbox item an index item projects.
pub(super) fn inbox_of(mut item: Item) -> Result<InboxItem, PortError> {
    from_item("inbox item", projected(&mut item, "inbox")?)
}

fn projected(item: &mut Item, name: &'static str) -> Result<Item, PortError> {
    match item.remove(name) {
        Some(AttributeValue::M(m)) => Ok(m),
        _ => Err(PortError::permanent("read index item", name)),
    }
}

/// The newest journal time in an index item (`jsk` starts with the time).
pub(super) fn journal_time(item: &Item) -> Option<Timestamp> {
    super::item::get_s(item, "jsk")?.split('#').next()?.parse().ok()
}
