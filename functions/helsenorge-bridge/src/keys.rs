//! Our keys from Secrets Manager: each secret is JSON `{"key": "<PKCS#8 PEM>", "certificate":
//! "<PEM>"}` (the signing pair, the decryption pair, and during a rotation the previous
//! decryption pair). Read once at start-up; a rotation restarts the service.

use crate::cms::KeyPair;

/// Why a key could not be loaded (at start-up).
#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// Secrets Manager refused or failed.
    #[error("secret {0} could not be read")]
    Read(String, #[source] shared::error::PortError),
    /// The secret is not the JSON above, or the PEM does not parse.
    #[error("secret {0} does not hold a key and a certificate")]
    Content(String),
}

#[derive(serde::Deserialize)]
struct Secret {
    key: String,
    certificate: String,
}

/// A key pair from a secret's text.
pub fn pair_from_json(name: &str, json: &str) -> Result<KeyPair, KeysError> {
    let s: Secret = serde_json::from_str(json).map_err(|_| KeysError::Content(name.into()))?;
    KeyPair::from_pem(&s.key, &s.certificate).map_err(|_| KeysError::Content(name.into()))
}

/// Reads one key pair from the secret `id` (name or ARN).
pub async fn load(client: &aws_sdk_secretsmanager::Client, id: &str) -> Result<KeyPair, KeysError> {
    let out = client
        .get_secret_value()
        .secret_id(id)
        .send()
        .await
        .map_err(|e| KeysError::Read(id.into(), shared::adapters::aws::classify("read key secret", e)))?;
    let text = out.secret_string.ok_or_else(|| KeysError::Content(id.into()))?;
    pair_from_json(id, &text)
}
