//! helsedialog-admin: the operators' and the EPJ's command line against the tables.
//!
//! ```text
//! helsedialog-admin load FILE               load EPJ data (record cards, activations, plans)
//! helsedialog-admin journal NATIONAL_ID     a citizen's administrative journal (ids masked)
//! helsedialog-admin inbox DEPARTMENT        a department's inbox (ids masked)
//! helsedialog-admin plan NATIONAL_ID DEPT TYPE   a citizen's work plan for a service
//! helsedialog-admin replies NATIONAL_ID      a citizen's replies and receipt status, newest first
//! helsedialog-admin outbox                  drain and show what went toward Helsenorge
//! helsedialog-admin epj-results             drain and show the results for the EPJ
//! helsedialog-admin alerts                  drain and show the alerts
//! helsedialog-admin send-inbound FILE       put a raw body on the inbound queue (as the bridge would)
//! helsedialog-admin take-inbound OUT        take one inbound message as a Lambda SQS event file
//!                                           (it stays on the queue, as after a failed delivery)
//! helsedialog-admin receive-inbound OUT     wait for the next inbound message (the bridge's), as an SQS event
//!                                           file with its attributes; deleted from the queue
//! helsedialog-admin take-sync OUT           take one consent-sync work item (listing step or chunk)
//!                                           off the sync work queue as a Lambda SQS event file
//! helsedialog-admin redrive-inbound         receive until SQS's redrive has moved messages past
//!                                           maxReceiveCount to the dead-letter queue
//! helsedialog-admin epj METHOD PATH [BODY]  one EPJ API request through epj-api's use case and
//!                                           rules (staff JSON in EPJ_STAFF, IDEMPOTENCY_KEY for
//!                                           replies), e.g. `epj GET /v1/departments/115/inbox`
//! ```
//! Table names and queue URLs come from the same environment variables as the functions.

use std::process::ExitCode;

use shared::adapters::aws::AwsClients;
use shared::adapters::aws::dynamo::{Dynamo, Tables};
use shared::app::epj::EpjData;
use shared::config::required;
use shared::domain::message::{Outgoing, OutMessage};
use shared::domain::{NationalId, ServiceKey};
use shared::ports::{AppointmentStore, Inspect};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn tables() -> Tables {
    let get = |n| std::env::var(n).unwrap_or_default();
    Tables {
        messages: get("MESSAGES_TABLE"),
        citizens: get("CITIZENS_TABLE"),
        activations: get("ACTIVATIONS_TABLE"),
        appointments: get("APPOINTMENTS_TABLE"),
        operations: get("OPERATIONS_TABLE"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("helsedialog-admin: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &[String]) -> Result<(), BoxError> {
    let aws = AwsClients::from_env().await?;
    let store = Dynamo::new(aws.dynamodb.clone(), tables());
    let arg = |i: usize| args.get(i).map(String::as_str).ok_or("missing argument (see --help)");
    match args.first().map(String::as_str) {
        Some("load") => {
            let data: EpjData = serde_json::from_str(&std::fs::read_to_string(arg(1)?)?)?;
            // Activations go through the activation rule (R-ACT-2/3) and wait for consent-sync's
            // next run before messages flow (R-ACT-4).
            shared::app::epj::load(&store, &data, jiff::Timestamp::now()).await?;
            println!(
                "loaded {} citizens, {} activations, {} plans, {} outbound messages",
                data.citizens.len(),
                data.activations.len(),
                data.plans.len(),
                data.outbound.len()
            );
        }
        Some("journal") => {
            let citizen: NationalId = arg(1)?.parse()?;
            for e in store.journal(&citizen).await? {
                println!("{}  {:<20} {:<18} {}  [{}] {:<26} \"{}\"", e.at, e.message_id, format!("{:?}", e.kind), e.citizen, e.grading, e.author_label(), e.subject);
            }
        }
        Some("inbox") => {
            for i in store.inbox(&arg(1)?.parse()?).await? {
                println!("{}  {:<20} {:<18} {}  [{}] \"{}\"", i.at, i.message_id, format!("{:?}", i.kind), i.citizen, i.grading, i.subject);
            }
        }
        Some("plan") => {
            let citizen: NationalId = arg(1)?.parse()?;
            let service = ServiceKey::parse(arg(2)?, arg(3)?)?;
            for a in store.plan(&citizen, &service).await?.assignments {
                println!("{:<6} {}", a.id.0, serde_json::to_string(&a.shown())?);
            }
        }
        Some("replies") => {
            let citizen: NationalId = arg(1)?.parse()?;
            let deadline = shared::config::receipt_deadline()?;
            let now = jiff::Timestamp::now();
            for o in store.replies_of(&citizen).await? {
                println!("{}  {:<18} {}  staff {:<14} {:?}", o.sent_at, o.message_id, o.citizen, o.staff_id, o.status(now, deadline));
            }
        }
        Some("send-inbound") => {
            let pair = inbound_pair()?;
            let body = std::fs::read_to_string(arg(1)?)?;
            aws.sqs.send_message().queue_url(&pair.source_url).message_body(body).send().await?;
            println!("sent to {}", pair.source_name());
        }
        Some("take-inbound") => {
            let pair = inbound_pair()?;
            let out = aws.sqs.receive_message().queue_url(&pair.source_url).max_number_of_messages(1).visibility_timeout(0).send().await?;
            let Some(m) = out.messages.unwrap_or_default().into_iter().next() else {
                return Err("the inbound queue is empty".into());
            };
            std::fs::write(arg(1)?, sqs_event(&m, 5, "inbound").to_string())?;
            println!("took {} from {}", m.message_id().unwrap_or_default(), pair.source_name());
        }
        Some("receive-inbound") => {
            // What Lambda's event source mapping does, for the demo's bridge step: waits (long
            // poll, 20 s) for the next message on the inbound queue, writes it with its transport
            // attributes as an SQS event for inbound-message, and deletes it from the queue.
            let pair = inbound_pair()?;
            let out = aws
                .sqs
                .receive_message()
                .queue_url(&pair.source_url)
                .max_number_of_messages(1)
                .wait_time_seconds(20)
                .message_attribute_names("All")
                .send()
                .await?;
            let Some(m) = out.messages.unwrap_or_default().into_iter().next() else {
                return Err("nothing arrived on the inbound queue within 20 s".into());
            };
            std::fs::write(arg(1)?, sqs_event(&m, 1, "inbound").to_string())?;
            if let Some(h) = m.receipt_handle() {
                aws.sqs.delete_message().queue_url(&pair.source_url).receipt_handle(h).send().await?;
            }
            let attr = |n: &str| m.message_attributes().and_then(|a| a.get(n)).and_then(|v| v.string_value()).unwrap_or("-").to_string();
            println!(
                "took {} from {}: {}, {} bytes, from HER {} to HER {} (message attributes from the AMQP properties)",
                attr("messageId"),
                pair.source_name(),
                attr("messageFunction"),
                m.body().unwrap_or_default().len(),
                attr("fromHerId"),
                attr("toHerId")
            );
        }
        Some("take-sync") => {
            // For runs without an SQS event source (the demo): the work item leaves the queue
            // here and is handed to consent-sync right after.
            let url = required("SYNC_WORK_QUEUE_URL")?;
            let out = aws.sqs.receive_message().queue_url(&url).max_number_of_messages(1).send().await?;
            let Some(m) = out.messages.unwrap_or_default().into_iter().next() else {
                return Err("the sync work queue is empty".into());
            };
            std::fs::write(arg(1)?, sqs_event(&m, 1, "sync-work").to_string())?;
            if let Some(h) = m.receipt_handle() {
                aws.sqs.delete_message().queue_url(&url).receipt_handle(h).send().await?;
            }
            println!("took {} from the sync work queue", m.message_id().unwrap_or_default());
        }
        Some("redrive-inbound") => {
            // Lets SQS's own redrive act (it keeps the message id): receive until SQS has
            // moved every message past maxReceiveCount to the dead-letter queue.
            let pair = inbound_pair()?;
            for _ in 0..20 {
                let out = aws.sqs.receive_message().queue_url(&pair.source_url).max_number_of_messages(10).visibility_timeout(0).send().await?;
                if out.messages.unwrap_or_default().is_empty() {
                    break;
                }
            }
            println!("redrive: SQS moved what failed 5 receives to {}", pair.dead_letter_url.rsplit('/').next().unwrap_or_default());
        }
        Some(which @ ("outbox" | "epj-results" | "alerts")) => {
            let url = required(match which {
                "outbox" => "TO_HELSENORGE_QUEUE_URL",
                "epj-results" => "EPJ_RESULTS_QUEUE_URL",
                _ => "ALERTS_QUEUE_URL",
            })?;
            loop {
                let out = aws.sqs.receive_message().queue_url(&url).max_number_of_messages(10).send().await?;
                let msgs = out.messages.unwrap_or_default();
                if msgs.is_empty() {
                    break;
                }
                for m in msgs {
                    let body = m.body().unwrap_or("{}");
                    if which == "alerts" {
                        println!("{body}");
                    } else {
                        if body.starts_with('<') {
                            println!("{}", describe_kith(body));
                        } else {
                            let o: Outgoing = serde_json::from_str(body)?;
                            println!("{}", describe(&o));
                        }
                    }
                    if let Some(h) = m.receipt_handle() {
                        aws.sqs.delete_message().queue_url(&url).receipt_handle(h).send().await?;
                    }
                }
            }
        }
        Some("epj") => {
            let (status, body) = epj_request(&aws, arg(1)?, arg(2)?, args.get(3)).await?;
            println!("{status} {body}");
        }
        _ => {
            println!("usage: helsedialog-admin load FILE | journal NATIONAL_ID | inbox DEPARTMENT | plan NATIONAL_ID DEPT TYPE | replies NATIONAL_ID | outbox | epj-results | alerts | send-inbound FILE | take-inbound OUT | receive-inbound OUT | take-sync OUT | redrive-inbound | epj METHOD PATH [BODY_FILE]");
        }
    }
    Ok(())
}

/// One request through the EPJ API's use case, wired as epj-api's main wires it: an operator
/// acting for the EPJ meets the same rules (no second path).
async fn epj_request(aws: &AwsClients, method: &str, path: &str, body: Option<&String>) -> Result<(u16, serde_json::Value), BoxError> {
    use shared::adapters::aws::{epj_store::DynamoEpj, parked::DynamoParked, sqs::SqsOutbox};
    use shared::adapters::memory::SystemClock;
    use shared::app::epj_api::{EpjApi, STAFF_HEADER, Settings};
    let config = shared::config::EpjApiConfig::from_env()?;
    let store = Dynamo::new(aws.dynamodb.clone(), config.tables.clone());
    let outbox = shared::adapters::kith_outbox::KithOutbox {
        inner: SqsOutbox::new(aws.sqs.clone(), &config.to_helsenorge_queue_url).with_epj(&config.epj_results_queue_url),
        directory: store.clone(),
        clock: SystemClock,
        helsenorge: shared::config::helsenorge_party()?,
    };
    let pipeline = shared::app::pipeline::Pipeline { messages: store.clone(), outbox, dead_letters: store.clone(), clock: SystemClock, source_queue: "epj-api".into() };
    let api = EpjApi {
        records: store.clone(),
        epj: DynamoEpj::new(aws.dynamodb.clone(), config.tables.clone()),
        parked: DynamoParked::new(aws.dynamodb.clone(), &config.tables.operations),
        replies: shared::app::outbound::OutboundService { gate: store, pipeline, id_mode: config.id_mode },
        clock: SystemClock,
        settings: Settings { max_body_bytes: config.max_body_bytes, id_mode: config.id_mode, receipt_deadline: config.receipt_deadline },
    };
    let body = body.map(std::fs::read).transpose()?.unwrap_or_default();
    let (path, query) = path.split_once('?').unwrap_or((path, ""));
    let mut req = shared::app::http::HttpRequest::new(method, path, body);
    req.query = query.to_string();
    req.headers.push((STAFF_HEADER.into(), required("EPJ_STAFF")?));
    if let Ok(key) = std::env::var("IDEMPOTENCY_KEY") {
        req.headers.push(("idempotency-key".into(), key));
    }
    let resp = api.answer(&req).await;
    Ok((resp.status, resp.body))
}

/// A Lambda SQS event of one received message, as the event source would deliver it.
fn sqs_event(m: &aws_sdk_sqs::types::Message, receive_count: u32, queue: &str) -> serde_json::Value {
    // String message attributes as Lambda passes them (present when the receive asked for them).
    let attributes: serde_json::Map<String, serde_json::Value> = m
        .message_attributes()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.clone(), serde_json::json!({"stringValue": v.string_value()?, "dataType": "String"}))))
        .collect();
    serde_json::json!({"Records": [{
        "messageId": m.message_id(), "receiptHandle": m.receipt_handle(), "body": m.body(),
        "attributes": {"ApproximateReceiveCount": receive_count.to_string()}, "messageAttributes": attributes,
        "eventSource": "aws:sqs", "awsRegion": "eu-north-1", "eventSourceARN": format!("arn:aws:sqs:eu-north-1:123456789012:{queue}")
    }]})
}

/// The inbound queue and its dead-letter queue, from the republisher's `REDRIVE_PAIRS`.
fn inbound_pair() -> Result<shared::app::republish::RedrivePair, BoxError> {
    shared::app::republish::parse_pairs(&required("REDRIVE_PAIRS")?)?
        .into_iter()
        .next()
        .ok_or_else(|| "REDRIVE_PAIRS names no queues".into())
}

/// One line for a KITH document on the outbox (AppRec or MsgHead), without a national id or a text.
fn describe_kith(body: &str) -> String {
    use shared::kith::msghead::{KithDocument, read_document};
    match read_document(body.as_bytes(), shared::kith::ReadLimits::WITH_ATTACHMENTS) {
        Ok(KithDocument::AppRec(a)) => {
            let errors: Vec<String> = a.errors.iter().map(|(c, t)| format!("{} {t}", c.code())).collect();
            format!("AppRec  answers {:<16} status {} {}", a.original_id, a.status.code(), errors.join("; "))
        }
        Ok(KithDocument::MsgHead(m)) => format!(
            "MsgHead {:<24} {} to HER {} ({} document(s))",
            m.msg_id,
            m.function.code(),
            m.receiver.most_specific_her().unwrap_or("?"),
            m.documents.len()
        ),
        Err(e) => format!("unreadable KITH document: {e}"),
    }
}

/// One line per message toward Helsenorge, without a national id or a body.
fn describe(o: &Outgoing) -> String {
    match &o.message {
        OutMessage::Apprec(a) => {
            let errors: Vec<String> = a.errors.iter().map(|e| format!("{} {}", e.code.as_str(), e.reason)).collect();
            format!("AppRec  answers {:<16} {:?} {}", a.answers_message_id, a.status, errors.join("; "))
        }
        OutMessage::DialogMessage { message_id, citizen, subject, .. } => {
            format!("Message {message_id:<24} to {citizen} \"{subject}\"")
        }
        OutMessage::ReplyResult(r) => format!("Result  reply {:<18} {:?} {}", r.reply_id, r.outcome, r.message),
        OutMessage::Wire(w) => {
            let attr = |k: &str| w.attributes.iter().find(|(n, _)| n == k).map_or("", |(_, v)| v.as_str());
            format!("KITH    {:<24} {} to HER {}", attr("messageId"), attr("messageFunction"), attr("toHerId"))
        }
    }
}
