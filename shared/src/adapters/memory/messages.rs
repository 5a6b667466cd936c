//! Inbound deliveries (idempotency, journal, inbox), outbound replies and the outbox.

use crate::domain::message::{InboxItem, JournalEntry, Outgoing};
use crate::domain::receipt::ReceiptFact;
use crate::domain::reply::OutboundMessage;
use crate::domain::{DepartmentCode, NationalId};
use crate::error::PortError;
use crate::ports::{Delivery, Inspect, HelsenorgeOutbox, MAX_ASSIGNMENTS_PER_WRITE, MessageStore, OutboundStore, Processed, ReceiptApplied, Recorded};

use super::MemoryDb;

/// DynamoDB's largest item (400 KB, names and values): a delivery with a larger record is
/// refused here as it is there.
const MAX_ITEM_BYTES: usize = 400 * 1024;

fn too_large<T: serde::Serialize>(value: &T) -> bool {
    serde_json::to_vec(value).map_or(true, |b| b.len() > MAX_ITEM_BYTES)
}

/// Refuses (for good) one item larger than DynamoDB takes.
pub(super) fn check_item_size<T: serde::Serialize>(what: &'static str, value: &T) -> Result<(), PortError> {
    if too_large(value) {
        return Err(PortError::permanent(what, "an item is larger than DynamoDB's 400 KB"));
    }
    Ok(())
}

impl MessageStore for MemoryDb {
    async fn record(&self, d: &Delivery) -> Result<Recorded, PortError> {
        let mut s = self.state();
        if let Some(p) = s.processed.get(&d.message_id) {
            return Ok(Recorded::Existing(p.clone()));
        }
        // The limits and conditions of the DynamoDB transaction, so tests here meet them too.
        if d.assignments.len() > MAX_ASSIGNMENTS_PER_WRITE {
            return Err(PortError::permanent("deliver message", "a transaction holds at most 100 items"));
        }
        // DynamoDB keeps the answers, the first journal entry and the first inbox item in one
        // item (the message item): together they must fit; the further ones are items of
        // their own.
        let message_item = (&d.outgoing, d.journal.first(), d.inbox.first());
        if too_large(&message_item)
            || d.journal.iter().any(too_large)
            || d.inbox.iter().any(too_large)
            || d.assignments.iter().any(|(_, a)| too_large(a))
            || d.outbound.as_ref().is_some_and(too_large)
        {
            return Err(PortError::permanent("deliver message", "an item is larger than DynamoDB's 400 KB"));
        }
        if let (Some((citizen, c)), Some(v)) = (&d.cancellation, d.plan_version) {
            let key = (citizen.clone(), c.service.clone());
            if s.plan_versions.get(&key).copied().unwrap_or(0) != v {
                return Err(PortError::Conflict { what: "deliver message" });
            }
            s.plan_versions.insert(key, v + 1);
        }
        s.processed.insert(
            d.message_id.clone(),
            Processed { message_id: d.message_id.clone(), outgoing: d.outgoing.clone(), processed_at: d.at, sent: false },
        );
        for e in &d.journal {
            s.journal.entry(e.citizen.clone()).or_default().push(e.clone());
            if let Some(c) = s.citizens.get_mut(&e.citizen) {
                c.last_message_at = Some(c.last_message_at.map_or(e.at, |t| t.max(e.at)));
            }
        }
        for i in &d.inbox {
            s.inbox.entry(i.department.clone()).or_default().push(i.clone());
        }
        for (citizen, a) in &d.assignments {
            s.plans.entry((citizen.clone(), a.service.clone())).or_default().insert(a.id.0.clone(), a.clone());
        }
        if let Some(o) = &d.outbound {
            s.outbound.insert(o.message_id.clone(), o.clone());
        }
        if let Some((citizen, c)) = &d.cancellation {
            s.cancellations
                .entry((citizen.clone(), c.service.clone()))
                .or_default()
                .insert(c.message_id.clone(), c.clone());
        }
        Ok(Recorded::New)
    }

    async fn mark_sent(&self, message_ids: &[String], _at: jiff::Timestamp) -> Result<(), PortError> {
        let mut s = self.state();
        for id in message_ids {
            if let Some(p) = s.processed.get_mut(id) {
                p.sent = true;
            }
        }
        Ok(())
    }

    async fn note_send(&self, outbound_ids: &[String], fact: &ReceiptFact) -> Result<(), PortError> {
        let mut s = self.state();
        for id in outbound_ids {
            if let Some(o) = s.outbound.get_mut(id).filter(|o| o.receipt.is_send_side()) {
                o.receipt = fact.clone();
            }
        }
        Ok(())
    }
}

impl OutboundStore for MemoryDb {
    async fn reply(&self, message_id: &str) -> Result<Option<OutboundMessage>, PortError> {
        Ok(self.state().outbound.get(message_id).cloned())
    }

    async fn apply_receipt(&self, answers_message_id: &str, fact: &ReceiptFact) -> Result<ReceiptApplied, PortError> {
        let mut s = self.state();
        match s.outbound.get_mut(answers_message_id) {
            Some(o) => {
                o.receipt = fact.clone();
                Ok(ReceiptApplied::Updated)
            }
            None => Ok(ReceiptApplied::UnknownMessage),
        }
    }
}

impl HelsenorgeOutbox for MemoryDb {
    async fn send(&self, messages: &[Outgoing]) -> Result<Vec<String>, PortError> {
        self.state().sent.extend(messages.iter().cloned());
        Ok(vec![])
    }
}

impl Inspect for MemoryDb {
    async fn journal(&self, citizen: &NationalId) -> Result<Vec<JournalEntry>, PortError> {
        let mut v = self.state().journal.get(citizen).cloned().unwrap_or_default();
        v.sort_by(|a, b| (a.at, &a.message_id).cmp(&(b.at, &b.message_id)));
        Ok(v)
    }

    async fn inbox(&self, department: &DepartmentCode) -> Result<Vec<InboxItem>, PortError> {
        let mut v = self.state().inbox.get(department).cloned().unwrap_or_default();
        v.sort_by(|a, b| (a.at, &a.message_id).cmp(&(b.at, &b.message_id)));
        Ok(v)
    }

    async fn replies_of(&self, citizen: &NationalId) -> Result<Vec<OutboundMessage>, PortError> {
        let mut v: Vec<OutboundMessage> =
            self.state().outbound.values().filter(|o| &o.citizen == citizen).cloned().collect();
        v.sort_by(|a, b| (b.sent_at, &b.message_id).cmp(&(a.sent_at, &a.message_id)));
        Ok(v)
    }
}
