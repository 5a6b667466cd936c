//! CMS as Helsenorge.Messaging protects payloads (R-TR-7), over OpenSSL's CMS functions: sign
//! with our key (content attached, `SignedCms`), then envelope for the receiver (`EnvelopedCms`,
//! AES-256-CBC, RSA key transport, recipient by issuer and serial number — OpenSSL's defaults
//! without `USE_KEYID`). `BINARY` everywhere: without it OpenSSL rewrites LF to CRLF (MIME
//! canonicalisation) and the XML changes. Sources: helsenorge/Helsenorge.Messaging
//! `src/Helsenorge.Messaging/Security/SignThenEncryptMessageProtection.cs`; OpenSSL `CMS_sign(3)`,
//! `CMS_encrypt(3)`, `CMS_decrypt(3)`, `CMS_verify(3)`.

use jiff::Timestamp;
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::symm::Cipher;
use openssl::x509::{X509, X509KeyUsage};
use shared::domain::transport::CertProblem;
use shared::ports_transport::{CertDer, KeyUsage, MessageProtection, ProtectionError};

/// The largest CMS payload read: 12 MB of content (R-OUT-4's attachments) plus base64 and CMS
/// overhead, checked before parsing.
pub const MAX_CMS_BYTES: usize = 18 * 1024 * 1024;

/// A private key and its certificate. Debug shows the certificate's subject only.
#[derive(Clone)]
pub struct KeyPair {
    /// The private key.
    pub key: PKey<Private>,
    /// Its certificate.
    pub cert: X509,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair({:?})", self.cert.subject_name())
    }
}

/// A key or certificate that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("{what} cannot be read")]
pub struct KeyError {
    what: &'static str,
    #[source]
    source: openssl::error::ErrorStack,
}

impl KeyPair {
    /// From a PEM private key (PKCS#8 or traditional) and a PEM certificate.
    pub fn from_pem(key_pem: &str, cert_pem: &str) -> Result<Self, KeyError> {
        let key = PKey::private_key_from_pem(key_pem.as_bytes()).map_err(|source| KeyError { what: "the private key", source })?;
        let cert = X509::from_pem(cert_pem.as_bytes()).map_err(|source| KeyError { what: "the certificate", source })?;
        Ok(Self { key, cert })
    }

    /// The certificate, DER.
    pub fn cert_der(&self) -> CertDer {
        CertDer(self.cert.to_der().unwrap_or_default())
    }
}

/// Our keys: the signing key and the decryption keys (current first, then the previous one
/// during a certificate rotation).
#[derive(Debug, Clone)]
pub struct OpensslProtection {
    signing: KeyPair,
    decryption: Vec<KeyPair>,
}

impl OpensslProtection {
    /// Signs with `signing`; decrypts with `decryption`, else `previous`.
    pub fn new(signing: KeyPair, decryption: KeyPair, previous: Option<KeyPair>) -> Self {
        Self { signing, decryption: std::iter::once(decryption).chain(previous).collect() }
    }
}

fn protect_err(e: openssl::error::ErrorStack) -> ProtectionError {
    ProtectionError::Protect(e.errors().first().and_then(|e| e.reason()).unwrap_or("openssl").to_string())
}

impl MessageProtection for OpensslProtection {
    fn protect(&self, content: &[u8], receiver: &CertDer) -> Result<Vec<u8>, ProtectionError> {
        let receiver = X509::from_der(&receiver.0).map_err(protect_err)?;
        let signed = CmsContentInfo::sign(Some(&self.signing.cert), Some(&self.signing.key), None, Some(content), CMSOptions::BINARY)
            .and_then(|s| s.to_der())
            .map_err(protect_err)?;
        let mut recipients = Stack::new().map_err(protect_err)?;
        recipients.push(receiver).map_err(protect_err)?;
        CmsContentInfo::encrypt(&recipients, &signed, Cipher::aes_256_cbc(), CMSOptions::BINARY)
            .and_then(|e| e.to_der())
            .map_err(protect_err)
    }

    fn unprotect(&self, cms: &[u8], sender: &CertDer) -> Result<Vec<u8>, ProtectionError> {
        if cms.len() > MAX_CMS_BYTES {
            return Err(ProtectionError::Malformed);
        }
        let envelope = CmsContentInfo::from_der(cms).map_err(|_| ProtectionError::Malformed)?;
        // The certificate selects the RecipientInfo by issuer and serial; the current key first.
        let signed = self
            .decryption
            .iter()
            .find_map(|k| envelope.decrypt(&k.key, &k.cert).ok())
            .ok_or_else(|| ProtectionError::Decrypt(format!("serial {}", serial(&self.decryption[0].cert))))?;
        let mut signed = CmsContentInfo::from_der(&signed).map_err(|_| ProtectionError::Malformed)?;
        let sender = X509::from_der(&sender.0).map_err(|_| ProtectionError::WrongSigner)?;
        let mut expected = Stack::new().map_err(|_| ProtectionError::WrongSigner)?;
        expected.push(sender).map_err(|_| ProtectionError::WrongSigner)?;
        let mut content = vec![];
        // NOINTERN: the signer must be the profile's certificate, not one the message carries;
        // NO_SIGNER_CERT_VERIFY: the signature only (the library's verifySignatureOnly);
        // dates and usage are checked separately (R-TR-9).
        let flags = CMSOptions::BINARY | CMSOptions::NOINTERN | CMSOptions::NO_SIGNER_CERT_VERIFY;
        signed.verify(Some(&expected), None, None, Some(&mut content), flags).map_err(|e| {
            let signer_missing = e.errors().iter().any(|e| e.reason().is_some_and(|r| r.contains("signer certificate not found")));
            if signer_missing { ProtectionError::WrongSigner } else { ProtectionError::BadSignature }
        })?;
        Ok(content)
    }

    fn check(&self, cert: &CertDer, usage: KeyUsage, now: Timestamp) -> Vec<CertProblem> {
        check_certificate(cert, usage, now)
    }
}

/// R-TR-9: dates and key usage (no chain, no revocation: not in this version).
pub fn check_certificate(cert: &CertDer, usage: KeyUsage, now: Timestamp) -> Vec<CertProblem> {
    let Ok(cert) = X509::from_der(&cert.0) else { return vec![CertProblem::WrongUsage] };
    let Ok(at) = openssl::asn1::Asn1Time::from_unix(now.as_second()) else { return vec![CertProblem::Expired] };
    let mut problems = vec![];
    if cert.not_before() > at {
        problems.push(CertProblem::NotYetValid);
    }
    if cert.not_after() < at {
        problems.push(CertProblem::Expired);
    }
    let needed = match usage {
        KeyUsage::NonRepudiation => X509KeyUsage::NON_REPUDIATION,
        KeyUsage::KeyEncipherment => X509KeyUsage::KEY_ENCIPHERMENT,
    };
    // No KeyUsage extension: unrestricted.
    if cert.key_usage().is_some_and(|u| !u.contains(needed)) {
        problems.push(CertProblem::WrongUsage);
    }
    problems
}

fn serial(cert: &X509) -> String {
    cert.serial_number().to_bn().and_then(|b| b.to_hex_str().map(|s| s.to_string())).unwrap_or_default()
}

#[cfg(test)]
#[path = "cms_tests.rs"]
mod tests;
