use super::*;
use crate::cppa_testkit::{cpa, cpp, party_info};
use crate::testkit::{self, PartyKeys, Usage, Validity};

fn keys() -> (PartyKeys, PartyKeys) {
    let ca = testkit::ca("cppa test CA").unwrap();
    (PartyKeys::new(&ca, "Helsenorge").unwrap(), PartyKeys::new(&ca, "kommune").unwrap())
}

fn der(x: &X509) -> Option<CertDer> {
    Some(CertDer(x.to_der().unwrap()))
}

#[test]
fn r_tr_7_cpp_certificates_by_key_usage_and_queues_from_the_endpoints() {
    let (hn, _) = keys();
    let xml = cpp(&party_info(
        93238,
        &[&hn.encryption.cert, &hn.signing.cert],
        &["sb.test.nhn.no/DigitalDialog/93238_async", "sb.test.nhn.no/DigitalDialog/93238_sync"],
    ));
    let p = profile_from_cpp(&xml).unwrap();
    assert_eq!(p.her_id, 93238);
    assert_eq!(p.cpa_id, None);
    assert_eq!(p.signing, der(&hn.signing.cert));
    assert_eq!(p.encryption, der(&hn.encryption.cert));
    assert_eq!(p.queues, Queues::conventional(93238));
}

#[test]
fn r_tr_6_registered_queue_names_win_and_the_error_queue_stays_conventional() {
    let (hn, _) = keys();
    let xml = cpp(&party_info(90002, &[&hn.signing.cert], &["sb/DigitalDialog/hn-special_async"]));
    let p = profile_from_cpp(&xml).unwrap();
    assert_eq!(p.queues.asynchronous, "hn-special_async");
    assert_eq!(p.queues.synchronous, "90002_sync");
    assert_eq!(p.queues.error, "90002_error");
    assert_eq!(p.encryption, None);
}

#[test]
fn r_tr_7_cpa_counterpart_is_the_party_that_is_not_us() {
    let (hn, us) = keys();
    let xml = cpa(
        "49391409-e528-4919-b4a3-9ccdab72c8c1",
        &party_info(80115, &[&us.signing.cert, &us.encryption.cert], &[]),
        &party_info(90002, &[&hn.signing.cert, &hn.encryption.cert], &[]),
    );
    let p = profile_from_cpa(&xml, 80115).unwrap();
    assert_eq!(p.her_id, 90002);
    assert_eq!(p.cpa_id.as_deref(), Some("49391409-e528-4919-b4a3-9ccdab72c8c1"));
    assert_eq!(p.signing, der(&hn.signing.cert));
    assert_eq!(p.encryption, der(&hn.encryption.cert));
    assert_eq!(profile_from_cpa(&xml, 90002).unwrap().her_id, 80115);
}

#[test]
fn r_tr_7_one_certificate_with_both_usages_serves_both_roles() {
    let ca = testkit::ca("both CA").unwrap();
    let both = testkit::party(&ca, "both", Usage::Both, Validity::NOW).unwrap();
    let p = profile_from_cpp(&cpp(&party_info(90002, &[&both.cert], &[]))).unwrap();
    assert_eq!((p.signing.clone(), p.encryption.clone()), (der(&both.cert), der(&both.cert)));
}

#[test]
fn r_tr_7_what_is_not_a_cpp_or_cpa_is_refused() {
    assert!(matches!(profile_from_cpp("<html><body>502</body></html>"), Err(CppaXmlError::Malformed(_))));
    assert!(matches!(profile_from_cpp("not xml <"), Err(CppaXmlError::Malformed(_))));
    assert!(matches!(profile_from_cpp(""), Err(CppaXmlError::Malformed(_))));
    let only_us = cpa("c", &party_info(80115, &[], &[]), "");
    assert_eq!(profile_from_cpa(&only_us, 80115), Err(CppaXmlError::NoCounterpart));
}
