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
//! ```
//! Table names and queue URLs come from the same environment variables as the functions.

use std::process::ExitCode;

use shared::adapters::aws::AwsClients;
use shared::adapters::aws::dynamo::{Dynamo, Tables};
use shared::app::epj::EpjData;
use shared::config::required;
use shared::domain::message::{Outgoing, OutMessage};
use shared::domain::{NationalId, ServiceKey};
use shared::ports::{AppointmentStore, MessageStore, OutboundStore};

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
    let aws = AwsClients::from_env().await;
    let store = Dynamo::new(aws.dynamodb.clone(), tables());
    let arg = |i: usize| args.get(i).map(String::as_str).ok_or("missing argument (see --help)");
    match args.first().map(String::as_str) {
        Some("load") => {
            let data: EpjData = serde_json::from_str(&std::fs::read_to_string(arg(1)?)?)?;
            store.load_epj(&data).await?;
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
            for a in store.plan(&citizen, &service).await? {
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
        Some(which @ ("outbox" | "epj-results")) => {
            let url = required(if which == "outbox" { "TO_HELSENORGE_QUEUE_URL" } else { "EPJ_RESULTS_QUEUE_URL" })?;
            loop {
                let out = aws.sqs.receive_message().queue_url(&url).max_number_of_messages(10).send().await?;
                let msgs = out.messages.unwrap_or_default();
                if msgs.is_empty() {
                    break;
                }
                for m in msgs {
                    let o: Outgoing = serde_json::from_str(m.body().unwrap_or("{}"))?;
                    println!("{}", describe(&o));
                    if let Some(h) = m.receipt_handle() {
                        aws.sqs.delete_message().queue_url(&url).receipt_handle(h).send().await?;
                    }
                }
            }
        }
        _ => {
            println!("usage: helsedialog-admin load FILE | journal NATIONAL_ID | inbox DEPARTMENT | plan NATIONAL_ID DEPT TYPE | replies NATIONAL_ID | outbox | epj-results");
        }
    }
    Ok(())
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
    }
}
