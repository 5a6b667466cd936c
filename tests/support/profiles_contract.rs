//! The contract of the `CollaborationProfiles` port (shared::ports_transport), run on every
//! adapter: the in-memory one, the configuration one and the CPPA REST one against its fake
//! (tests/bridge_cppa.rs). The world: our HER-id 80115, a counterpart 90002 with a CPA
//! (`CPA_ID`), its two certificates and conventional queues; 90009 is unknown.

use shared::domain::transport::Queues;
use shared::ports_transport::{CertDer, CollaborationProfiles, Profile};

/// Our HER-id.
pub const OURS: u64 = 80115;
/// The counterpart.
pub const THEIRS: u64 = 90002;
/// Nobody.
pub const UNKNOWN: u64 = 90009;
/// The CPA between us.
pub const CPA_ID: &str = "49391409-e528-4919-b4a3-9ccdab72c8c1";

/// The profile every adapter must return for [`THEIRS`].
pub fn expected(signing: CertDer, encryption: CertDer) -> Profile {
    Profile { her_id: THEIRS, cpa_id: Some(CPA_ID.into()), queues: Queues::conventional(THEIRS), signing: Some(signing), encryption: Some(encryption) }
}

/// Runs the contract on `p`, which must know [`expected`] for [`THEIRS`] and nothing for [`UNKNOWN`].
pub async fn collaboration_profiles_contract(p: &impl CollaborationProfiles, want: &Profile) {
    let found = p.profile(OURS, THEIRS, None).await.expect("lookup by pair");
    assert_eq!(found.as_ref(), Some(want), "the pair's profile, certificates and queues");
    let by_id = p.profile(OURS, THEIRS, Some(CPA_ID)).await.expect("lookup by CPA id");
    assert_eq!(by_id.as_ref(), Some(want), "the same profile by its CPA id");
    let unknown_id = p.profile(OURS, THEIRS, Some("00000000-0000-0000-0000-000000000000")).await.expect("lookup by an unknown CPA id");
    assert_eq!(unknown_id.map(|p| p.her_id), Some(THEIRS), "an unknown CPA id falls through to the pair");
    assert_eq!(p.profile(OURS, UNKNOWN, None).await.expect("lookup of an unknown HER-id"), None, "no profile, not an error");
    assert_eq!(p.profile(OURS, THEIRS, None).await.expect("again").as_ref(), Some(want), "stable on repeat");
}
