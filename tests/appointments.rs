//! The work-plan scenarios (R-APT-4/5) on the DynamoDB and SQS adapters against the local
//! stack: the same scenarios `shared/tests/appointments.rs` runs in memory, each on a fresh set
//! of tables and queues.

#[path = "../shared/tests/support/plan_scenarios.rs"]
mod scenarios;

use e2e::LocalStack;
use e2e::stack::sdk_config;
use shared::adapters::aws::dynamo::Dynamo;
use shared::adapters::aws::sqs::SqsOutbox;
use shared::fixtures::{self, CITIZEN, consented_citizen, service};

async fn world(name: &str) -> (Dynamo, scenarios::Counted<SqsOutbox>, LocalStack) {
    let stack = LocalStack::provision(name);
    let sdk = sdk_config().await;
    let store = Dynamo::new(aws_sdk_dynamodb::Client::new(&sdk), stack.tables());
    store.put_citizen(&consented_citizen(CITIZEN, &service())).await.unwrap();
    fixtures::seed_usable_activation(&store, &service()).await.unwrap();
    let outbox = SqsOutbox::new(aws_sdk_sqs::Client::new(&sdk), stack.queue("ToHelsenorgeQueue"));
    (store, scenarios::Counted { inner: outbox, sent: Default::default() }, stack)
}

#[tokio::test]
async fn r_apt_4_a_period_of_250_assignments_lapses_all_with_one_apprec_exactly_once() {
    let (store, outbox, _stack) = world("p250").await;
    scenarios::period_of_250_lapses_all_exactly_once(store, outbox).await;
}

#[tokio::test]
async fn r_apt_5_a_cancellation_during_redating_keeps_its_lapse() {
    let (store, outbox, _stack) = world("race").await;
    scenarios::cancellation_during_redating_keeps_its_lapse(store, outbox).await;
}

#[tokio::test]
async fn r_apt_5_redating_flags_reach_the_department_inbox_once() {
    let (store, outbox, _stack) = world("flags").await;
    scenarios::redating_flags_reach_the_department_inbox(store, outbox).await;
}
