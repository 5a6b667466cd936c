//! [`Seed`] on the tables: the same item mapping as the stores' own writes.

use super::Dynamo;
use crate::domain::CitizenRecord;
use crate::domain::reply::OutboundMessage;
use crate::error::PortError;
use crate::ports::{HerEntry, Seed};

impl Seed for Dynamo {
    async fn put_citizens(&self, citizens: &[CitizenRecord]) -> Result<(), PortError> {
        Dynamo::put_citizens(self, citizens).await
    }

    async fn put_outbound(&self, outbound: &OutboundMessage) -> Result<(), PortError> {
        Dynamo::put_outbound(self, outbound).await
    }

    async fn put_her(&self, entry: &HerEntry) -> Result<(), PortError> {
        Dynamo::put_her(self, entry).await
    }
}
