//! Dead-letter records, the requeue (queues by URL), parked messages and alerts.

use crate::domain::dead_letter::{Alert, ParkedMessage, ParkedRecord, RecordedError};
use crate::error::PortError;
use crate::ports::{AlertSink, DeadLetterLog, ParkedStore, QueuedMessage, Requeue};

use super::MemoryDb;

impl DeadLetterLog for MemoryDb {
    async fn record(&self, error: &RecordedError) -> Result<(), PortError> {
        self.state().dead_letters.insert(error.message_id.clone(), error.clone());
        Ok(())
    }

    async fn recorded(&self, message_id: &str) -> Result<Option<RecordedError>, PortError> {
        Ok(self.state().dead_letters.get(message_id).cloned())
    }
}

impl Requeue for MemoryDb {
    /// Takes up to 10; they stay in flight (invisible) until deleted or expired, as on SQS.
    async fn receive(&self, queue_url: &str) -> Result<Vec<QueuedMessage>, PortError> {
        let mut s = self.state();
        let q = s.queues.entry(queue_url.to_string()).or_default();
        let n = q.len().min(10);
        let taken: Vec<QueuedMessage> = q.drain(..n).collect();
        for m in &taken {
            s.in_flight.insert(m.receipt_handle.clone(), (queue_url.to_string(), m.clone()));
        }
        Ok(taken)
    }

    async fn send(&self, queue_url: &str, body: &str, republished: u32, source_queue: &str, _delay: u32) -> Result<String, PortError> {
        let mut s = self.state();
        s.next_message += 1;
        let m = QueuedMessage {
            message_id: format!("mem-{}", s.next_message),
            receipt_handle: format!("rh-{}", s.next_message),
            body: body.to_string(),
            republished,
            source_queue: Some(source_queue.to_string()),
        };
        let id = m.message_id.clone();
        s.queues.entry(queue_url.to_string()).or_default().push_back(m);
        Ok(id)
    }

    async fn delete(&self, _queue_url: &str, receipt_handle: &str) -> Result<(), PortError> {
        self.state().in_flight.remove(receipt_handle);
        Ok(())
    }
}

impl ParkedStore for MemoryDb {
    async fn park(&self, message: &ParkedMessage) -> Result<(), PortError> {
        self.state().parked.entry(message.record.message_id.clone()).or_insert_with(|| message.clone());
        Ok(())
    }

    async fn parked(&self) -> Result<Vec<ParkedRecord>, PortError> {
        let mut v: Vec<ParkedRecord> = self.state().parked.values().map(|m| m.record.clone()).collect();
        v.sort_by_key(|p| p.parked_at);
        Ok(v)
    }

    async fn parked_message(&self, message_id: &str) -> Result<Option<ParkedMessage>, PortError> {
        Ok(self.state().parked.get(message_id).cloned())
    }

    async fn unpark(&self, message_id: &str) -> Result<bool, PortError> {
        Ok(self.state().parked.remove(message_id).is_some())
    }
}

impl AlertSink for MemoryDb {
    async fn send(&self, alert: &Alert) -> Result<(), PortError> {
        self.state().alerts.push(alert.clone());
        Ok(())
    }
}
