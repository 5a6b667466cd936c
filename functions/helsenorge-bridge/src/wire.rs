//! Our [`TransportMessage`] to and from fe2o3-amqp's message: one `data` section, the properties
//! and application properties Helsenorge.Messaging uses (docs/transport.md §1.3). We write
//! strings; we read strings and typed values (R-TR-1).

use fe2o3_amqp::types::messaging::{ApplicationProperties, Body, Data, Header, Message, MessageId, Properties};
use fe2o3_amqp::types::primitives::{Binary, SimpleValue, Value};
use shared::domain::transport::{PropValue, TransportMessage};

/// A message to send: durable, with the TTL when given.
pub fn to_amqp(m: &TransportMessage) -> Message<Data> {
    let mut props = Properties::builder();
    if let Some(v) = &m.message_id {
        props = props.message_id(v.clone());
    }
    if let Some(v) = &m.to {
        props = props.to(v.clone());
    }
    if let Some(v) = &m.subject {
        props = props.subject(v.clone());
    }
    if let Some(v) = &m.reply_to {
        props = props.reply_to(v.clone());
    }
    if let Some(v) = &m.correlation_id {
        props = props.correlation_id(v.clone());
    }
    if let Some(v) = &m.content_type {
        props = props.content_type(v.as_str());
    }
    let mut app = ApplicationProperties::builder();
    for (k, v) in &m.application {
        let v = match v {
            PropValue::Str(s) => SimpleValue::String(s.clone()),
            PropValue::Int(i) => SimpleValue::Long(*i),
            PropValue::Timestamp(ms) => SimpleValue::Timestamp(fe2o3_amqp::types::primitives::Timestamp::from_milliseconds(*ms)),
        };
        app = app.insert(k.clone(), v);
    }
    Message::builder()
        .header(Header::builder().durable(true).ttl(m.ttl_ms).build())
        .properties(props.build())
        .application_properties(app.build())
        .data(Binary::from(m.body.clone()))
        .build()
}

fn id_text(id: &MessageId) -> String {
    match id {
        MessageId::String(s) => s.clone(),
        MessageId::Ulong(u) => u.to_string(),
        MessageId::Uuid(u) => format!("{u:?}"),
        MessageId::Binary(b) => String::from_utf8_lossy(b).into_owned(),
    }
}

fn prop_value(v: &SimpleValue) -> Option<PropValue> {
    Some(match v {
        SimpleValue::String(s) => PropValue::Str(s.clone()),
        SimpleValue::Symbol(s) => PropValue::Str(s.as_str().to_string()),
        SimpleValue::Byte(i) => PropValue::Int((*i).into()),
        SimpleValue::Short(i) => PropValue::Int((*i).into()),
        SimpleValue::Int(i) => PropValue::Int((*i).into()),
        SimpleValue::Long(i) => PropValue::Int(*i),
        SimpleValue::Ubyte(i) => PropValue::Int((*i).into()),
        SimpleValue::Ushort(i) => PropValue::Int((*i).into()),
        SimpleValue::Uint(i) => PropValue::Int((*i).into()),
        SimpleValue::Ulong(i) => PropValue::Int(i64::try_from(*i).ok()?),
        SimpleValue::Timestamp(t) => PropValue::Timestamp(t.clone().into_inner()),
        _ => return None,
    })
}

/// A received message: `data` sections concatenated; any other body reads as empty (and then
/// fails decryption, which is reported).
pub fn from_amqp(m: &Message<Body<Value>>) -> TransportMessage {
    let p = m.properties.clone().unwrap_or_default();
    let application = m
        .application_properties
        .as_ref()
        .map(|a| a.0.iter().filter_map(|(k, v)| Some((k.clone(), prop_value(v)?))).collect())
        .unwrap_or_default();
    let body = match &m.body {
        Body::Data(batch) => batch.iter().flat_map(|d| d.0.iter().copied()).collect(),
        Body::Value(v) => match &v.0 {
            Value::Binary(b) => b.to_vec(),
            _ => vec![],
        },
        _ => vec![],
    };
    TransportMessage {
        message_id: p.message_id.as_ref().map(id_text),
        to: p.to,
        subject: p.subject,
        reply_to: p.reply_to,
        correlation_id: p.correlation_id.as_ref().map(id_text),
        content_type: p.content_type.map(|c| c.0),
        ttl_ms: m.header.as_ref().and_then(|h| h.ttl),
        application,
        body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_tr_1_properties_survive_the_mapping_and_typed_values_are_read() {
        let mut m = TransportMessage {
            message_id: Some("6f1c2a10-0000-4000-8000-000000000001".into()),
            to: Some("80115_async".into()),
            subject: Some("APPREC".into()),
            reply_to: Some("90002_async".into()),
            correlation_id: Some("c-1".into()),
            content_type: Some(shared::domain::transport::SIGNED_AND_ENVELOPED.into()),
            ttl_ms: Some(345_600_000),
            body: vec![0, 1, 2, 255],
            ..TransportMessage::default()
        };
        m.set_app("fromHerId", "90002");
        m.application.insert("toHerId".into(), PropValue::Int(80115));
        m.application.insert("applicationTimeStamp".into(), PropValue::Timestamp(1_795_430_000_000));
        let out = to_amqp(&m);
        let received = Message {
            header: out.header.clone(),
            delivery_annotations: None,
            message_annotations: None,
            properties: out.properties.clone(),
            application_properties: out.application_properties.clone(),
            body: Body::Data(vec![out.body.clone()].into()),
            footer: None,
        };
        assert_eq!(from_amqp(&received), m);
    }
}
