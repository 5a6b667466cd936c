//! Re-dating a work plan without losing cancellations (R-APT-5).

use jiff::Timestamp;

use crate::domain::appointment::{Assignment, RedateFlag, Schedule, reapply_cancellations};
use crate::domain::message::{EntryKind, GRADING_AJ, InboxItem};
use crate::domain::{NationalId, ServiceKey};
use crate::error::PortError;
use crate::ports::{AppointmentStore, Delivery, MessageStore};

/// How often a write that lost to a concurrent one is tried again on fresh data before the
/// caller hears of the conflict.
pub const CONFLICT_RETRIES: u32 = 5;

/// The subject staff see in the department inbox for a re-dating flag.
pub const REDATE_FLAG_SUBJECT: &str = "Avbestilt avtale er flyttet: vurder avbestillingen";

/// R-APT-5: the EPJ re-dates a citizen's plan for a service. The kept cancellations are applied
/// to the new plan before it is stored, conditional on the plan's version: a cancellation that
/// lands between the read and the write moves the version on, and the re-dating starts again
/// with it. Those that cannot be applied safely (the assignment moved) are delivered to the
/// department inbox, once per assignment and new time, and returned.
pub async fn redate<A: AppointmentStore, M: MessageStore>(
    plans: &A,
    inbox: &M,
    citizen: &NationalId,
    service: &ServiceKey,
    new_plan: Vec<Assignment>,
    now: Timestamp,
) -> Result<Vec<RedateFlag>, PortError> {
    let mut attempt = 0;
    let (plan, flags) = loop {
        let current = plans.plan(citizen, service).await?;
        let mut plan = new_plan.clone();
        let flags = reapply_cancellations(&mut plan, &current.cancellations);
        match plans.replace_plan(citizen, service, current.version, &plan).await {
            Ok(()) => break (plan, flags),
            Err(e) if e.is_conflict() && attempt < CONFLICT_RETRIES => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    for flag in &flags {
        inbox.record(&flag_delivery(citizen, service, &plan, flag, now)).await?;
    }
    Ok(flags)
}

/// The inbox item for a flag, keyed by the cancellation, the assignment and its new time, so a
/// retried or repeated re-dating delivers it once, and a further move flags it again.
fn flag_delivery(citizen: &NationalId, service: &ServiceKey, plan: &[Assignment], flag: &RedateFlag, now: Timestamp) -> Delivery {
    let moved_to = plan.iter().find(|a| a.id == flag.assignment).map_or("removed".to_string(), |a| match &a.schedule {
        Schedule::Dated { start, .. } => start.to_string(),
        Schedule::Regular => "regular".to_string(),
    });
    let message_id = format!("redate:{}:{}:{moved_to}", flag.cancellation, flag.assignment.0);
    Delivery {
        message_id: message_id.clone(),
        outgoing: vec![],
        journal: vec![],
        inbox: vec![InboxItem {
            department: service.department.clone(),
            message_id,
            citizen: citizen.clone(),
            service: service.clone(),
            kind: EntryKind::RedateFlag,
            subject: REDATE_FLAG_SUBJECT.to_string(),
            grading: GRADING_AJ.to_string(),
            at: now,
        }],
        assignments: vec![],
        cancellation: None,
        plan_version: None,
        outbound: None,
        at: now,
    }
}
