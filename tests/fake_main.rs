//! helsenorge-fake: the local fake of HelsenorgeAktiv and HelseID for the demo.
//! `helsenorge-fake [PORT] [FIXTURE]` (defaults 4580, events/helsenorge/aktiv.json); loopback only.

use std::net::SocketAddr;

use e2e::fake::Fake;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(4580);
    let fixture = args.next().unwrap_or_else(|| "events/helsenorge/aktiv.json".into());
    let fake = Fake::start(SocketAddr::from(([127, 0, 0, 1], port)), Fake::fixture(fixture.as_ref())).await?;
    println!("helsenorge-fake on {} (token endpoint {})", fake.base_url(), fake.token_url());
    std::future::pending::<()>().await;
    Ok(())
}
