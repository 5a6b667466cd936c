//! CPP and CPA documents made at test time, in the shape NHN's CPPA REST service returns them
//! (ebXML CPPA 2.0; the elements Helsenorge.Messaging reads, see `cppa_xml`): for the unit
//! tests, the fake CPPA server in `tests/` and the demo. Certificates come from `testkit`.

use base64::Engine as _;
use openssl::x509::X509;

const NS: &str = "http://www.oasis-open.org/committees/ebxml-cppa/schema/cpp-cpa-2_0.xsd";

/// One party's `PartyInfo`: HER-id, certificates, receiving endpoints (queue URIs).
pub fn party_info(her_id: u64, certificates: &[&X509], endpoints: &[&str]) -> String {
    let certs: String = certificates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let b64 = base64::engine::general_purpose::STANDARD.encode(c.to_der().unwrap_or_default());
            format!(
                "<tns:Certificate tns:certId=\"cert_{her_id}_{i}\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></tns:Certificate>"
            )
        })
        .collect();
    let transports: String = endpoints
        .iter()
        .enumerate()
        .map(|(i, uri)| {
            format!(
                "<tns:Transport tns:transportId=\"transport_{i}\"><tns:TransportReceiver><tns:TransportProtocol tns:version=\"1.0\">AMQP</tns:TransportProtocol><tns:Endpoint tns:uri=\"{uri}\"/></tns:TransportReceiver></tns:Transport>"
            )
        })
        .collect();
    format!(
        "<tns:PartyInfo tns:partyName=\"party {her_id}\"><tns:PartyId tns:type=\"HER\">{her_id}</tns:PartyId>{certs}{transports}</tns:PartyInfo>"
    )
}

/// A CPP holding `party` (from [`party_info`]).
pub fn cpp(party: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><tns:CollaborationProtocolProfile xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" xmlns:tns=\"{NS}\" tns:cppid=\"cpp-test\">{party}</tns:CollaborationProtocolProfile>"
    )
}

/// A CPA with id `cpa_id` between two parties.
pub fn cpa(cpa_id: &str, a: &str, b: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><tns:CollaborationProtocolAgreement xmlns:ds=\"http://www.w3.org/2000/09/xmldsig#\" xmlns:tns=\"{NS}\" tns:cpaid=\"{cpa_id}\">{a}{b}</tns:CollaborationProtocolAgreement>"
    )
}

/// A HelseID client key for tests: EC P-256, PKCS#8 PEM (what `HelseIdTokens` reads).
pub fn helseid_key_pem() -> String {
    use openssl::ec::{EcGroup, EcKey};
    use openssl::nid::Nid;
    use openssl::pkey::PKey;
    let key = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).and_then(|g| EcKey::generate(&g)).and_then(PKey::from_ec_key);
    key.and_then(|k| k.private_key_to_pem_pkcs8()).map(|p| String::from_utf8_lossy(&p).into_owned()).unwrap_or_default()
}
