//! CMS round trips with certificates made at test time (R-TR-7, R-TR-9).

use std::sync::OnceLock;

use jiff::Timestamp;
use shared::domain::transport::CertProblem;
use shared::ports_transport::{KeyUsage, MessageProtection, ProtectionError};

use super::*;
use crate::testkit::{self, PartyKeys, Usage, Validity};

struct Keys {
    ca: KeyPair,
    us: PartyKeys,
    helsenorge: PartyKeys,
    other: PartyKeys,
}

/// RSA key generation is the slow part: once for all tests.
fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let ca = testkit::ca("test CA").unwrap();
        let us = PartyKeys::new(&ca, "Eksempel kommune").unwrap();
        let helsenorge = PartyKeys::new(&ca, "Helsenorge").unwrap();
        let other = PartyKeys::new(&ca, "Someone else").unwrap();
        Keys { ca, us, helsenorge, other }
    })
}

const XML: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<MsgHead>\n  <Body>line\r\nnext \xc3\xa6\xc3\xb8\xc3\xa5</Body>\n</MsgHead>\n";

/// What Helsenorge sends us: signed with its key, encrypted for ours.
fn from_helsenorge(content: &[u8]) -> Vec<u8> {
    keys().helsenorge.protection().protect(content, &keys().us.encryption.cert_der()).unwrap()
}

#[test]
fn r_tr_7_sign_then_encrypt_round_trips_bytes_exactly() {
    let k = keys();
    let cms = from_helsenorge(XML);
    assert!(!cms.windows(8).any(|w| w == b"<MsgHead"), "the content is encrypted");
    let plain = k.us.protection().unprotect(&cms, &k.helsenorge.signing.cert_der()).unwrap();
    assert_eq!(plain, XML, "LF, CRLF and UTF-8 kept (BINARY)");
}

#[test]
fn r_tr_7_our_messages_verify_at_the_receiver() {
    let k = keys();
    let cms = k.us.protection().protect(XML, &k.helsenorge.encryption.cert_der()).unwrap();
    let plain = k.helsenorge.protection().unprotect(&cms, &k.us.signing.cert_der()).unwrap();
    assert_eq!(plain, XML);
}

#[test]
fn r_tr_7_the_previous_key_opens_during_rotation() {
    let k = keys();
    let cms = from_helsenorge(XML);
    let rotated = OpensslProtection::new(k.us.signing.clone(), k.other.encryption.clone(), Some(k.us.encryption.clone()));
    assert_eq!(rotated.unprotect(&cms, &k.helsenorge.signing.cert_der()).unwrap(), XML);
}

#[test]
fn r_tr_7_encrypted_for_another_key_does_not_open() {
    let k = keys();
    let cms = k.helsenorge.protection().protect(XML, &k.other.encryption.cert_der()).unwrap();
    let err = k.us.protection().unprotect(&cms, &k.helsenorge.signing.cert_der()).unwrap_err();
    assert!(matches!(err, ProtectionError::Decrypt(_)), "{err:?}");
}

#[test]
fn r_tr_7_signed_by_another_than_the_profile_certificate_is_refused() {
    let k = keys();
    let cms = k.other.protection().protect(XML, &k.us.encryption.cert_der()).unwrap();
    let err = k.us.protection().unprotect(&cms, &k.helsenorge.signing.cert_der()).unwrap_err();
    assert_eq!(err, ProtectionError::WrongSigner);
}

#[test]
fn r_tr_7_tampered_or_garbage_payloads_are_refused() {
    let k = keys();
    let mut cms = from_helsenorge(XML);
    let n = cms.len();
    cms[n - 20] ^= 0x55;
    assert!(k.us.protection().unprotect(&cms, &k.helsenorge.signing.cert_der()).is_err());
    assert_eq!(k.us.protection().unprotect(b"<MsgHead/>", &k.helsenorge.signing.cert_der()), Err(ProtectionError::Malformed));
}

#[test]
fn r_tr_7_a_tampered_signature_content_does_not_verify() {
    // Sign, alter one byte of the signed content inside the SignedData, then encrypt: the
    // envelope opens, the signature does not verify.
    let k = keys();
    let signed = CmsContentInfo::sign(Some(&k.helsenorge.signing.cert), Some(&k.helsenorge.signing.key), None, Some(XML), CMSOptions::BINARY)
        .unwrap()
        .to_der()
        .unwrap();
    let at = signed.windows(7).position(|w| w == b"MsgHead").unwrap();
    let mut tampered = signed.clone();
    tampered[at] = b'X';
    let mut recipients = Stack::new().unwrap();
    recipients.push(k.us.encryption.cert.clone()).unwrap();
    let cms = CmsContentInfo::encrypt(&recipients, &tampered, Cipher::aes_256_cbc(), CMSOptions::BINARY).unwrap().to_der().unwrap();
    let err = k.us.protection().unprotect(&cms, &k.helsenorge.signing.cert_der()).unwrap_err();
    assert_eq!(err, ProtectionError::BadSignature);
}

#[test]
fn r_tr_9_certificate_dates_and_usage_are_checked() {
    let k = keys();
    let now = Timestamp::now();
    let sign = |v| testkit::party(&k.ca, "x", Usage::Sign, v).unwrap().cert_der();
    assert!(check_certificate(&k.helsenorge.signing.cert_der(), KeyUsage::NonRepudiation, now).is_empty());
    assert_eq!(check_certificate(&sign(Validity::EXPIRED), KeyUsage::NonRepudiation, now), vec![CertProblem::Expired]);
    assert_eq!(check_certificate(&sign(Validity::NOT_YET), KeyUsage::NonRepudiation, now), vec![CertProblem::NotYetValid]);
    assert_eq!(check_certificate(&k.helsenorge.encryption.cert_der(), KeyUsage::NonRepudiation, now), vec![CertProblem::WrongUsage]);
    assert_eq!(check_certificate(&k.helsenorge.signing.cert_der(), KeyUsage::KeyEncipherment, now), vec![CertProblem::WrongUsage]);
    assert!(check_certificate(&k.helsenorge.encryption.cert_der(), KeyUsage::KeyEncipherment, now).is_empty());
}

#[test]
fn r_tr_7_keys_load_from_pem() {
    let k = keys();
    let pair = KeyPair::from_pem(&testkit::key_pem(&k.us.signing), &testkit::pem(&k.us.signing.cert)).unwrap();
    assert_eq!(pair.cert_der(), k.us.signing.cert_der());
    assert!(KeyPair::from_pem("nope", "nope").is_err());
}
