//! helsenorge-bridge: the long-running bridge between Helsenorge's Tjenestebuss (AMQP 1.0,
//! RabbitMQ dialect) and our SQS queues (issue 18). The use cases live in `shared::app::bridge_in`
//! / `bridge_out`; this crate holds the adapters that need OpenSSL (CMS) and an AMQP client, so
//! that no Lambda binary links either. Design and sources: docs/transport.md.

pub mod cms;
pub mod testkit;
pub mod amqp;
pub mod tls;
pub mod wire;
pub mod keys;
pub mod sqs;
pub mod config;
pub mod run;
pub mod aws;
pub mod cppa_xml;
pub mod cppa_rest;
pub mod cppa_testkit;
pub mod profiles;
