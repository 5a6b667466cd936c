//! The claim check's body store on S3 (`ports::bodies`): one object per body in the body bucket
//! (template.yaml `BodyBucket`: SSE-KMS by default, public access blocked, expiry by lifecycle).
//! Each PutObject asks for server-side encryption itself as well, so an object is never stored
//! in plain text even in a bucket without a default. Path-style addressing when
//! `AWS_ENDPOINT_URL` is set (the local stack: moto has no per-bucket host names).

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;

use super::classify;
use crate::adapters::claim_check::{ClaimCheckOutbox, ClaimSettings, ClaimedSource};
use crate::adapters::claim_check_inbound::ClaimCheckInbound;
use crate::adapters::claim_check_answers::{AttachmentsBack, ClaimedAnswers};
use crate::domain::claim_check::ClaimRef;
use crate::error::PortError;
use crate::ports::bodies::BodyStore;

/// Bodies in `bucket`.
#[derive(Debug, Clone)]
pub struct S3Bodies {
    client: Client,
    bucket: String,
}

impl S3Bodies {
    /// The store in `bucket`, with a client built from `sdk`.
    pub fn new(sdk: &aws_types::SdkConfig, bucket: impl Into<String>) -> Self {
        let local = std::env::var("AWS_ENDPOINT_URL").is_ok_and(|v| !v.is_empty());
        let config = aws_sdk_s3::config::Builder::from(sdk).force_path_style(local).build();
        Self { client: Client::from_conf(config), bucket: bucket.into() }
    }

    /// The bucket.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }
}

impl BodyStore for S3Bodies {
    /// PutObject with SSE; returns once S3 stored it.
    async fn put(&self, key: &str, body: &[u8]) -> Result<ClaimRef, PortError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key)
            .server_side_encryption(ServerSideEncryption::AwsKms)
            .body(ByteStream::from(body.to_vec()))
            .send()
            .await
            .map_err(|e| classify("store body in S3", e))?;
        Ok(ClaimRef { bucket: self.bucket.clone(), key: key.to_string() })
    }

    /// GetObject; only from our own bucket (a reference naming another is refused, permanent).
    async fn get(&self, claim: &ClaimRef) -> Result<Vec<u8>, PortError> {
        if claim.bucket != self.bucket {
            return Err(PortError::permanent("read body from S3", format!("{claim} is not in the body bucket")));
        }
        let out = self.client.get_object().bucket(&self.bucket).key(&claim.key).send().await.map_err(|e| classify("read body from S3", e))?;
        let bytes = out.body.collect().await.map_err(|e| PortError::transient("read body from S3", e))?;
        Ok(bytes.into_bytes().to_vec())
    }
}

/// The claim check as configured (`ClaimSettings`: `BODY_BUCKET`,
/// `CLAIM_CHECK_THRESHOLD_BYTES`), the store on S3: the wrappers a function's or the bridge's
/// adapters need.
#[derive(Debug, Clone)]
pub struct S3Claims {
    /// The store (`None` without `BODY_BUCKET`: nothing can go by reference).
    pub store: Option<S3Bodies>,
    /// Bodies above this many bytes go by reference.
    pub threshold: usize,
}

impl S3Claims {
    /// From the environment, with a client built from `sdk`.
    pub fn from_env(sdk: &aws_types::SdkConfig) -> Result<Self, PortError> {
        let settings = ClaimSettings::from_env()?;
        Ok(Self { store: settings.bucket.map(|b| S3Bodies::new(sdk, b)), threshold: settings.threshold })
    }

    /// The queue adapter toward Helsenorge: large rendered messages by reference.
    pub fn outbox<H>(&self, inner: H) -> ClaimCheckOutbox<H, Option<S3Bodies>> {
        ClaimCheckOutbox { inner, store: self.store.clone(), threshold: self.threshold }
    }

    /// ToHelsenorgeQueue as the bridge reads it: both forms.
    pub fn source<S>(&self, inner: S) -> ClaimedSource<S, Option<S3Bodies>> {
        ClaimedSource { inner, store: self.store.clone() }
    }

    /// InboundQueue as the bridge writes it: large MsgHeads by reference under `inbound/`,
    /// each object named with a fresh `unique` suffix.
    pub fn inbound<S, U>(&self, inner: S, unique: U) -> ClaimCheckInbound<S, Option<S3Bodies>, U> {
        ClaimCheckInbound { inner, store: self.store.clone(), threshold: self.threshold, unique }
    }

    /// The message store: recorded answers keep large attachments by reference.
    pub fn answers<M>(&self, inner: M) -> ClaimedAnswers<M, Option<S3Bodies>> {
        ClaimedAnswers { inner, store: self.store.clone(), threshold: self.threshold }
    }

    /// The rendering outbox: attachments held by reference read back first.
    pub fn attachments_back<H>(&self, inner: H) -> AttachmentsBack<H, Option<S3Bodies>> {
        AttachmentsBack { inner, store: self.store.clone() }
    }
}

/// ToHelsenorgeQueue as the bridge reads it: both forms (`BODY_BUCKET` names the store).
pub fn claimed_source<S>(inner: S, sdk: &aws_types::SdkConfig) -> Result<ClaimedSource<S, Option<S3Bodies>>, PortError> {
    Ok(S3Claims::from_env(sdk)?.source(inner))
}
