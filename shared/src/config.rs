//! Configuration, read once at start-up from environment variables (set by template.yaml in
//! Lambda and by `tools/stack.py env` locally). A missing or malformed variable is a clear error.

use std::env;

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    /// A required variable is not set.
    #[error("environment variable {0} is not set")]
    Missing(&'static str),
    /// A variable is set but its value is not usable.
    #[error("environment variable {name} is invalid: {reason}")]
    Invalid {
        /// The variable's name.
        name: &'static str,
        /// What is wrong with it (never the value itself).
        reason: &'static str,
    },
}

/// Reads a required, non-empty variable.
pub fn required(name: &'static str) -> Result<String, ConfigError> {
    match env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v),
        _ => Err(ConfigError::Missing(name)),
    }
}

/// Reads an optional variable parsed with `FromStr`, falling back to `default` when unset.
pub fn parsed_or<T: std::str::FromStr>(
    name: &'static str,
    default: T,
) -> Result<T, ConfigError> {
    match env::var(name) {
        Ok(v) if !v.trim().is_empty() => v.trim().parse().map_err(|_| ConfigError::Invalid {
            name,
            reason: "not a valid value",
        }),
        _ => Ok(default),
    }
}

/// The DynamoDB tables, by name. A function reads only those it uses; the others stay empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tables {
    /// `MESSAGES_TABLE`.
    pub messages: String,
    /// `CITIZENS_TABLE`.
    pub citizens: String,
    /// `ACTIVATIONS_TABLE`.
    pub activations: String,
    /// `APPOINTMENTS_TABLE`.
    pub appointments: String,
    /// `OPERATIONS_TABLE`.
    pub operations: String,
}

impl Tables {
    /// All five tables, for a function that uses every one (inbound-message, epj-api).
    pub fn all_from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            messages: required("MESSAGES_TABLE")?,
            citizens: required("CITIZENS_TABLE")?,
            activations: required("ACTIVATIONS_TABLE")?,
            appointments: required("APPOINTMENTS_TABLE")?,
            operations: required("OPERATIONS_TABLE")?,
        })
    }
}

/// inbound-message's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundConfig {
    /// Tables it reads and writes.
    pub tables: Tables,
    /// `TO_HELSENORGE_QUEUE_URL`: where AppRecs and return messages go.
    pub to_helsenorge_queue_url: String,
    /// `INBOUND_QUEUE_NAME`: the source queue, for dead-letter records.
    pub source_queue: String,
    /// `NATIONAL_ID_MODE`: production (default) or test.
    pub id_mode: crate::domain::IdMode,
    /// `BATCH_CONCURRENCY`: records processed at once (default 8).
    pub concurrency: usize,
}

impl InboundConfig {
    /// Reads the configuration; a missing variable is a clear error at start-up.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            tables: Tables::all_from_env()?,
            to_helsenorge_queue_url: required("TO_HELSENORGE_QUEUE_URL")?,
            source_queue: required("INBOUND_QUEUE_NAME")?,
            id_mode: parsed_or("NATIONAL_ID_MODE", crate::domain::IdMode::Production)?,
            concurrency: parsed_or("BATCH_CONCURRENCY", 8usize)?,
        })
    }
}

/// outbound-reply's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundConfig {
    /// Tables it reads and writes.
    pub tables: Tables,
    /// `TO_HELSENORGE_QUEUE_URL`: where replies go.
    pub to_helsenorge_queue_url: String,
    /// `EPJ_RESULTS_QUEUE_URL`: where results (sent / refused) go.
    pub epj_results_queue_url: String,
    /// `OUTBOUND_QUEUE_NAME`: the source queue, for dead-letter records.
    pub source_queue: String,
    /// `NATIONAL_ID_MODE`: production (default) or test.
    pub id_mode: crate::domain::IdMode,
    /// `BATCH_CONCURRENCY`: records processed at once (default 8).
    pub concurrency: usize,
    /// `RECEIPT_DEADLINE_MINUTES`: a reply without AppRec after this long is Missing (R-OUT-3).
    pub receipt_deadline: jiff::SignedDuration,
}

impl OutboundConfig {
    /// Reads the configuration; a missing variable is a clear error at start-up.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            tables: Tables {
                messages: required("MESSAGES_TABLE")?,
                citizens: required("CITIZENS_TABLE")?,
                activations: required("ACTIVATIONS_TABLE")?,
                appointments: String::new(),
                operations: required("OPERATIONS_TABLE")?,
            },
            to_helsenorge_queue_url: required("TO_HELSENORGE_QUEUE_URL")?,
            epj_results_queue_url: required("EPJ_RESULTS_QUEUE_URL")?,
            source_queue: required("OUTBOUND_QUEUE_NAME")?,
            id_mode: parsed_or("NATIONAL_ID_MODE", crate::domain::IdMode::Production)?,
            concurrency: parsed_or("BATCH_CONCURRENCY", 8usize)?,
            receipt_deadline: receipt_deadline()?,
        })
    }
}

/// `RECEIPT_DEADLINE_MINUTES` (default 60), as a duration.
pub fn receipt_deadline() -> Result<jiff::SignedDuration, ConfigError> {
    let minutes: i64 = parsed_or("RECEIPT_DEADLINE_MINUTES", 60)?;
    if minutes <= 0 {
        return Err(ConfigError::Invalid { name: "RECEIPT_DEADLINE_MINUTES", reason: "must be at least 1" });
    }
    Ok(jiff::SignedDuration::from_mins(minutes))
}

/// status-icon's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusIconConfig {
    /// `CITIZENS_TABLE`: local history for R-ICON-1 and the last known icon.
    pub citizens_table: String,
    /// `MESSAGES_TABLE`: the journal index, where R-ICON-1's "a message was sent" is read.
    pub messages_table: String,
    /// HelsenorgeAktiv and HelseID.
    pub helsenorge: HelsenorgeConfig,
    /// `LOOKUP_DEADLINE_MS` (default 1000): the deadline on a whole lookup (R-ICON-7).
    pub deadline: std::time::Duration,
    /// `NATIONAL_ID_MODE`: production (default) or test.
    pub id_mode: crate::domain::IdMode,
}

/// Where HelsenorgeAktiv and HelseID are, and who we are to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelsenorgeConfig {
    /// `HELSENORGE_AKTIV_BASE_URL`.
    pub aktiv_base_url: String,
    /// `HELSEID_TOKEN_URL`.
    pub token_url: String,
    /// `HELSEID_CLIENT_ID`.
    pub client_id: String,
    /// `HELSEID_SCOPE` (default `nhn:helsenorge.aktiv`).
    pub scope: String,
    /// `HELSEID_KEY_SECRET_NAME`: the Secrets Manager secret with the private key (PEM).
    pub key_secret_name: String,
}

impl HelsenorgeConfig {
    /// Reads the configuration.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            aktiv_base_url: required("HELSENORGE_AKTIV_BASE_URL")?,
            token_url: required("HELSEID_TOKEN_URL")?,
            client_id: required("HELSEID_CLIENT_ID")?,
            scope: parsed_or("HELSEID_SCOPE", "nhn:helsenorge.aktiv".to_string())?,
            key_secret_name: required("HELSEID_KEY_SECRET_NAME")?,
        })
    }
}

impl StatusIconConfig {
    /// Reads the configuration; a missing variable is a clear error at start-up.
    pub fn from_env() -> Result<Self, ConfigError> {
        let ms: u64 = parsed_or("LOOKUP_DEADLINE_MS", 1000)?;
        if ms == 0 || ms > 10_000 {
            return Err(ConfigError::Invalid { name: "LOOKUP_DEADLINE_MS", reason: "must be 1 to 10000" });
        }
        Ok(Self {
            citizens_table: required("CITIZENS_TABLE")?,
            messages_table: required("MESSAGES_TABLE")?,
            helsenorge: HelsenorgeConfig::from_env()?,
            deadline: std::time::Duration::from_millis(ms),
            id_mode: parsed_or("NATIONAL_ID_MODE", crate::domain::IdMode::Production)?,
        })
    }
}

/// consent-sync's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncConfig {
    /// Tables: citizens, activations, operations.
    pub tables: Tables,
    /// `SYNC_WORK_QUEUE_URL`: where chunks go.
    pub work_queue_url: String,
    /// `ALERTS_QUEUE_URL`: failed chunks are alerted here.
    pub alerts_queue_url: String,
    /// HelsenorgeAktiv and HelseID.
    pub helsenorge: HelsenorgeConfig,
    /// `NHN_TIMEOUT_MS` (default 20000): one HelsenorgeAktiv call of 1000 ids.
    pub nhn_timeout: std::time::Duration,
}

impl SyncConfig {
    /// Reads the configuration; a missing variable is a clear error at start-up.
    pub fn from_env() -> Result<Self, ConfigError> {
        Ok(Self {
            tables: Tables {
                messages: String::new(),
                citizens: required("CITIZENS_TABLE")?,
                activations: required("ACTIVATIONS_TABLE")?,
                appointments: String::new(),
                operations: required("OPERATIONS_TABLE")?,
            },
            work_queue_url: required("SYNC_WORK_QUEUE_URL")?,
            alerts_queue_url: required("ALERTS_QUEUE_URL")?,
            helsenorge: HelsenorgeConfig::from_env()?,
            nhn_timeout: std::time::Duration::from_millis(parsed_or("NHN_TIMEOUT_MS", 20_000u64)?),
        })
    }
}

/// dlq-republisher's and summary-alert's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetterConfig {
    /// `OPERATIONS_TABLE`: recorded errors, parked records, alert history.
    pub operations_table: String,
    /// `ALERTS_QUEUE_URL`.
    pub alerts_queue_url: String,
    /// `REDRIVE_PAIRS`: `dlqUrl=sourceUrl,…` (republisher only; a malformed pair is an error).
    pub redrive_pairs: Vec<RedrivePair>,
    /// `REPUBLISH_BASE_DELAY_SECS` (default 30): the first republish's delay, doubled each time.
    pub base_delay_secs: u32,
    /// `REPUBLISH_MAX_MESSAGES` (default 500): at most this many messages per run.
    pub max_messages: u32,
    /// `SUMMARY_ALL_CLEAR` (default false): send an empty summary when nothing is parked.
    pub all_clear: bool,
}

impl DeadLetterConfig {
    /// Reads the configuration; the republisher also needs the queue variables.
    pub fn from_env(republisher: bool) -> Result<Self, ConfigError> {
        Ok(Self {
            operations_table: required("OPERATIONS_TABLE")?,
            alerts_queue_url: required("ALERTS_QUEUE_URL")?,
            redrive_pairs: if republisher { parse_pairs(&required("REDRIVE_PAIRS")?)? } else { vec![] },
            base_delay_secs: parsed_or("REPUBLISH_BASE_DELAY_SECS", 30)?,
            max_messages: parsed_or("REPUBLISH_MAX_MESSAGES", 500)?,
            all_clear: parsed_or("SUMMARY_ALL_CLEAR", false)?,
        })
    }
}

/// `HELSENORGE_HER_ID` (and optionally `HELSENORGE_PARENT_HER_ID`): Helsenorge's communication
/// party from the CPA, the receiver of every MsgHead outbound-reply writes.
pub fn helsenorge_party() -> Result<crate::kith::Organisation, ConfigError> {
    let her = required("HELSENORGE_HER_ID")?;
    let mut org = crate::kith::Organisation::with_her("Helsenorge", &her);
    if let Ok(parent) = required("HELSENORGE_PARENT_HER_ID") {
        let mut p = crate::kith::Organisation::with_her("Norsk helsenett SF", &parent);
        p.sub = Some(Box::new(org));
        org = p;
    }
    Ok(org)
}

/// A dead-letter queue and the queue its messages came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedrivePair {
    /// The dead-letter queue's URL.
    pub dead_letter_url: String,
    /// The source queue's URL.
    pub source_url: String,
}

impl RedrivePair {
    /// The source queue's name (the URL's last segment), as recorded in dead letters.
    pub fn source_name(&self) -> &str {
        self.source_url.rsplit('/').next().unwrap_or(&self.source_url)
    }
}

/// Parses `REDRIVE_PAIRS`: `dlqUrl=sourceUrl,dlqUrl=sourceUrl`. A pair without `=`, with an
/// empty side, or naming the same queue twice is an error, never silently dropped.
pub fn parse_pairs(text: &str) -> Result<Vec<RedrivePair>, ConfigError> {
    let invalid = |reason| ConfigError::Invalid { name: "REDRIVE_PAIRS", reason };
    let pairs = text
        .split(',')
        .map(|p| {
            let (d, s) = p.split_once('=').ok_or(invalid("a pair is not dlqUrl=sourceUrl"))?;
            let pair = RedrivePair { dead_letter_url: d.trim().into(), source_url: s.trim().into() };
            if pair.dead_letter_url.is_empty() || pair.source_url.is_empty() || pair.dead_letter_url == pair.source_url {
                return Err(invalid("a pair has an empty side or the same queue twice"));
            }
            Ok(pair)
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redrive_pairs_are_parsed_and_a_bad_pair_is_an_error() {
        let pairs = parse_pairs("https://q/1/InDlq=https://q/1/In, https://q/1/OutDlq=https://q/1/Out").unwrap();
        assert_eq!(pairs.len(), 2);
        assert_eq!(pairs[1].source_name(), "Out");
        for bad in ["https://q/1/InDlq", "=https://q/1/In", "a=b,", "https://q/1/In=https://q/1/In"] {
            assert!(matches!(parse_pairs(bad), Err(ConfigError::Invalid { name: "REDRIVE_PAIRS", .. })), "{bad}");
        }
    }
}

/// epj-api's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpjApiConfig {
    /// Every table: messages, citizens, activations, appointments, operations.
    pub tables: Tables,
    /// `TO_HELSENORGE_QUEUE_URL`: where replies go (as outbound-reply sends them).
    pub to_helsenorge_queue_url: String,
    /// `EPJ_RESULTS_QUEUE_URL`: the results queue (a reply's result also goes there).
    pub epj_results_queue_url: String,
    /// `NATIONAL_ID_MODE`: production (default) or test.
    pub id_mode: crate::domain::IdMode,
    /// `RECEIPT_DEADLINE_MINUTES`: a reply without AppRec after this long is Missing (R-OUT-3).
    pub receipt_deadline: jiff::SignedDuration,
    /// `MAX_BODY_BYTES` (default and most: Lambda's 6 MB request payload).
    pub max_body_bytes: usize,
}

impl EpjApiConfig {
    /// Reads the configuration; a missing variable is a clear error at start-up.
    pub fn from_env() -> Result<Self, ConfigError> {
        let limit = crate::app::epj_api::LAMBDA_PAYLOAD_LIMIT;
        let max_body_bytes: usize = parsed_or("MAX_BODY_BYTES", limit)?;
        if max_body_bytes == 0 || max_body_bytes > limit {
            return Err(ConfigError::Invalid { name: "MAX_BODY_BYTES", reason: "must be 1 to 6291456" });
        }
        Ok(Self {
            tables: Tables::all_from_env()?,
            to_helsenorge_queue_url: required("TO_HELSENORGE_QUEUE_URL")?,
            epj_results_queue_url: required("EPJ_RESULTS_QUEUE_URL")?,
            id_mode: parsed_or("NATIONAL_ID_MODE", crate::domain::IdMode::Production)?,
            receipt_deadline: receipt_deadline()?,
            max_body_bytes,
        })
    }
}
