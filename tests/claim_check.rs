//! The claim check on moto (issue 18; R-OUT-4 allows 12 MB of attachments, an SQS message
//! carries 1 MiB): the body store's contract on the memory adapter and on S3 (the template's
//! `BodyBucket`, created by tools/stack.py), then a reply with a large attachment end to end —
//! outbound-reply → ToHelsenorgeQueue as a reference → the built bridge reads the body from S3
//! → the real local RabbitMQ → the Helsenorge-side peer gets the whole attachment, signed by
//! us. `make test` starts moto and RabbitMQ.

use std::time::Duration;

use aws_sdk_dynamodb::Client as Ddb;
use aws_sdk_sqs::Client as Sqs;
use e2e::peer::{self, RunKeys};
use e2e::sqs::{failures, sqs_event};
use e2e::stack::{root, sdk_config};
use e2e::{LocalLambda, LocalStack};
use shared::adapters::aws::dynamo::Dynamo;
use shared::adapters::aws::s3_bodies::S3Bodies;
use shared::adapters::memory_bodies::MemoryBodies;
use shared::domain::claim_check::{CLAIM_ATTRIBUTE, CLAIMED_BODY, ClaimRef};
use shared::error::Retryable;
use shared::fixtures::{CITIZEN, consented_citizen, her_entry, service};
use shared::kith::msghead::{KithDocument, read_document};
use shared::kith::{Content, ReadLimits};
use shared::ports::bodies::BodyStore;
use shared::ports_transport::MessageProtection;

/// The contract every body store keeps.
async fn contract(store: &impl BodyStore, bucket: &str) {
    let body: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let claim = store.put("to-helsenorge/contract-1", &body).await.expect("stored");
    assert_eq!(claim, ClaimRef { bucket: bucket.into(), key: "to-helsenorge/contract-1".into() });
    assert_eq!(store.get(&claim).await.expect("read back"), body, "5 MB byte for byte");
    // A resend stores the same key again.
    store.put("to-helsenorge/contract-1", b"again").await.expect("overwritten");
    assert_eq!(store.get(&claim).await.unwrap(), b"again");
    let missing = ClaimRef { bucket: bucket.into(), key: "to-helsenorge/none".into() };
    let err = store.get(&missing).await.expect_err("nothing there");
    assert!(!err.is_retryable(), "a reference to nothing is permanent: {err}");
    let elsewhere = ClaimRef { bucket: "another-bucket".into(), key: claim.key.clone() };
    assert!(store.get(&elsewhere).await.is_err(), "only the body bucket is read");
}

#[tokio::test]
async fn r_out_4_the_body_store_keeps_large_bodies_in_memory_and_on_s3_encrypted() {
    contract(&MemoryBodies::new("bodies"), "bodies").await;
    let stack = LocalStack::provision("claims");
    let sdk = sdk_config().await;
    let bucket = stack.buckets.get("BodyBucket").expect("tools/stack.py creates the template's bucket").clone();
    contract(&S3Bodies::new(&sdk, &bucket), &bucket).await;
    let s3 = aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sdk).force_path_style(true).build());
    let head = s3.head_object().bucket(&bucket).key("to-helsenorge/contract-1").send().await.expect("head");
    assert_eq!(head.server_side_encryption().map(|s| s.as_str()), Some("aws:kms"), "stored encrypted");
    let block = s3.get_public_access_block().bucket(&bucket).send().await.expect("public access block");
    let c = block.public_access_block_configuration().expect("configured");
    assert_eq!((c.block_public_acls(), c.restrict_public_buckets()), (Some(true), Some(true)));
}

/// Outbound-reply's request with one PDF attachment of `bytes` bytes.
fn reply_with_attachment(reply_id: &str, bytes: usize) -> (serde_json::Value, Vec<u8>) {
    use base64::Engine as _;
    let pdf: Vec<u8> = b"%PDF-1.4\n".iter().copied().chain((0..bytes.saturating_sub(9)).map(|i| b'a' + (i % 26) as u8)).collect();
    let mut r = shared::fixtures::reply_request(reply_id, "115");
    r["attachments"] =
        serde_json::json!([{"name": "scan.pdf", "mediaType": "application/pdf", "content": base64::engine::general_purpose::STANDARD.encode(&pdf)}]);
    (r, pdf)
}

/// outbound-reply sends a reply with a `bytes`-byte attachment; returns the stack and the
/// attachment once ToHelsenorgeQueue holds only its reference (peeked, left on the queue) and
/// the idempotency record holds no attachment content.
async fn reply_by_reference(name: &str, bytes: usize) -> (LocalStack, aws_config::SdkConfig, Vec<u8>, ClaimRef) {
    let stack = LocalStack::provision(name);
    let sdk = sdk_config().await;
    let store = Dynamo::new(Ddb::new(&sdk), stack.tables());
    store.put_citizen(&consented_citizen(CITIZEN, &service())).await.unwrap();
    shared::fixtures::seed_usable_activation(&store, &service()).await.unwrap();
    store.put_her(&her_entry()).await.unwrap();
    let outbound = LocalLambda::start("outbound-reply", &stack.function_env("OutboundReplyFunction")).await;
    let (request, pdf) = reply_with_attachment("claim-1", bytes);
    let response = outbound.invoke(sqs_event(&[("r1", request.to_string())])).await.expect("handler succeeded");
    assert!(failures(&response).is_empty(), "{response}");
    outbound.stop().await;
    let sqs = Sqs::new(&sdk);
    let queue = stack.queue("ToHelsenorgeQueue");
    let peeked = sqs.receive_message().queue_url(queue).visibility_timeout(0).message_attribute_names("All").send().await.unwrap();
    let m = peeked.messages.unwrap_or_default().into_iter().next().expect("the reply on ToHelsenorgeQueue");
    assert_eq!(m.body(), Some(CLAIMED_BODY), "only the reference on the queue");
    let reference = m.message_attributes().and_then(|a| a.get(CLAIM_ATTRIBUTE)).and_then(|v| v.string_value()).expect("claimCheck");
    let claim = ClaimRef::parse(reference).expect("s3://bucket/key");
    assert_eq!(claim.bucket, stack.buckets["BodyBucket"]);
    // The idempotency record (Messages, MSG#reply#claim-1) keeps the attachment by reference.
    let items = Ddb::new(&sdk).scan().table_name(stack.table("MessagesTable")).send().await.unwrap();
    let largest = items.items().iter().map(|i| format!("{i:?}").len()).max().unwrap_or(0);
    assert!(largest < 100_000, "no item carries the attachment ({largest} bytes)");
    (stack, sdk, pdf, claim)
}

#[tokio::test]
async fn r_out_4_a_reply_with_a_10_mb_attachment_is_recorded_and_queued_by_reference() {
    let (_stack, sdk, pdf, claim) = reply_by_reference("claim10", 10 * 1024 * 1024).await;
    let xml = S3Bodies::new(&sdk, &claim.bucket).get(&claim).await.expect("the rendered reply from S3");
    let Ok(KithDocument::MsgHead(head)) = read_document(&xml, ReadLimits::WITH_ATTACHMENTS) else { panic!("a MsgHead") };
    assert_eq!(head.documents[1].content, Content::Base64(pdf), "the attachment, byte for byte");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_out_4_a_reply_with_a_5_mb_attachment_reaches_the_peer_through_the_bridge() {
    let (stack, sdk, pdf, _) = reply_by_reference("claim5", 5 * 1024 * 1024).await;
    let queue = stack.queue("ToHelsenorgeQueue");

    // The bridge reads the body from S3, signs and encrypts it for Helsenorge, sends it.
    peer::declare(&["80115", "90002"]).expect("broker queues");
    let keys = RunKeys::new().unwrap();
    let (signing, decryption) = (format!("{}sign", stack.prefix), format!("{}dec", stack.prefix));
    peer::put_secret(&sdk, &signing, &keys.us.signing).await.unwrap();
    peer::put_secret(&sdk, &decryption, &keys.us.encryption).await.unwrap();
    let env = peer::BridgeEnv {
        signing_secret: &signing,
        decryption_secret: &decryption,
        profiles: peer::profiles_config(90002, "cpa-synthetic-1", &keys.hn),
        inbound_queue_url: stack.queue("InboundQueue"),
        to_helsenorge_queue_url: queue,
    };
    let mut replies = peer::listen("90002_async");
    let log = root().join(format!(".local/bridge-{}log", stack.prefix));
    let mut bridge = tokio::process::Command::new(e2e::lambda::binary("helsenorge-bridge"))
        .envs(env.vars())
        .env("BODY_BUCKET", &stack.buckets["BodyBucket"])
        .stdout(std::fs::File::create(log).expect("log file"))
        .kill_on_drop(true)
        .spawn()
        .expect("start the bridge binary");

    // The peer verifies our signature and finds the whole attachment.
    let hn = keys.hn.protection();
    let ours = keys.us.signing.cert_der();
    let got = peer::next_within(&mut replies, Duration::from_secs(120), |m| m.message_id.as_deref() == Some("claim-1") && hn.unprotect(&m.body, &ours).is_ok())
        .await
        .expect("the reply reached the peer");
    let xml = hn.unprotect(&got.body, &ours).unwrap();
    let Ok(KithDocument::MsgHead(head)) = read_document(&xml, ReadLimits::WITH_ATTACHMENTS) else { panic!("a MsgHead") };
    assert_eq!(head.documents[1].content, Content::Base64(pdf), "the attachment, byte for byte");
    let sqs = Sqs::new(&sdk);
    let left = sqs.receive_message().queue_url(queue).visibility_timeout(0).send().await.unwrap();
    assert!(left.messages.unwrap_or_default().is_empty(), "deleted once the broker accepted it");
    let _ = bridge.kill().await;
}
