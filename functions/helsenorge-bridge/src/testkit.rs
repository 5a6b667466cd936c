//! Test certificates made at test time (never committed): a self-signed CA and party
//! certificates with the key usages Helsenorge's profiles carry (NonRepudiation to sign,
//! KeyEncipherment to encrypt), and variants that are expired, not yet valid or of the wrong
//! usage. For the tests, the e2e peer and the bench; the bridge itself never makes keys.

use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::error::ErrorStack;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::extension::{BasicConstraints, KeyUsage};
use openssl::x509::{X509, X509NameBuilder};

use crate::cms::KeyPair;

/// What a party certificate may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Usage {
    /// NonRepudiation + DigitalSignature.
    Sign,
    /// KeyEncipherment.
    Encrypt,
    /// Both (the same certificate for both roles, as the library allows).
    Both,
}

/// Validity relative to now, in days (negative = in the past).
#[derive(Debug, Clone, Copy)]
pub struct Validity {
    /// Start.
    pub from_days: i64,
    /// End.
    pub to_days: i64,
}

impl Validity {
    /// Valid from yesterday for a year.
    pub const NOW: Self = Self { from_days: -1, to_days: 365 };
    /// Ended yesterday.
    pub const EXPIRED: Self = Self { from_days: -30, to_days: -1 };
    /// Starts tomorrow.
    pub const NOT_YET: Self = Self { from_days: 1, to_days: 30 };
}

fn days(d: i64) -> Result<Asn1Time, ErrorStack> {
    Asn1Time::from_unix(jiff::Timestamp::now().as_second() + d * 86_400)
}

fn name(cn: &str) -> Result<openssl::x509::X509Name, ErrorStack> {
    let mut n = X509NameBuilder::new()?;
    n.append_entry_by_text("C", "NO")?;
    n.append_entry_by_text("O", "helsedialog test")?;
    n.append_entry_by_text("CN", cn)?;
    Ok(n.build())
}

fn serial() -> Result<openssl::asn1::Asn1Integer, ErrorStack> {
    let mut bn = BigNum::new()?;
    bn.rand(64, MsbOption::MAYBE_ZERO, false)?;
    bn.to_asn1_integer()
}

/// A self-signed CA.
pub fn ca(cn: &str) -> Result<KeyPair, ErrorStack> {
    let key = PKey::from_rsa(Rsa::generate(2048)?)?;
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let (sn, subject, from, to) = (serial()?, name(cn)?, days(-1)?, days(3650)?);
    b.set_serial_number(&sn)?;
    b.set_subject_name(&subject)?;
    b.set_issuer_name(&subject)?;
    b.set_pubkey(&key)?;
    b.set_not_before(&from)?;
    b.set_not_after(&to)?;
    b.append_extension(BasicConstraints::new().critical().ca().build()?)?;
    b.append_extension(KeyUsage::new().critical().key_cert_sign().crl_sign().build()?)?;
    b.sign(&key, MessageDigest::sha256())?;
    Ok(KeyPair { key, cert: b.build() })
}

/// A party certificate issued by `ca`.
pub fn party(ca: &KeyPair, cn: &str, usage: Usage, validity: Validity) -> Result<KeyPair, ErrorStack> {
    let key = PKey::from_rsa(Rsa::generate(2048)?)?;
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let (sn, subject) = (serial()?, name(cn)?);
    let (from, to) = (days(validity.from_days)?, days(validity.to_days)?);
    b.set_serial_number(&sn)?;
    b.set_subject_name(&subject)?;
    b.set_issuer_name(ca.cert.subject_name())?;
    b.set_pubkey(&key)?;
    b.set_not_before(&from)?;
    b.set_not_after(&to)?;
    let mut ku = KeyUsage::new();
    ku.critical();
    match usage {
        Usage::Sign => ku.digital_signature().non_repudiation(),
        Usage::Encrypt => ku.key_encipherment(),
        Usage::Both => ku.digital_signature().non_repudiation().key_encipherment(),
    };
    b.append_extension(ku.build()?)?;
    b.sign(&ca.key, MessageDigest::sha256())?;
    Ok(KeyPair { key, cert: b.build() })
}

/// One party's two certificates (as NHN issues them: one to sign, one to encrypt).
#[derive(Debug, Clone)]
pub struct PartyKeys {
    /// NonRepudiation.
    pub signing: KeyPair,
    /// KeyEncipherment.
    pub encryption: KeyPair,
}

impl PartyKeys {
    /// Both certificates for `cn`, valid now.
    pub fn new(ca: &KeyPair, cn: &str) -> Result<Self, ErrorStack> {
        Ok(Self {
            signing: party(ca, &format!("{cn} signing"), Usage::Sign, Validity::NOW)?,
            encryption: party(ca, &format!("{cn} encryption"), Usage::Encrypt, Validity::NOW)?,
        })
    }

    /// Our protection with these keys.
    pub fn protection(&self) -> crate::cms::OpensslProtection {
        crate::cms::OpensslProtection::new(self.signing.clone(), self.encryption.clone(), None)
    }
}

/// A certificate as PEM text (for configuration and secrets).
pub fn pem(cert: &X509) -> String {
    cert.to_pem().map(|p| String::from_utf8_lossy(&p).into_owned()).unwrap_or_default()
}

/// A private key as PKCS#8 PEM text.
pub fn key_pem(pair: &KeyPair) -> String {
    pair.key.private_key_to_pem_pkcs8().map(|p| String::from_utf8_lossy(&p).into_owned()).unwrap_or_default()
}
