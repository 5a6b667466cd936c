//! A TCP proxy that can cut every connection through it and refuse new ones for a while, then
//! let them through again: the bridge ↔ broker connection dropped mid-flow (tests/bridge_faults.rs).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A running proxy in front of `upstream`.
#[derive(Clone)]
pub struct TcpCut {
    cut: Arc<AtomicBool>,
    generation: watch::Sender<u64>,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl TcpCut {
    /// Starts on a free loopback port.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (generation, _) = watch::channel(0u64);
        let proxy = Self { cut: Arc::default(), generation, addr };
        let p = proxy.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if p.cut.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let mut cut = p.generation.subscribe();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(upstream).await else { return };
                    let (mut client, mut server) = (client, server);
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut.changed() => {}
                    }
                    // Dropping both ends closes them: the connection is gone for both sides.
                });
            }
        });
        proxy
    }

    /// Closes every open connection and refuses new ones until [`TcpCut::restore`].
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}
