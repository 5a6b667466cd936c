//! The bridge's configuration, read once at start-up from the environment (docs/transport.md
//! §4.5; README "Helsenorge bridge"). A missing or malformed variable is a clear error.

use std::time::Duration;

use shared::domain::transport::Queues;

use crate::amqp::{AmqpSettings, RetryOutcome};

/// Everything the bridge needs.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// The broker.
    pub amqp: AmqpSettings,
    /// Our HER-ids (the receivers we accept messages for).
    pub our_her_ids: Vec<u64>,
    /// Our queues (receive on `asynchronous`, read `error`; `reply-to` on what we send).
    pub our_queues: Queues,
    /// Secrets (name or ARN) holding our signing pair, decryption pair and the previous one.
    pub signing_secret: String,
    /// Decryption pair.
    pub decryption_secret: String,
    /// Previous decryption pair, during a rotation.
    pub previous_decryption_secret: Option<String>,
    /// Where counterparts' profiles come from (`PROFILES_SOURCE`).
    pub profiles: ProfilesSource,
    /// InboundQueue.
    pub inbound_queue_url: String,
    /// ToHelsenorgeQueue.
    pub to_helsenorge_queue_url: String,
    /// SQS long poll on ToHelsenorgeQueue, seconds.
    pub outbound_wait_seconds: i32,
}

/// Where counterparts' collaboration profiles come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProfilesSource {
    /// `PROFILES_SOURCE=config` (default): the JSON list in `PROFILES_CONFIG`
    /// (`shared::adapters::profiles_config`).
    Config(String),
    /// `PROFILES_SOURCE=cppa`: NHN's CPPA REST service (`crate::cppa_rest`).
    Cppa(CppaSettings),
}

/// NHN's CPPA REST service and the HelseID client that authenticates us to it (the same
/// `HELSEID_*` variables consent-sync reads).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CppaSettings {
    /// `CPPA_BASE_URL`, e.g. `https://cppa.grunndata.nhn.no` (test: `https://cppa.test.grunndata.nhn.no`).
    pub base_url: String,
    /// `CPPA_CACHE_SECONDS` (default 300, the library's sample `CachingInterval`).
    pub cache_ttl: Duration,
    /// `CPPA_TIMEOUT_MS` (default 5000): one HTTP call.
    pub timeout: Duration,
    /// `HELSEID_TOKEN_URL`.
    pub token_url: String,
    /// `HELSEID_CLIENT_ID`.
    pub client_id: String,
    /// `HELSEID_SCOPE`: the CPPA API's scope as NHN grants it to the client.
    pub scope: String,
    /// `HELSEID_KEY_SECRET_NAME`: the secret with the client's private key (PEM).
    pub key_secret_name: String,
}

/// A variable is missing or wrong.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(String);

impl BridgeConfig {
    /// From the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    }

    /// From any lookup (tests).
    pub fn from_lookup(var: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let need = |k: &str| var(k).ok_or_else(|| ConfigError(format!("{k} is not set")));
        let url = need("AMQP_URL")?;
        let path_namespace = url.split_once("://").and_then(|(_, r)| r.split_once('/')).map(|(_, p)| p.trim_matches('/').to_string());
        let our_her_ids = need("OUR_HER_IDS")?
            .split(',')
            .map(|h| h.trim().parse::<u64>().map_err(|_| ConfigError(format!("OUR_HER_IDS: {h:?} is not a HER-id"))))
            .collect::<Result<Vec<_>, _>>()?;
        let first = *our_her_ids.first().ok_or_else(|| ConfigError("OUR_HER_IDS is empty".into()))?;
        let conventional = Queues::conventional(first);
        let retry = match var("BRIDGE_RETRY_OUTCOME").as_deref() {
            None | Some("released") => RetryOutcome::Released,
            Some("modified") => RetryOutcome::Modified,
            Some(other) => return Err(ConfigError(format!("BRIDGE_RETRY_OUTCOME must be released or modified, not {other:?}"))),
        };
        let number = |k: &str, default: u64| -> Result<u64, ConfigError> {
            var(k).map(|v| v.parse().map_err(|_| ConfigError(format!("{k} must be a number")))).unwrap_or(Ok(default))
        };
        Ok(Self {
            amqp: AmqpSettings {
                url,
                username: need("AMQP_USERNAME")?,
                password: need("AMQP_PASSWORD")?,
                namespace: var("AMQP_NAMESPACE").or(path_namespace).unwrap_or_default(),
                container_id: var("AMQP_CONTAINER_ID").unwrap_or_else(|| format!("helsedialog-bridge-{first}")),
                credit: number("LINK_CREDIT", 10)? as u32,
                retry,
                pause_before_settle: var("BRIDGE_TEST_PAUSE_BEFORE_SETTLE_MS")
                    .map(|v| v.parse().map(Duration::from_millis).map_err(|_| ConfigError("BRIDGE_TEST_PAUSE_BEFORE_SETTLE_MS".into())))
                    .transpose()?,
            },
            our_queues: Queues {
                asynchronous: var("OUR_ASYNC_QUEUE").unwrap_or(conventional.asynchronous),
                synchronous: var("OUR_SYNC_QUEUE").unwrap_or(conventional.synchronous),
                error: var("OUR_ERROR_QUEUE").unwrap_or(conventional.error),
            },
            our_her_ids,
            signing_secret: need("SIGNING_KEY_SECRET")?,
            decryption_secret: need("DECRYPTION_KEY_SECRET")?,
            previous_decryption_secret: var("PREVIOUS_DECRYPTION_KEY_SECRET"),
            profiles: match var("PROFILES_SOURCE").as_deref() {
                None | Some("config") => ProfilesSource::Config(need("PROFILES_CONFIG")?),
                Some("cppa") => ProfilesSource::Cppa(CppaSettings {
                    base_url: need("CPPA_BASE_URL")?,
                    cache_ttl: Duration::from_secs(number("CPPA_CACHE_SECONDS", 300)?),
                    timeout: Duration::from_millis(number("CPPA_TIMEOUT_MS", 5000)?),
                    token_url: need("HELSEID_TOKEN_URL")?,
                    client_id: need("HELSEID_CLIENT_ID")?,
                    scope: need("HELSEID_SCOPE")?,
                    key_secret_name: need("HELSEID_KEY_SECRET_NAME")?,
                }),
                Some(other) => return Err(ConfigError(format!("PROFILES_SOURCE must be config or cppa, not {other:?}"))),
            },
            inbound_queue_url: need("INBOUND_QUEUE_URL")?,
            to_helsenorge_queue_url: need("TO_HELSENORGE_QUEUE_URL")?,
            outbound_wait_seconds: number("OUTBOUND_WAIT_SECONDS", 20)? as i32,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(extra: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let mut vars: std::collections::HashMap<String, String> = [
            ("AMQP_URL", "amqps://sb.test.nhn.no:5671/NHNTestServiceBus"),
            ("AMQP_USERNAME", "u"),
            ("AMQP_PASSWORD", "p"),
            ("OUR_HER_IDS", "80115, 80116"),
            ("SIGNING_KEY_SECRET", "s"),
            ("DECRYPTION_KEY_SECRET", "d"),
            ("PROFILES_CONFIG", "[]"),
            ("INBOUND_QUEUE_URL", "in"),
            ("TO_HELSENORGE_QUEUE_URL", "out"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        move |k| vars.get(k).cloned()
    }

    #[test]
    fn r_tr_6_namespace_from_the_url_and_conventional_queues() {
        let c = BridgeConfig::from_lookup(env(&[])).unwrap();
        assert_eq!(c.amqp.namespace, "NHNTestServiceBus");
        assert_eq!(c.our_her_ids, vec![80115, 80116]);
        assert_eq!(c.our_queues, Queues::conventional(80115));
        assert_eq!(c.amqp.retry, RetryOutcome::Released);
        assert_eq!(c.amqp.pause_before_settle, None);
    }

    #[test]
    fn r_tr_4_retry_outcome_is_configurable_and_checked() {
        let c = BridgeConfig::from_lookup(env(&[("BRIDGE_RETRY_OUTCOME", "modified")])).unwrap();
        assert_eq!(c.amqp.retry, RetryOutcome::Modified);
        assert!(BridgeConfig::from_lookup(env(&[("BRIDGE_RETRY_OUTCOME", "dropped")])).is_err());
    }

    #[test]
    fn r_tr_7_profiles_from_configuration_by_default_or_from_cppa_when_chosen() {
        assert_eq!(BridgeConfig::from_lookup(env(&[])).unwrap().profiles, ProfilesSource::Config("[]".into()));
        let cppa = [
            ("PROFILES_SOURCE", "cppa"),
            ("CPPA_BASE_URL", "https://cppa.test.grunndata.nhn.no"),
            ("HELSEID_TOKEN_URL", "https://helseid-sts.test.nhn.no/connect/token"),
            ("HELSEID_CLIENT_ID", "c"),
            ("HELSEID_SCOPE", "nhn:cppa/access"),
            ("HELSEID_KEY_SECRET_NAME", "k"),
        ];
        match BridgeConfig::from_lookup(env(&cppa)).unwrap().profiles {
            ProfilesSource::Cppa(c) => {
                assert_eq!((c.base_url.as_str(), c.cache_ttl, c.client_id.as_str()), ("https://cppa.test.grunndata.nhn.no", Duration::from_secs(300), "c"));
            }
            other => panic!("CPPA chosen, not {other:?}"),
        }
        assert!(BridgeConfig::from_lookup(env(&cppa[..5])).is_err(), "the HelseID key secret is required");
        assert!(BridgeConfig::from_lookup(env(&[("PROFILES_SOURCE", "ldap")])).is_err());
    }
}
