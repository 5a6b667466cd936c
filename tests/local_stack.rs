//! The local stack matches template.yaml: every declared queue and table exists on moto with the
//! declared keys, indexes, TTL, encryption and redrive policy. The template is read here with a
//! YAML parser of its own, independent of `tools/stack.py`, so a provisioning bug shows.

use std::collections::BTreeMap;

use aws_sdk_sqs::types::QueueAttributeName;
use e2e::LocalStack;
use e2e::stack::{root, sdk_config};
use serde_norway::Value;

fn template() -> Value {
    let text = std::fs::read_to_string(root().join("template.yaml")).expect("read template.yaml");
    serde_norway::from_str(&text).expect("template.yaml is YAML")
}

fn resources(t: &Value, kind: &str) -> BTreeMap<String, Value> {
    t["Resources"]
        .as_mapping()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"].as_str() == Some(kind))
        .map(|(k, r)| (k.as_str().expect("logical id").to_string(), r["Properties"].clone()))
        .collect()
}

/// `!GetAtt X.Arn` -> X
fn get_att_target(v: &Value) -> String {
    match v {
        Value::Tagged(t) if t.tag == "GetAtt" => {
            t.value.as_str().expect("GetAtt string").split('.').next().expect("logical").to_string()
        }
        other => panic!("expected !GetAtt, got {other:?}"),
    }
}

fn num(v: &Value) -> String {
    match v {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => panic!("expected a number, got {other:?}"),
    }
}

#[tokio::test]
async fn local_stack_has_every_queue_of_the_template_with_its_redrive_policy() {
    let t = template();
    let stack = LocalStack::provision("queues");
    let sqs = aws_sdk_sqs::Client::new(&sdk_config().await);
    let declared = resources(&t, "AWS::SQS::Queue");
    assert!(declared.len() >= 12, "template declares the queues");
    assert_eq!(declared.len(), stack.queues.len(), "one local queue per declared queue");

    for (logical, props) in &declared {
        let attrs = sqs
            .get_queue_attributes()
            .queue_url(stack.queue(logical))
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{logical} exists on moto: {e}"))
            .attributes
            .unwrap_or_default();
        let get = |n: QueueAttributeName| attrs.get(&n).cloned().unwrap_or_default();
        assert_eq!(get(QueueAttributeName::SqsManagedSseEnabled), "true", "{logical} is encrypted");
        for (key, attr) in [
            ("VisibilityTimeout", QueueAttributeName::VisibilityTimeout),
            ("MessageRetentionPeriod", QueueAttributeName::MessageRetentionPeriod),
        ] {
            if let Some(v) = props.get(key) {
                assert_eq!(get(attr), num(v), "{logical} {key}");
            }
        }
        match props.get("RedrivePolicy") {
            Some(rp) => {
                let live: serde_json::Value =
                    serde_json::from_str(&get(QueueAttributeName::RedrivePolicy)).expect("redrive JSON");
                let target = get_att_target(&rp["deadLetterTargetArn"]);
                let want_arn_suffix = format!(":{}{}", stack.prefix, target);
                assert!(
                    live["deadLetterTargetArn"].as_str().unwrap_or("").ends_with(&want_arn_suffix),
                    "{logical} redrives to {target}"
                );
                assert_eq!(live["maxReceiveCount"].to_string(), num(&rp["maxReceiveCount"]), "{logical}");
            }
            None => assert!(get(QueueAttributeName::RedrivePolicy).is_empty(), "{logical} has no redrive"),
        }
    }
}

#[tokio::test]
async fn local_stack_has_every_table_of_the_template_with_keys_indexes_ttl_and_encryption() {
    let t = template();
    let stack = LocalStack::provision("tables");
    let ddb = aws_sdk_dynamodb::Client::new(&sdk_config().await);
    let declared = resources(&t, "AWS::DynamoDB::Table");
    assert!(declared.len() >= 5, "template declares the tables");
    assert_eq!(declared.len(), stack.tables.len());

    for (logical, props) in &declared {
        let name = stack.table(logical);
        let table = ddb
            .describe_table()
            .table_name(name)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{logical} exists on moto: {e}"))
            .table
            .expect("table description");

        let keys = |schema: &Value| -> Vec<(String, String)> {
            schema
                .as_sequence()
                .expect("KeySchema")
                .iter()
                .map(|k| {
                    (
                        k["AttributeName"].as_str().expect("name").to_string(),
                        k["KeyType"].as_str().expect("type").to_string(),
                    )
                })
                .collect()
        };
        let live_keys: Vec<(String, String)> = table
            .key_schema()
            .iter()
            .map(|k| (k.attribute_name().to_string(), k.key_type().as_str().to_string()))
            .collect();
        assert_eq!(live_keys, keys(&props["KeySchema"]), "{logical} key schema");

        let declared_gsis = props.get("GlobalSecondaryIndexes").and_then(Value::as_sequence);
        let live_gsis = table.global_secondary_indexes();
        assert_eq!(live_gsis.len(), declared_gsis.map_or(0, Vec::len), "{logical} GSI count");
        for gsi in declared_gsis.into_iter().flatten() {
            let name = gsi["IndexName"].as_str().expect("IndexName");
            let live = live_gsis
                .iter()
                .find(|g| g.index_name() == Some(name))
                .unwrap_or_else(|| panic!("{logical} has GSI {name}"));
            let live_keys: Vec<(String, String)> = live
                .key_schema()
                .iter()
                .map(|k| (k.attribute_name().to_string(), k.key_type().as_str().to_string()))
                .collect();
            assert_eq!(live_keys, keys(&gsi["KeySchema"]), "{logical}.{name} keys");
            let projection = live.projection().and_then(|p| p.projection_type()).map(|p| p.as_str());
            assert_eq!(projection, gsi["Projection"]["ProjectionType"].as_str(), "{logical}.{name}");
        }

        let sse = table.sse_description().and_then(|s| s.status()).map(|s| s.as_str().to_string());
        assert_eq!(props["SSESpecification"]["SSEEnabled"].as_bool(), Some(true), "{logical} SSE declared");
        assert_eq!(sse.as_deref(), Some("ENABLED"), "{logical} is encrypted on the stack");

        let billing = table.billing_mode_summary().and_then(|b| b.billing_mode()).map(|b| b.as_str());
        assert_eq!(billing, props["BillingMode"].as_str(), "{logical} billing mode");

        let ttl = ddb
            .describe_time_to_live()
            .table_name(name)
            .send()
            .await
            .expect("describe TTL")
            .time_to_live_description
            .expect("TTL description");
        match props.get("TimeToLiveSpecification") {
            Some(spec) => {
                assert_eq!(ttl.attribute_name(), spec["AttributeName"].as_str(), "{logical} TTL attribute");
                assert_eq!(ttl.time_to_live_status().map(|s| s.as_str()), Some("ENABLED"), "{logical} TTL");
            }
            None => assert_ne!(ttl.time_to_live_status().map(|s| s.as_str()), Some("ENABLED"), "{logical}"),
        }
        assert_eq!(
            props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(),
            Some(true),
            "{logical} declares point-in-time recovery"
        );
    }
}

#[tokio::test]
async fn provisioning_twice_is_harmless() {
    let first = LocalStack::provision("twice");
    let root = root();
    let out = std::process::Command::new(root.join(".venv/bin/python"))
        .arg(root.join("tools/stack.py"))
        .args(["provision", "--quiet", "--prefix", &first.prefix])
        .output()
        .expect("run stack.py");
    assert!(out.status.success(), "second provision: {}", String::from_utf8_lossy(&out.stderr));
    let second: LocalStack = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(first.queues, second.queues);
    assert_eq!(first.tables, second.tables);
}

#[tokio::test]
async fn function_environment_names_the_provisioned_resources() {
    let stack = LocalStack::provision("fnenv");
    let env = stack.function_env("InboundMessageFunction");
    assert_eq!(env["MESSAGES_TABLE"], stack.table("MessagesTable"));
    assert_eq!(env["TO_HELSENORGE_QUEUE_URL"], stack.queue("ToHelsenorgeQueue"));
    assert_eq!(env["NATIONAL_ID_MODE"], "production", "Globals reach every function");
}

/// Every logical id a YAML value refers to (`!Ref X`, `!GetAtt X.Y`, `${X}` in `!Sub`).
fn refs(v: &Value, out: &mut std::collections::BTreeSet<String>) {
    match v {
        Value::Tagged(t) => {
            let inner = &t.value;
            match (t.tag.to_string().trim_start_matches('!'), inner) {
                ("Ref", Value::String(s)) => {
                    out.insert(s.clone());
                }
                ("GetAtt", Value::String(s)) => {
                    out.insert(s.split('.').next().unwrap_or_default().to_string());
                }
                ("Sub", Value::String(s)) => {
                    for part in s.split("${").skip(1) {
                        let name = part.split('}').next().unwrap_or_default();
                        out.insert(name.split('.').next().unwrap_or_default().to_string());
                    }
                }
                _ => refs(inner, out),
            }
        }
        Value::Mapping(m) => m.values().for_each(|x| refs(x, out)),
        Value::Sequence(s) => s.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// Least privilege and encryption, read from template.yaml: every queue and table encrypted,
/// tables with point-in-time recovery, no wildcard resources, and each function's policies name
/// only queues and tables it is configured with (its environment) or triggered by.
#[test]
fn template_is_least_privilege_and_encrypted_at_rest() {
    let t = template();
    let queues = resources(&t, "AWS::SQS::Queue");
    let tables = resources(&t, "AWS::DynamoDB::Table");
    for (name, p) in &queues {
        assert_eq!(p["SqsManagedSseEnabled"].as_bool(), Some(true), "{name} encrypted");
    }
    for (name, p) in &tables {
        assert_eq!(p["SSESpecification"]["SSEEnabled"].as_bool(), Some(true), "{name} encrypted");
        assert_eq!(p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"].as_bool(), Some(true), "{name} PITR");
    }
    let functions = resources(&t, "AWS::Serverless::Function");
    assert_eq!(functions.len(), 7, "six message functions and epj-api");
    for (name, p) in &functions {
        let mut used = std::collections::BTreeSet::new();
        refs(&p["Environment"], &mut used);
        refs(&p["Events"], &mut used);
        let mut granted = std::collections::BTreeSet::new();
        refs(&p["Policies"], &mut granted);
        let text = serde_norway::to_string(&p["Policies"]).unwrap();
        assert!(!text.contains("'*'") && !text.contains("\"*\"") && !text.contains("Resource: '*'"), "{name}: no wildcard resources");
        for r in &granted {
            let is_resource = queues.contains_key(r) || tables.contains_key(r);
            if is_resource {
                assert!(used.contains(r), "{name} is granted {r} but neither configured with it nor triggered by it");
            }
        }
        assert!(granted.iter().any(|r| queues.contains_key(r) || tables.contains_key(r)), "{name} has scoped policies");
    }
}

/// The hours and minutes a daily `cron(M H * * ? *)` fires at (lists like `0,30` allowed).
fn daily_cron_times(expr: &str) -> Vec<(i8, i8)> {
    let fields: Vec<&str> = expr.trim_start_matches("cron(").trim_end_matches(')').split_whitespace().collect();
    assert_eq!(fields.len(), 6, "{expr}: six cron fields");
    assert!(fields[2..].iter().all(|f| matches!(*f, "*" | "?")), "{expr}: a daily schedule");
    let list = |f: &str| -> Vec<i8> { f.split(',').map(|n| n.parse().unwrap_or_else(|_| panic!("{expr}: {f}"))).collect() };
    let (minutes, hours) = (list(fields[0]), list(fields[1]));
    hours.iter().flat_map(|h| minutes.iter().map(move |m| (*h, *m))).collect()
}

/// R-CIT-3: EventBridge Scheduler skips a run whose local time does not exist (the spring DST
/// gap) and a time in the autumn's repeated hour is ambiguous, so every time-of-day schedule in
/// the template must name a time that exists exactly once on every day, 2026-2040.
#[test]
fn r_cit_3_every_scheduled_local_time_exists_once_on_every_day_2026_to_2040() {
    let t = template();
    let mut checked = vec![];
    for (name, f) in resources(&t, "AWS::Serverless::Function") {
        let Some(events) = f["Events"].as_mapping() else { continue };
        for (_, ev) in events.iter().filter(|(_, e)| e["Type"].as_str() == Some("ScheduleV2")) {
            let p = &ev["Properties"];
            let expr = match &p["ScheduleExpression"] {
                Value::Tagged(tag) if tag.tag == "Ref" => {
                    let param = tag.value.as_str().expect("Ref names a parameter");
                    t["Parameters"][param]["Default"].as_str().expect("a default").to_string()
                }
                v => v.as_str().expect("a schedule expression").to_string(),
            };
            if expr.starts_with("rate(") {
                continue; // elapsed time, not a local time of day
            }
            assert_eq!(p["ScheduleExpressionTimezone"].as_str(), Some("Europe/Oslo"), "{name}");
            let oslo = shared::domain::appointment::oslo();
            for (h, m) in daily_cron_times(&expr) {
                let mut day = jiff::civil::date(2026, 1, 1);
                while day <= jiff::civil::date(2040, 12, 31) {
                    let offset = oslo.to_ambiguous_timestamp(day.at(h, m, 0, 0)).offset();
                    assert!(
                        matches!(offset, jiff::tz::AmbiguousOffset::Unambiguous { .. }),
                        "{name}: {expr} at {h:02}:{m:02} on {day} is {offset:?} in Europe/Oslo"
                    );
                    day = day.tomorrow().expect("a next day");
                }
            }
            checked.push(format!("{name} {expr}"));
        }
    }
    assert!(checked.iter().any(|c| c.starts_with("ConsentSyncFunction")), "the nightly sync was checked: {checked:?}");
    println!("schedules checked for every day 2026-2040: {checked:?}");
}
