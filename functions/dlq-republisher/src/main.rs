//! dlq-republisher: placeholder until its issue lands. It starts like the real function (telemetry,
//! AWS clients) and answers every event with an error saying it is not implemented yet.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};
use shared::adapters::aws::AwsClients;
use shared::error::NotImplemented;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    shared::telemetry::init();
    let _clients = AwsClients::from_env().await;
    run(service_fn(|_event: LambdaEvent<serde_json::Value>| async {
        Err::<(), Error>(NotImplemented("dlq-republisher").into())
    }))
    .await
}
