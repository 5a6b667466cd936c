//! TLS for `amqps://` (the Tjenestebuss listens on 5671): rustls with ring, the same TLS stack
//! and crypto as the AWS SDK here, and the system's root certificates (Buypass/Commfides roots
//! are in the usual stores; NHN's broker uses a public certificate).

use std::sync::Arc;

use shared::error::BoxError;
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};

/// A TLS client stream to `host` over `tcp`.
pub async fn connect(host: &str, tcp: TcpStream) -> Result<TlsStream<TcpStream>, BoxError> {
    let mut roots = RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        // A certificate the store holds but rustls cannot parse is skipped, not fatal.
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err("no root certificates found on this system".into());
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_string())?;
    Ok(TlsConnector::from(Arc::new(config)).connect(name, tcp).await?)
}
