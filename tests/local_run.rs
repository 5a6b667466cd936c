//! Running the functions locally, as the README's manual sections do: a function that cannot
//! start fails its invocation at once with the reason (it does not leave the invoker waiting),
//! and the environment a local run gets never aims at a deployed (production) endpoint.

use std::process::Command;
use std::time::{Duration, Instant};

use e2e::sqs::{http_event, sqs_event};
use e2e::stack::{endpoint, root};
use e2e::{LocalLambda, LocalStack};
use serde_json::Value;

/// Longer than a start-up takes (tens of ms), far shorter than "waits for ever".
const FAST: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_function_that_cannot_start_fails_its_invocation_within_seconds_with_the_reason() {
    let stack = LocalStack::provision("nostart");
    // status-icon reads the HelseID key at init: this stack has no such secret.
    let mut icon_env = stack.function_env("StatusIconFunction");
    icon_env.insert("HELSEID_KEY_SECRET_NAME".into(), format!("{}no-such-key", stack.prefix));
    // inbound-message reads its configuration at init: a variable is missing.
    let mut inbound_env = stack.function_env("InboundMessageFunction");
    inbound_env.remove("MESSAGES_TABLE");
    let cases = [
        ("status-icon", icon_env, http_event("/status-icon", r#"{"nationalId":"30108299920"}"#), "HelseID key secret"),
        ("inbound-message", inbound_env, sqs_event(&[("m1", "{}".to_string())]), "MESSAGES_TABLE"),
    ];
    for (name, env, event, named) in cases {
        let lambda = LocalLambda::start(name, &env).await;
        let started = Instant::now();
        let outcome = lambda.try_invoke_within(event, FAST).await;
        let Some(Err(report)) = outcome else {
            panic!("{name}: expected a start-up error within {FAST:?}, got {outcome:?}; logs:\n{}", lambda.logs());
        };
        let message = report["errorMessage"].as_str().unwrap_or_default();
        assert!(message.contains(named), "{name}: the reason names {named}: {report}");
        assert_eq!(report["errorType"], "Runtime.InitError", "{name}: {report}");
        // A later invocation fails the same way, as Lambda's would until the cause is fixed.
        assert!(matches!(lambda.try_invoke_within(Value::Null, FAST).await, Some(Err(_))), "{name}: second invoke");
        assert!(started.elapsed() < FAST, "{name}");
        assert!(lambda.logs().contains("the function cannot start"), "{name}: logged: {}", lambda.logs());
        lambda.stop().await;
    }
}

/// Hosts a local run may name (tools/stack.py LOCAL_HOSTS).
const LOCAL: [&str; 4] = ["127.0.0.1", "localhost", "::1", "host.docker.internal"];

/// The hosts of every URL in a text (`scheme://host[:port]/…`).
fn url_hosts(text: &str) -> Vec<String> {
    text.match_indices("://")
        .map(|(i, _)| {
            let rest = &text[i + 3..];
            let authority = rest.split(['/', '"', ',', '=', '\n', ' ']).next().unwrap_or_default();
            match authority.strip_prefix('[') {
                Some(v6) => v6.split(']').next().unwrap_or_default().to_string(),
                None => authority.split(':').next().unwrap_or_default().to_string(),
            }
        })
        .collect()
}

fn stack_py(args: &[&str]) -> std::process::Output {
    Command::new(root().join(".venv/bin/python"))
        .arg(root().join("tools/stack.py"))
        .args(args)
        .env("AWS_ENDPOINT_URL", endpoint())
        .output()
        .expect("run tools/stack.py (make venv installs it)")
}

#[test]
fn the_local_function_environment_names_no_production_host() {
    for format in ["dotenv", "json", "sam"] {
        let out = stack_py(&["env", "all", "--format", format]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let text = String::from_utf8_lossy(&out.stdout);
        let hosts = url_hosts(&text);
        assert!(hosts.iter().any(|h| h == "127.0.0.1"), "{format}: the env names the local stack: {text}");
        for host in hosts {
            assert!(LOCAL.contains(&host.as_str()), "{format}: a local env names {host}:\n{text}");
        }
        assert!(text.contains("HELSENORGE_AKTIV_BASE_URL"), "{format}: NHN's endpoint is set (to the fake)");
    }
    // Pointing a local run at production by hand is refused, naming the variable.
    let out = stack_py(&["env", "all", "--set", "HELSENORGE_AKTIV_BASE_URL=https://api.helsenorge.no"]);
    assert!(!out.status.success(), "a production URL in a local env is refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("HELSENORGE_AKTIV_BASE_URL"));
}

#[test]
fn url_hosts_finds_each_host() {
    let text = "A=\"https://api.helsenorge.no\"\nB=\"http://127.0.0.1:4566/1/q=http://[::1]:9/x,http://h:1\"";
    assert_eq!(url_hosts(text), ["api.helsenorge.no", "127.0.0.1", "::1", "h"]);
}
