//! Re-dating a work plan without losing cancellations (R-APT-5).

use crate::domain::appointment::{Assignment, RedateFlag, reapply_cancellations};
use crate::domain::{NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::AppointmentStore;

/// R-APT-5: the EPJ re-dates a citizen's plan for a service. The kept cancellations are applied
/// to the new plan before it is stored; those that cannot be applied safely (the assignment
/// moved) come back as flags for staff.
pub async fn redate<A: AppointmentStore>(
    store: &A,
    citizen: &NationalId,
    service: &ServiceKey,
    new_plan: Vec<Assignment>,
) -> Result<Vec<RedateFlag>, PortError> {
    let kept = store.cancellations(citizen, service).await?;
    let mut plan = new_plan;
    let flags = reapply_cancellations(&mut plan, &kept);
    store.replace_plan(citizen, service, &plan).await?;
    Ok(flags)
}
