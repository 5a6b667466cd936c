//! The AMQP adapters against the real local RabbitMQ 3.10 (tools/rabbitmq.sh; `make test` starts
//! it, port `RABBITMQ_PORT`, default 5679): addresses, properties, outcomes (R-TR-4, R-TR-6,
//! R-TR-8). Each test declares its own HER-id's queues.

use std::sync::Arc;
use std::time::Duration;

use helsenorge_bridge::amqp::{AmqpOutbox, AmqpSettings, RetryOutcome, receive_forever};
use shared::app::bridge_in::Settle;
use shared::domain::transport::{PropValue, SIGNED_AND_ENVELOPED, TransportMessage};
use shared::ports_transport::AmqpSender;
use tokio::sync::mpsc;

fn port() -> String {
    std::env::var("RABBITMQ_PORT").unwrap_or_else(|_| "5679".into())
}

fn script(args: &[&str]) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = std::process::Command::new(root.join("tools/rabbitmq.sh")).args(args).output().expect("tools/rabbitmq.sh runs");
    assert!(out.status.success(), "rabbitmq.sh {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Declares the HER-id's queues (idempotent).
fn declare(her: u64) {
    script(&["declare", &her.to_string()]);
}

/// Messages on a queue (ready + unacknowledged), from `rabbitmqctl list_queues`.
fn depth(queue: &str) -> u64 {
    script(&["status"])
        .lines()
        .find(|l| l.split_whitespace().next() == Some(queue))
        .and_then(|l| l.split_whitespace().nth(2).and_then(|n| n.parse().ok()))
        .unwrap_or_else(|| panic!("queue {queue} not found"))
}

fn settings(name: &str, retry: RetryOutcome) -> Arc<AmqpSettings> {
    Arc::new(AmqpSettings {
        url: format!("amqp://127.0.0.1:{}", port()),
        username: "guest".into(),
        password: "guest".into(),
        namespace: "NHNTestServiceBus".into(),
        container_id: format!("test-{name}-{}", std::process::id()),
        credit: 10,
        retry,
        pause_before_settle: None,
    })
}

fn message(id: &str, to: &str) -> TransportMessage {
    let mut m = TransportMessage {
        message_id: Some(id.into()),
        to: Some(to.into()),
        subject: Some("DIALOG_INNBYGGER_EKONTAKT".into()),
        reply_to: Some("90002_async".into()),
        correlation_id: Some(id.into()),
        content_type: Some(SIGNED_AND_ENVELOPED.into()),
        body: vec![0x30, 0x82, 0, 1, 0xff],
        ..TransportMessage::default()
    };
    m.set_app("fromHerId", "90002");
    m.set_app("toHerId", to.trim_end_matches("_async"));
    m.set_app("applicationTimeStamp", "2026-12-02T10:00:00Z");
    m
}

/// Receives from `queue` in a task; each delivery goes to the channel, settled by `decide`.
fn listen(s: Arc<AmqpSettings>, queue: &str, decide: impl Fn(usize) -> Settle + Send + Sync + 'static) -> (mpsc::UnboundedReceiver<TransportMessage>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let decide = Arc::new(decide);
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let queue = queue.to_string();
    let task = tokio::spawn(async move {
        receive_forever(s, queue, move |m| {
            let (tx, decide, count) = (tx.clone(), decide.clone(), count.clone());
            async move {
                let n = count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let _ = tx.send(m);
                decide(n)
            }
        })
        .await
    });
    (rx, task)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<TransportMessage>) -> TransportMessage {
    tokio::time::timeout(Duration::from_secs(30), rx.recv()).await.expect("a delivery within 30 s").expect("channel open")
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_8_a_sent_message_arrives_with_its_properties_and_accept_removes_it() {
    declare(71001);
    let out = AmqpOutbox::new(settings("send", RetryOutcome::Released));
    let sent = message("6f1c2a10-0000-4000-8000-000000071001", "71001_async");
    out.send("71001_async", &sent).await.expect("accepted by the broker");
    let (mut rx, task) = listen(settings("recv", RetryOutcome::Released), "71001_async", |_| Settle::Accept);
    let got = next(&mut rx).await;
    assert_eq!(got.message_id, sent.message_id);
    assert_eq!(got.to, sent.to);
    assert_eq!(got.subject, sent.subject);
    assert_eq!(got.reply_to, sent.reply_to);
    assert_eq!(got.correlation_id, sent.correlation_id);
    assert_eq!(got.content_type, sent.content_type);
    assert_eq!(got.body, sent.body);
    assert_eq!(got.application.get("fromHerId"), Some(&PropValue::Str("90002".into())));
    // Give the accept time to reach the broker before the connection goes.
    tokio::time::sleep(Duration::from_millis(500)).await;
    task.abort();
    let _ = task.await;
    assert_eq!(depth("71001_async"), 0, "accepted: gone from the queue");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_4_a_released_delivery_comes_back_and_is_not_lost() {
    declare(71002);
    let out = AmqpOutbox::new(settings("send2", RetryOutcome::Released));
    let sent = message("6f1c2a10-0000-4000-8000-000000071002", "71002_async");
    out.send("71002_async", &sent).await.expect("accepted by the broker");
    let (mut rx, task) =
        listen(settings("recv2", RetryOutcome::Released), "71002_async", |n| if n == 0 { Settle::Release } else { Settle::Accept });
    let first = next(&mut rx).await;
    let again = next(&mut rx).await;
    assert_eq!(first.message_id, again.message_id, "the released delivery is delivered again");
    tokio::time::sleep(Duration::from_millis(500)).await;
    task.abort();
    let _ = task.await;
    assert_eq!(depth("71002_async"), 0);
}
