//! CMS throughput on one core (the bridge's CPU work per message): sign+encrypt (sending) and
//! decrypt+verify (receiving) of the sample eKontakt with 2048-bit RSA test keys made here.
//! `cargo run -p helsenorge-bridge --example cms_rate [N]`; the figure goes into the README.

use std::time::Instant;

use helsenorge_bridge::testkit::{self, PartyKeys};
use shared::ports_transport::MessageProtection;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: u32 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(500);
    let ca = testkit::ca("bench CA")?;
    let (us, hn) = (PartyKeys::new(&ca, "kommune")?, PartyKeys::new(&ca, "Helsenorge")?);
    let xml = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../../events/kith/ekontakt.xml"))?;
    let (ours, theirs) = (us.protection(), hn.protection());
    let t = Instant::now();
    let mut sealed = vec![];
    for _ in 0..n {
        sealed = ours.protect(&xml, &hn.encryption.cert_der())?;
    }
    let send = f64::from(n) / t.elapsed().as_secs_f64();
    let inbound = theirs.protect(&xml, &us.encryption.cert_der())?;
    let t = Instant::now();
    for _ in 0..n {
        ours.unprotect(&inbound, &hn.signing.cert_der())?;
    }
    let receive = f64::from(n) / t.elapsed().as_secs_f64();
    println!("{{\"messages\": {n}, \"payload_bytes\": {}, \"cms_bytes\": {}, \"sign_encrypt_per_s\": {send:.0}, \"decrypt_verify_per_s\": {receive:.0}}}", xml.len(), sealed.len());
    Ok(())
}
