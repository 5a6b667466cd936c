//! Tests of `helsenorge`.

use super::*;

/// reqwest is built without a crypto provider of its own: building the client must install
/// ring first, or Lambda's init would panic (the guard for `rustls-no-provider`).
#[test]
fn the_nhn_client_builds_with_the_ring_provider_installed() {
    assert!(http_client(Duration::from_secs(1)).is_ok());
    assert!(rustls::crypto::CryptoProvider::get_default().is_some());
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("ascii")).collect();
    format!("-----BEGIN {label}-----\n{}\n-----END {label}-----\n", lines.join("\n"))
}

/// The client assertion is a compact JWS signed ES256 by ring: its header names the algorithm,
/// its claims read back, and the signature verifies with the key's public half; what is not a
/// private key is refused with an error, never a panic.
#[test]
fn client_assertion_signed_es256_by_ring_verifies() {
    use base64::Engine as _;
    use ring::signature::{ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, UnparsedPublicKey};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("pair");
    let text = format!("{}{}", pem("CERTIFICATE", b"not a key"), pem("PRIVATE KEY", pkcs8.as_ref()));
    let key = jwt::SigningKey::from_pem(&text).expect("an EC key after a certificate");
    let token = key.encode(&serde_json::json!({"sub": "helsedialog"})).expect("signed");
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).expect("base64url");
    let header: serde_json::Value = serde_json::from_slice(&b64(parts[0])).expect("header");
    assert_eq!(header, serde_json::json!({"typ": "JWT", "alg": "ES256"}));
    let claims: serde_json::Value = serde_json::from_slice(&b64(parts[1])).expect("claims");
    assert_eq!(claims["sub"], "helsedialog");
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref())
        .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &b64(parts[2]))
        .expect("the signature verifies");

    assert!(jwt::SigningKey::from_pem(&pem("PRIVATE KEY", b"garbage")).is_err(), "not a key");
    assert!(jwt::SigningKey::from_pem("no pem at all").is_err());
    let jti = jwt::random_jti().expect("jti");
    assert_eq!((jti.len(), &jti[14..15]), (36, "4"), "a version-4 UUID");
    assert_ne!(jti, jwt::random_jti().expect("jti"));
}
