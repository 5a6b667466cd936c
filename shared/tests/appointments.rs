//! The work-plan scenarios (R-APT-4/5) on the in-memory adapters, which keep DynamoDB's
//! transaction limit and conditional writes; `tests/appointments.rs` runs the same ones on the
//! local stack.

#[path = "support/plan_scenarios.rs"]
mod scenarios;

use shared::adapters::memory::MemoryDb;
use shared::fixtures::{CITIZEN, consented_citizen, id, service, usable_activation};

fn world() -> (MemoryDb, scenarios::Counted<MemoryDb>) {
    let db = MemoryDb::new();
    {
        let mut s = db.state();
        s.citizens.insert(id(CITIZEN), consented_citizen(CITIZEN, &service()));
        s.activations.insert(service(), usable_activation(&service()));
    }
    (db.clone(), scenarios::Counted { inner: db, sent: Default::default() })
}

#[tokio::test]
async fn r_apt_4_a_period_of_250_assignments_lapses_all_with_one_apprec_exactly_once() {
    let (db, outbox) = world();
    scenarios::period_of_250_lapses_all_exactly_once(db, outbox).await;
}

#[tokio::test]
async fn r_apt_5_a_cancellation_during_redating_keeps_its_lapse() {
    let (db, outbox) = world();
    scenarios::cancellation_during_redating_keeps_its_lapse(db, outbox).await;
}

#[tokio::test]
async fn r_apt_5_redating_flags_reach_the_department_inbox_once() {
    let (db, outbox) = world();
    scenarios::redating_flags_reach_the_department_inbox(db, outbox).await;
}
