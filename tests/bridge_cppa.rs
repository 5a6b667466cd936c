//! The bridge's collaboration profiles (issue 18): the CPPA REST adapter against a fake CPPA
//! service and the HelseID fake (cache hits, expiry, certificates that stop validating, an
//! unknown HER-id, the registry down, a refused token), and the port's contract on the
//! in-memory, configuration and REST adapters — none of these needs AWS or the broker. The last
//! test runs the built bridge binary with `PROFILES_SOURCE=cppa` on moto and the local RabbitMQ.

use std::time::Duration;

use e2e::fake::{CLIENT_ID, Fake};
use e2e::fake_cppa::FakeCppa;
use e2e::profiles_contract::{CPA_ID, OURS, THEIRS, UNKNOWN, collaboration_profiles_contract, expected};
use helsenorge_bridge::cppa_rest::CppaRest;
use helsenorge_bridge::cppa_testkit::{cpa, cpp, helseid_key_pem, party_info};
use helsenorge_bridge::testkit::{self, PartyKeys};
use jiff::{SignedDuration, Timestamp};
use shared::adapters::helsenorge::{HelseIdTokens, http_client};
use shared::adapters::memory::ManualClock;
use shared::adapters::memory_transport::MemoryProfiles;
use shared::adapters::profiles_config::ConfigProfiles;
use shared::error::Retryable;
use shared::ports_transport::CollaborationProfiles;

struct World {
    helseid: Fake,
    cppa: FakeCppa,
    hn: PartyKeys,
    clock: ManualClock,
}

impl World {
    async fn new() -> Self {
        let helseid = Fake::start("127.0.0.1:0".parse().unwrap(), Default::default()).await.expect("HelseID fake");
        let cppa = FakeCppa::start().await;
        let ca = testkit::ca("CPPA test CA").unwrap();
        let (hn, us) = (PartyKeys::new(&ca, "Helsenorge").unwrap(), PartyKeys::new(&ca, "kommune").unwrap());
        let them = party_info(THEIRS, &[&hn.signing.cert, &hn.encryption.cert], &[]);
        let doc = cpa(CPA_ID, &party_info(OURS, &[&us.signing.cert, &us.encryption.cert], &[]), &them);
        cppa.put_cpa(CPA_ID, OURS, THEIRS, doc);
        cppa.put_cpp(THEIRS, cpp(&them));
        Self { helseid, cppa, hn, clock: ManualClock::at(Timestamp::now()) }
    }

    fn rest(&self, ttl: Duration) -> CppaRest<ManualClock> {
        let http = http_client(Duration::from_secs(5)).unwrap();
        let tokens = HelseIdTokens::new(http.clone(), self.helseid.token_url(), CLIENT_ID, "nhn:cppa/access", &helseid_key_pem()).unwrap();
        CppaRest::new(http, &self.cppa.base_url(), tokens, ttl, self.clock.clone())
    }

    fn calls(&self, route: &str) -> u32 {
        self.cppa.calls().get(route).copied().unwrap_or(0)
    }
}

#[tokio::test]
async fn r_tr_7_contract_of_the_collaboration_profiles_port_on_the_cppa_rest_adapter() {
    let w = World::new().await;
    let want = expected(w.hn.signing.cert_der(), w.hn.encryption.cert_der());
    collaboration_profiles_contract(&w.rest(Duration::from_secs(300)), &want).await;
}

#[tokio::test]
async fn r_tr_7_contract_of_the_collaboration_profiles_port_on_the_configuration_adapter() {
    let w = World::new().await;
    let json = serde_json::json!([{
        "herId": THEIRS, "cpaId": CPA_ID,
        "signingCertificate": testkit::pem(&w.hn.signing.cert), "encryptionCertificate": testkit::pem(&w.hn.encryption.cert)
    }]);
    let want = expected(w.hn.signing.cert_der(), w.hn.encryption.cert_der());
    collaboration_profiles_contract(&ConfigProfiles::from_json(&json.to_string()).unwrap(), &want).await;
}

#[tokio::test]
async fn r_tr_7_contract_of_the_collaboration_profiles_port_on_the_memory_adapter() {
    let w = World::new().await;
    let want = expected(w.hn.signing.cert_der(), w.hn.encryption.cert_der());
    collaboration_profiles_contract(&MemoryProfiles::with([want.clone()]), &want).await;
}

#[tokio::test]
async fn r_tr_7_cppa_profile_is_fetched_once_then_served_from_the_cache() {
    let w = World::new().await;
    let rest = w.rest(Duration::from_secs(300));
    for _ in 0..5 {
        let p = rest.profile(OURS, THEIRS, None).await.unwrap().expect("a profile");
        assert_eq!(p.cpa_id.as_deref(), Some(CPA_ID));
    }
    assert_eq!(w.calls("Agreements/HerIds"), 1, "four cache hits");
    assert_eq!(w.calls("Profiles"), 0, "the CPA was found: no CPP call");
    assert_eq!(w.helseid.stats().token_requests, 1);
    // Per counterpart and CPA id: another key is another entry.
    rest.profile(OURS, THEIRS, Some(CPA_ID)).await.unwrap().expect("by id");
    rest.profile(OURS, THEIRS, Some(CPA_ID)).await.unwrap().expect("by id, cached");
    assert_eq!(w.calls("Agreements"), 1);
}

#[tokio::test]
async fn r_tr_7_cppa_cache_entry_expires_after_its_ttl() {
    let w = World::new().await;
    let rest = w.rest(Duration::from_secs(300));
    rest.profile(OURS, THEIRS, None).await.unwrap().expect("a profile");
    w.clock.advance(SignedDuration::from_secs(299));
    rest.profile(OURS, THEIRS, None).await.unwrap().expect("cached");
    assert_eq!(w.calls("Agreements/HerIds"), 1);
    w.clock.advance(SignedDuration::from_secs(2));
    rest.profile(OURS, THEIRS, None).await.unwrap().expect("fetched again");
    assert_eq!(w.calls("Agreements/HerIds"), 2, "expired after 300 s");
}

#[tokio::test]
async fn r_tr_9_cached_profile_whose_certificate_expired_is_fetched_again() {
    let w = World::new().await;
    // A cache far longer than the certificates (valid for a year): the library's rule still
    // refetches an entry whose certificates no longer validate.
    let rest = w.rest(Duration::from_secs(10 * 365 * 86_400));
    rest.profile(OURS, THEIRS, None).await.unwrap().expect("a profile");
    w.clock.advance(SignedDuration::from_hours(400 * 24));
    rest.profile(OURS, THEIRS, None).await.unwrap().expect("a profile");
    assert_eq!(w.calls("Agreements/HerIds"), 2);
}

#[tokio::test]
async fn r_tr_3_unknown_her_id_has_no_profile_and_is_reported_as_missing_certificate() {
    let w = World::new().await;
    let rest = w.rest(Duration::from_secs(300));
    assert_eq!(rest.profile(OURS, UNKNOWN, None).await.unwrap(), None);
    assert_eq!((w.calls("Agreements/HerIds"), w.calls("Profiles")), (1, 1), "the pair, then the CPP");
    // Nothing cached for it: a counterpart registered later is found.
    assert_eq!(rest.profile(OURS, UNKNOWN, None).await.unwrap(), None);
    assert_eq!(w.calls("Profiles"), 2);
    // What the receiver does with `None` (shared::domain::transport): a reportable error.
    let report = shared::domain::transport::disposition(&shared::domain::transport::TransportError::MissingCertificate);
    assert!(matches!(report, shared::domain::transport::Disposition::Report(r) if r.condition.as_str() == "transport:missing-certificate"));
}

#[tokio::test]
async fn r_tr_7_pair_without_a_cpa_falls_back_to_the_cpp() {
    let w = World::new().await;
    let ca = testkit::ca("other CA").unwrap();
    let other = PartyKeys::new(&ca, "legekontor").unwrap();
    w.cppa.put_cpp(90003, cpp(&party_info(90003, &[&other.signing.cert, &other.encryption.cert], &["sb/DigitalDialog/90003_async"])));
    let p = w.rest(Duration::from_secs(300)).profile(OURS, 90003, None).await.unwrap().expect("from the CPP");
    assert_eq!((p.her_id, p.cpa_id), (90003, None));
    assert_eq!(p.signing, Some(other.signing.cert_der()));
    assert_eq!((w.calls("Agreements/HerIds"), w.calls("Profiles")), (1, 1));
}

#[tokio::test]
async fn r_tr_4_cppa_down_is_transient_and_nothing_stale_is_served() {
    let w = World::new().await;
    let rest = w.rest(Duration::from_secs(300));
    rest.profile(OURS, THEIRS, None).await.unwrap().expect("a profile");
    w.cppa.set_failing(true);
    rest.profile(OURS, THEIRS, None).await.unwrap().expect("still within the TTL: cached");
    w.clock.advance(SignedDuration::from_secs(301));
    let error = rest.profile(OURS, THEIRS, None).await.expect_err("expired and the registry is down");
    assert!(error.is_retryable(), "transient: the delivery is released, R-TR-4 ({error})");
    w.cppa.set_failing(false);
    assert!(rest.profile(OURS, THEIRS, None).await.unwrap().is_some(), "back");
}

#[tokio::test]
async fn cppa_refusing_a_token_gets_a_new_one_once() {
    let w = World::new().await;
    let rest = w.rest(Duration::from_secs(300));
    w.cppa.unauthorized_once();
    assert!(rest.profile(OURS, THEIRS, None).await.unwrap().is_some());
    assert_eq!(w.helseid.stats().token_requests, 2, "the refused token was replaced");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_tr_7_the_bridge_binary_takes_its_profiles_from_the_cppa_service() {
    use e2e::bridge_peer::{Env, ekontakt, inbound, listen, next, peer_settings, serial};
    use helsenorge_bridge::amqp::AmqpOutbox;
    use shared::ports_transport::{AmqpSender, MessageProtection};
    let _serial = serial().await;
    let e = Env::new("bridgecppa").await;
    let w = World::new().await;
    // Helsenorge's CPA with us, as NHN's registry holds it: the test world's certificates.
    let them = party_info(THEIRS, &[&e.hn.signing.cert, &e.hn.encryption.cert], &["sb.test.nhn.no/NHNTestServiceBus/90002_async"]);
    let doc = cpa("cpa-synthetic-1", &party_info(OURS, &[&e.us.signing.cert, &e.us.encryption.cert], &[]), &them);
    w.cppa.put_cpa("cpa-synthetic-1", OURS, THEIRS, doc);
    let (base, token_url, key) = (w.cppa.base_url(), w.helseid.token_url(), e.stack.helseid_secret());
    let _bridge = e.bridge(&[
        ("PROFILES_SOURCE", "cppa"),
        ("CPPA_BASE_URL", &base),
        ("HELSEID_TOKEN_URL", &token_url),
        ("HELSEID_CLIENT_ID", CLIENT_ID),
        ("HELSEID_SCOPE", "nhn:cppa/access"),
        ("HELSEID_KEY_SECRET_NAME", &key),
    ]);
    let mut replies = listen("90002_async");
    AmqpOutbox::new(peer_settings("cppa")).send("80115_async", &ekontakt(&e)).await.expect("broker accepted");
    let record = inbound(&e.sqs, e.stack.queue("InboundQueue")).await;
    assert!(w.calls("Agreements") >= 1, "the sender's certificate came from its CPA, by the message's cpaId");
    // The AppRec goes back encrypted for the certificate the registry gave.
    e.inbound_message(&[record]).await;
    let hn = e.hn.protection();
    let apprec = next(&mut replies, |m| m.subject.as_deref() == Some("APPREC") && hn.unprotect(&m.body, &e.us.signing.cert_der()).is_ok()).await;
    assert_eq!(apprec.app("cpaId").as_deref(), Some("cpa-synthetic-1"));
    assert_eq!(w.helseid.stats().token_requests, 1, "one token for every registry call");
}
