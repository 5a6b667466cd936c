//! Tests of `helsenorge`.

use super::*;

/// reqwest is built without a crypto provider of its own: building the client must install
/// ring first, or Lambda's init would panic (the guard for `rustls-no-provider`).
#[test]
fn the_nhn_client_builds_with_the_ring_provider_installed() {
    assert!(http_client(Duration::from_secs(1)).is_ok());
    assert!(rustls::crypto::CryptoProvider::get_default().is_some());
}

/// The client assertion is signed by the ring provider, and the signature verifies with the
/// key's public half; a key of the wrong kind is refused, not panicked on.
#[test]
fn client_assertion_signed_es256_by_ring_verifies() {
    use ring::signature::{ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair, UnparsedPublicKey};
    jwt_ring::install();
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).expect("pair");
    let key = EncodingKey::from_ec_der(pkcs8.as_ref());
    let token = jsonwebtoken::encode(&Header::new(Algorithm::ES256), &serde_json::json!({"sub": "helsedialog"}), &key).expect("signed");
    let (message, sig) = token.rsplit_once('.').expect("three parts");
    let sig = jsonwebtoken::crypto::verify(sig, b"", &jsonwebtoken::DecodingKey::from_secret(b""), Algorithm::HS256);
    assert!(sig.is_err(), "nothing here verifies tokens");
    let raw = token.rsplit('.').next().expect("signature");
    let bytes = base64_url(raw);
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref())
        .verify(message.as_bytes(), &bytes)
        .expect("the signature verifies");
    assert!(jsonwebtoken::encode(&Header::new(Algorithm::RS256), &serde_json::json!({}), &key).is_err(), "an EC key cannot sign RS256");
}

/// Base64url without padding (test helper).
fn base64_url(s: &str) -> Vec<u8> {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = vec![];
    for c in s.bytes() {
        let v = alphabet.iter().position(|a| *a == c).expect("base64url") as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    out
}
