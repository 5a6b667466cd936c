//! The HelseID client assertion (RFC 7523 `private_key_jwt`): a compact JWS (RFC 7515) signed
//! with ES256 or RS256 (RFC 7518 §3.3, §3.4) by ring, the binaries' one crypto library. Only
//! signing: nothing here verifies tokens (HelseID does). Written out instead of a JWT crate,
//! whose PEM and ASN.1 parsing (and big-integer code) cost consent-sync's binary its 6 MB limit.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use serde::Serialize;

use crate::error::PortError;

/// A private key that signs client assertions.
pub enum SigningKey {
    /// EC P-256 (PKCS#8): ES256.
    Ec(EcdsaKeyPair),
    /// RSA (PKCS#1 or PKCS#8): RS256.
    Rsa(RsaKeyPair),
}

impl SigningKey {
    /// Reads the first private key of a PEM text (`PRIVATE KEY`, `RSA PRIVATE KEY`): EC P-256
    /// (PKCS#8) or RSA. Never shows the key in an error.
    pub fn from_pem(pem: &str) -> Result<Self, PortError> {
        let der = pem_body(pem).ok_or_else(|| PortError::permanent("read HelseID key", "no PEM private key"))?;
        let rng = SystemRandom::new();
        if let Ok(k) = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der, &rng) {
            return Ok(Self::Ec(k));
        }
        RsaKeyPair::from_der(&der)
            .or_else(|_| RsaKeyPair::from_pkcs8(&der))
            .map(Self::Rsa)
            .map_err(|_| PortError::permanent("read HelseID key", "neither an EC P-256 nor an RSA private key"))
    }

    /// The JWS `alg`.
    pub fn alg(&self) -> &'static str {
        match self {
            Self::Ec(_) => "ES256",
            Self::Rsa(_) => "RS256",
        }
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, PortError> {
        let rng = SystemRandom::new();
        let failed = |_| PortError::permanent("sign client assertion", "the key did not sign");
        match self {
            Self::Ec(k) => k.sign(&rng, message).map(|s| s.as_ref().to_vec()).map_err(failed),
            Self::Rsa(k) => {
                let mut sig = vec![0; k.public().modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &rng, message, &mut sig).map_err(failed)?;
                Ok(sig)
            }
        }
    }

    /// `claims` as a signed compact JWS: `header.claims.signature`, each base64url.
    pub fn encode<C: Serialize>(&self, claims: &C) -> Result<String, PortError> {
        let header = serde_json::json!({"typ": "JWT", "alg": self.alg()});
        let part = |v: &[u8]| URL_SAFE_NO_PAD.encode(v);
        let claims = serde_json::to_vec(claims).map_err(|e| PortError::permanent("sign client assertion", e))?;
        let signed = format!("{}.{}", part(header.to_string().as_bytes()), part(&claims));
        let sig = self.sign(signed.as_bytes())?;
        Ok(format!("{signed}.{}", part(&sig)))
    }
}

/// The DER bytes of the first `-----BEGIN … PRIVATE KEY-----` block.
fn pem_body(pem: &str) -> Option<Vec<u8>> {
    let mut rest = pem;
    while let Some(begin) = rest.find("-----BEGIN ") {
        let after = &rest[begin + "-----BEGIN ".len()..];
        let label = &after[..after.find("-----")?];
        let body = &after[label.len() + "-----".len()..];
        let end = body.find(&format!("-----END {label}-----"))?;
        if label.ends_with("PRIVATE KEY") {
            let b64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
            return STANDARD.decode(b64).ok();
        }
        rest = &body[end..];
    }
    None
}

/// A random UUID (version 4) for the assertion's `jti`.
pub fn random_jti() -> Result<String, PortError> {
    let mut b = [0u8; 16];
    SystemRandom::new().fill(&mut b).map_err(|_| PortError::transient("sign client assertion", "no randomness"))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..]))
}
