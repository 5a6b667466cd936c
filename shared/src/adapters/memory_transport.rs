//! In-memory adapters for the bridge's ports (`ports_transport`), for use-case tests and the
//! bench. The fake CMS marks who signed and for whom it was encrypted without any cryptography:
//! `cms:{receiver}:{signer}:{content}` (certificates here are short ASCII names).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;

use crate::domain::transport::{CertProblem, TransportMessage};
use crate::error::PortError;
use crate::ports_transport::{
    AmqpSender, CertDer, CollaborationProfiles, InboundItem, InboundSink, KeyUsage, MessageProtection, OutboundItem, OutboundSource,
    Profile, ProtectionError,
};

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn down(what: &'static str) -> PortError {
    PortError::transient(what, "switched off by the test")
}

/// Profiles by counterpart HER-id; can be switched to fail (registry down).
#[derive(Debug, Clone, Default)]
pub struct MemoryProfiles {
    profiles: Arc<Mutex<HashMap<u64, Profile>>>,
    down: Arc<AtomicBool>,
}

impl MemoryProfiles {
    /// Knows `profiles`.
    pub fn with(profiles: impl IntoIterator<Item = Profile>) -> Self {
        let p = Self::default();
        lock(&p.profiles).extend(profiles.into_iter().map(|p| (p.her_id, p)));
        p
    }
    /// Every lookup fails (transient) while set.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

impl CollaborationProfiles for MemoryProfiles {
    async fn profile(&self, _ours: u64, theirs: u64, cpa_id: Option<&str>) -> Result<Option<Profile>, PortError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(down("collaboration profile"));
        }
        let p = lock(&self.profiles).get(&theirs).cloned();
        // A CPA id that names another agreement than the counterpart's finds nothing by id; the
        // lookup falls through to the pair, as the library does.
        let _ = cpa_id;
        Ok(p)
    }
}

/// A fake CMS (no cryptography): `cms:{receiver}:{signer}:{content}`, with `our` as our
/// certificate name (and `previous` also opening), and per-certificate problems.
#[derive(Debug, Clone)]
pub struct FakeProtection {
    /// Our certificate's name.
    pub our: String,
    /// Our previous certificate's name (rotation).
    pub previous: Option<String>,
    /// Problems `check` reports, by certificate.
    pub problems: HashMap<Vec<u8>, Vec<CertProblem>>,
}

impl FakeProtection {
    /// We are `our`.
    pub fn new(our: &str) -> Self {
        Self { our: our.into(), previous: None, problems: HashMap::new() }
    }
    /// What a counterpart signing with `signer` sends us (or anyone, as `receiver`).
    pub fn seal(receiver: &str, signer: &str, content: &[u8]) -> Vec<u8> {
        [format!("cms:{receiver}:{signer}:").as_bytes(), content].concat()
    }
    /// Opens what was sealed: (receiver, signer, content).
    pub fn open(cms: &[u8]) -> Option<(String, String, Vec<u8>)> {
        let rest = cms.strip_prefix(b"cms:")?;
        let mut parts = rest.splitn(3, |b| *b == b':');
        let r = String::from_utf8(parts.next()?.to_vec()).ok()?;
        let s = String::from_utf8(parts.next()?.to_vec()).ok()?;
        Some((r, s, parts.next()?.to_vec()))
    }
}

impl MessageProtection for FakeProtection {
    fn protect(&self, content: &[u8], receiver: &CertDer) -> Result<Vec<u8>, ProtectionError> {
        Ok(Self::seal(&String::from_utf8_lossy(&receiver.0), &self.our, content))
    }

    fn unprotect(&self, cms: &[u8], sender: &CertDer) -> Result<Vec<u8>, ProtectionError> {
        let (receiver, signer, content) = Self::open(cms).ok_or(ProtectionError::Malformed)?;
        if receiver != self.our && Some(&receiver) != self.previous.as_ref() {
            return Err(ProtectionError::Decrypt(format!("recipient {receiver}")));
        }
        if signer.as_bytes() != sender.0.as_slice() {
            return Err(ProtectionError::WrongSigner);
        }
        Ok(content)
    }

    fn check(&self, cert: &CertDer, _usage: KeyUsage, _now: Timestamp) -> Vec<CertProblem> {
        self.problems.get(&cert.0).cloned().unwrap_or_default()
    }
}

/// InboundQueue in memory; can be switched to fail (SQS down).
#[derive(Debug, Clone, Default)]
pub struct MemorySink {
    items: Arc<Mutex<Vec<InboundItem>>>,
    down: Arc<AtomicBool>,
}

impl MemorySink {
    /// Everything enqueued, in order.
    pub fn items(&self) -> Vec<InboundItem> {
        lock(&self.items).clone()
    }
    /// Every enqueue fails (transient) while set.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

impl InboundSink for MemorySink {
    async fn enqueue(&self, item: &InboundItem) -> Result<(), PortError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(down("enqueue"));
        }
        lock(&self.items).push(item.clone());
        Ok(())
    }
}

/// The broker in memory: what was sent, to which queue; can be switched to fail.
#[derive(Debug, Clone, Default)]
pub struct MemoryAmqp {
    sent: Arc<Mutex<Vec<(String, TransportMessage)>>>,
    down: Arc<AtomicBool>,
}

impl MemoryAmqp {
    /// Everything accepted, in order.
    pub fn sent(&self) -> Vec<(String, TransportMessage)> {
        lock(&self.sent).clone()
    }
    /// Every send fails (transient) while set.
    pub fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::SeqCst);
    }
}

impl AmqpSender for MemoryAmqp {
    async fn send(&self, queue: &str, message: &TransportMessage) -> Result<(), PortError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(down("amqp send"));
        }
        lock(&self.sent).push((queue.to_string(), message.clone()));
        Ok(())
    }
}

/// ToHelsenorgeQueue in memory: `receive` shows every message not deleted.
#[derive(Debug, Clone, Default)]
pub struct MemoryOutboundSource {
    items: Arc<Mutex<Vec<OutboundItem>>>,
    deletes: Arc<AtomicUsize>,
}

impl MemoryOutboundSource {
    /// Puts a message on the queue.
    pub fn push(&self, item: OutboundItem) {
        lock(&self.items).push(item);
    }
    /// The messages still on the queue.
    pub fn remaining(&self) -> Vec<OutboundItem> {
        lock(&self.items).clone()
    }
    /// How many deletes were made.
    pub fn deletes(&self) -> usize {
        self.deletes.load(Ordering::SeqCst)
    }
}

impl OutboundSource for MemoryOutboundSource {
    async fn receive(&self) -> Result<Vec<OutboundItem>, PortError> {
        Ok(lock(&self.items).iter().take(10).cloned().collect())
    }
    async fn delete(&self, receipt: &str) -> Result<(), PortError> {
        self.deletes.fetch_add(1, Ordering::SeqCst);
        lock(&self.items).retain(|i| i.receipt != receipt);
        Ok(())
    }
}
