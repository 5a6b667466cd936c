//! helsenorge-peer: Helsenorge's side of the Tjenestebuss for `make demo` (e2e::peer), over the
//! local RabbitMQ (`RABBITMQ_PORT`) and moto (`AWS_ENDPOINT_URL`). A run's keys live in DIR.
//!
//! ```text
//! helsenorge-peer keys DIR PREFIX INBOUND_URL TO_HELSENORGE_URL  test keys; ours into Secrets
//!                                               Manager as PREFIX…; DIR/bridge.env for the bridge
//! helsenorge-peer send DIR EVENT_FILE           each record of an SQS event file (body and
//!                                               transport attributes), signed, encrypted, sent
//! helsenorge-peer receive DIR FUNCTION [SECS]   waits on 90002_async for FUNCTION, verifies our
//!                                               signature, prints what it is (no personal data)
//! ```

use std::path::Path;
use std::time::Duration;

use e2e::peer::{self, BridgeEnv, Route, RunKeys};
use helsenorge_bridge::amqp::AmqpOutbox;
use shared::kith::msghead::{KithDocument, read_document};
use shared::ports_transport::{AmqpSender, MessageProtection};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).map(String::as_str).ok_or_else(|| format!("argument {i} missing; see the doc comment"));
    let result = match args.first().map(String::as_str) {
        Some("keys") => keys(Path::new(arg(1).unwrap_or_default()), &args[2..]).await,
        Some("send") => match arg(2) {
            Ok(file) => send(Path::new(&args[1]), file).await,
            Err(e) => Err(e),
        },
        Some("receive") => match arg(2) {
            Ok(function) => receive(Path::new(&args[1]), function, args.get(3).and_then(|s| s.parse().ok()).unwrap_or(60)).await,
            Err(e) => Err(e),
        },
        _ => Err("usage: helsenorge-peer keys|send|receive … (see tests/peer_main.rs)".into()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("helsenorge-peer: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn keys(dir: &Path, rest: &[String]) -> Result<(), String> {
    let [prefix, inbound, outbound] = rest else { return Err("keys DIR PREFIX INBOUND_URL TO_HELSENORGE_URL".into()) };
    let keys = RunKeys::new()?;
    keys.save(dir)?;
    let sdk = e2e::stack::sdk_config().await;
    let (signing, decryption) = (format!("{prefix}bridge-signing"), format!("{prefix}bridge-decryption"));
    peer::put_secret(&sdk, &signing, &keys.us.signing).await?;
    peer::put_secret(&sdk, &decryption, &keys.us.encryption).await?;
    let route = Route::ekontakt();
    let her: u64 = route.from_her_id.parse().map_err(|_| "HER-id")?;
    let env = BridgeEnv {
        signing_secret: &signing,
        decryption_secret: &decryption,
        profiles: peer::profiles_config(her, &route.cpa_id, &keys.hn),
        inbound_queue_url: inbound,
        to_helsenorge_queue_url: outbound,
    };
    // Single-quoted for `set -a; . bridge.env`: the values hold no single quote (JSON, URLs, names).
    let text: String = env.vars().iter().map(|(k, v)| format!("{k}='{v}'\n")).collect();
    std::fs::write(dir.join("bridge.env"), text).map_err(|e| e.to_string())?;
    println!("peer: test CA, Helsenorge's and our signing + encryption certificates made now; ours in Secrets Manager ({signing}, {decryption})");
    Ok(())
}

/// Body and string attributes of each record of an SQS event file.
fn records(file: &str) -> Result<Vec<(String, serde_json::Value)>, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
    let event: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("{file}: {e}"))?;
    let records = event["Records"].as_array().ok_or(format!("{file}: no Records"))?;
    Ok(records.iter().map(|r| (r["body"].as_str().unwrap_or_default().to_string(), r["messageAttributes"].clone())).collect())
}

async fn send(dir: &Path, file: &str) -> Result<(), String> {
    let keys = RunKeys::load(dir)?;
    let hn = keys.hn.protection();
    let outbox = AmqpOutbox::new(peer::settings("send"));
    for (body, attrs) in records(file)? {
        let attr = |n: &str| attrs[n]["stringValue"].as_str().map(str::to_string).ok_or(format!("{file}: attribute {n} missing"));
        let route = Route { from_her_id: attr("fromHerId")?, to_her_id: attr("toHerId")?, function: attr("messageFunction")?, cpa_id: attr("cpaId")? };
        let id = attr("messageId")?;
        let sealed = hn.protect(body.as_bytes(), &keys.us.encryption.cert_der()).map_err(|e| e.to_string())?;
        let size = sealed.len();
        let m = peer::message(&id, &route, sealed);
        outbox.send(&format!("{}_async", route.to_her_id), &m).await.map_err(|e| e.to_string())?;
        println!(
            "peer sent {id} ({}) from HER {} to {}_async over AMQP (signed + encrypted CMS, {size} bytes; the MsgHead {} bytes); the broker accepted it",
            route.function,
            route.from_her_id,
            route.to_her_id,
            body.len()
        );
    }
    Ok(())
}

async fn receive(dir: &Path, function: &str, seconds: u64) -> Result<(), String> {
    let keys = RunKeys::load(dir)?;
    let hn = keys.hn.protection();
    let queue = format!("{}_async", Route::ekontakt().from_her_id);
    let mut rx = peer::listen(&queue);
    let ours = keys.us.signing.cert_der();
    // Left over from an earlier run (other keys) or another function: skipped.
    let picked = peer::next_within(&mut rx, Duration::from_secs(seconds), |m| {
        m.subject.as_deref() == Some(function) && hn.unprotect(&m.body, &ours).is_ok()
    })
    .await
    .ok_or(format!("no {function} signed by us on {queue} within {seconds} s"))?;
    let xml = hn.unprotect(&picked.body, &ours).map_err(|e| e.to_string())?;
    let what = match read_document(&xml, shared::kith::ReadLimits::WITH_ATTACHMENTS) {
        Ok(KithDocument::AppRec(a)) => format!("AppRec status {} for {}", a.status.code(), a.original_id),
        Ok(KithDocument::MsgHead(m)) => format!("MsgHead {} ({} document(s))", m.msg_id, m.documents.len()),
        Err(e) => return Err(format!("not a KITH document: {e}")),
    };
    println!(
        "peer received {function} {} from HER {} on {queue} ({} bytes of CMS): signature verified (our signing certificate), decrypted: {what}",
        picked.message_id.as_deref().unwrap_or("-"),
        picked.app("fromHerId").as_deref().unwrap_or("-"),
        picked.body.len()
    );
    Ok(())
}
