//! inbound-message's side of the InboundQueue claim check (issue 18; the bridge writes it with
//! `adapters::claim_check_inbound`): a record carrying a `claimCheck` reference gets its whole
//! body from the body store before the KITH edge reads it. A record whose body cannot be read is
//! a failure of that record only (partial batch failure: SQS shows it again, the redrive policy
//! parks it after `maxReceiveCount`), never a silent drop. Nothing is deleted: the body bucket's
//! lifecycle expires the object after the record is done.

use super::RecordIn;
use super::kith_inbound::Transport;
use crate::domain::claim_check::ClaimRef;
use crate::error::PortError;
use crate::ports::bodies::BodyStore;

/// The batch with every reference read back (the reference stays in `Transport::claim_check`),
/// and the SQS message ids of the records whose body could not be read.
pub async fn read_claims<B: BodyStore>(store: &B, records: Vec<(RecordIn, Transport)>) -> (Vec<(RecordIn, Transport)>, Vec<String>) {
    let mut whole = Vec::with_capacity(records.len());
    let mut failed = Vec::new();
    for (mut record, transport) in records {
        let Some(reference) = transport.claim_check.clone() else {
            whole.push((record, transport));
            continue;
        };
        match read(store, &reference).await {
            Ok(body) => {
                record.body = body;
                whole.push((record, transport));
            }
            Err(error) => {
                tracing::warn!(%error, sqs_message_id = %record.sqs_message_id, "claimed inbound body unreadable; record left on the queue");
                failed.push(record.sqs_message_id);
            }
        }
    }
    (whole, failed)
}

async fn read<B: BodyStore>(store: &B, reference: &str) -> Result<String, PortError> {
    let claim = ClaimRef::parse(reference).map_err(|e| PortError::permanent("claim check", e))?;
    let bytes = store.get(&claim).await?;
    String::from_utf8(bytes).map_err(|_| PortError::permanent("claim check", "claimed body is not UTF-8"))
}

#[cfg(test)]
#[path = "claimed_inbound_tests.rs"]
mod tests;
