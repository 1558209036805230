//! Turning a raw MQTT publish into something the pool may apply, or into a
//! dead letter with a reason. Pure: no I/O, no clock, so every bad-input
//! case is a table test.

use protocol::{decode, EventBatch, Message, Status, Topic, TopicKind};

/// What a publish turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    /// A well-formed, possible batch of movements for this site.
    Batch(EventBatch),
    /// A device heartbeat or last will.
    Status(Status),
    /// Refused, with the reason an operator will read.
    Reject(String),
    /// Not ours to handle (acks and work queues the hub itself publishes).
    Ignore,
}

/// Classifies a publish on `topic` for the hub that owns `site`.
pub fn classify(site: &str, topic: &str, payload: &[u8]) -> Intake {
    let parsed = match Topic::parse(topic) {
        Ok(t) => t,
        Err(e) => return Intake::Reject(e.to_string()),
    };
    if parsed.site != site {
        return Intake::Reject(format!(
            "topic is for site {:?}, this hub owns {site:?}",
            parsed.site
        ));
    }
    match parsed.kind {
        TopicKind::Events => classify_events(&parsed, payload),
        TopicKind::Status => classify_status(&parsed, payload),
        _ => Intake::Ignore,
    }
}

fn classify_events(topic: &Topic, payload: &[u8]) -> Intake {
    let batch = match decode(payload) {
        Ok(Message::Batch(batch)) => batch,
        Ok(other) => return Intake::Reject(format!("{} on an events topic", name_of(&other))),
        Err(e) => return Intake::Reject(e.to_string()),
    };
    if batch.device != topic.endpoint || batch.site != topic.site {
        return Intake::Reject(format!(
            "payload claims {}/{} but the topic is {}/{}",
            batch.site, batch.device, topic.site, topic.endpoint
        ));
    }
    match batch.validate() {
        Ok(()) => Intake::Batch(batch),
        Err(e) => Intake::Reject(format!("impossible batch: {e}")),
    }
}

fn classify_status(topic: &Topic, payload: &[u8]) -> Intake {
    match decode(payload) {
        Ok(Message::Status(s)) if s.device == topic.endpoint && s.site == topic.site => {
            match s.validate() {
                Ok(()) => Intake::Status(s),
                Err(e) => Intake::Reject(format!("impossible status: {e}")),
            }
        }
        Ok(Message::Status(s)) => Intake::Reject(format!(
            "status claims {}/{} but the topic is {}/{}",
            s.site, s.device, topic.site, topic.endpoint
        )),
        Ok(other) => Intake::Reject(format!("{} on a status topic", name_of(&other))),
        Err(e) => Intake::Reject(e.to_string()),
    }
}

fn name_of(message: &Message) -> &'static str {
    match message {
        Message::Batch(_) => "an event batch",
        Message::Ack(_) => "an ack",
        Message::Status(_) => "a status",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use protocol::{encode, Ack, Movement, MovementKind};

    fn batch(device: &str, quantity: i64) -> Vec<u8> {
        encode(&Message::Batch(EventBatch {
            site: "s1".into(),
            device: device.into(),
            first_seq: 1,
            movements: vec![Movement {
                seq: 1,
                kind: MovementKind::Pick,
                sku: "SKU".into(),
                location: "A".into(),
                to_location: None,
                lot: None,
                quantity,
                device_time_ms: 0,
                task: None,
            }],
            auth_tag: None,
        }))
    }

    #[test]
    fn bad_publishes_are_rejected_with_a_reason() {
        let ack = encode(&Message::Ack(Ack {
            site: "s1".into(),
            device: "d1".into(),
            through_seq: 1,
        }));
        let cases: Vec<(&str, Vec<u8>, &str)> = vec![
            (
                "wms/s1/dev/d1/events",
                b"garbage".to_vec(),
                "unknown protocol version",
            ),
            ("wms/s1/dev/d1/events", vec![], "empty frame"),
            ("wms/s1/dev/d1/events", vec![1], "truncated"),
            (
                "wms/s1/dev/d1/events",
                batch("d2", 1),
                "payload claims s1/d2",
            ),
            ("wms/s1/dev/d1/events", batch("d1", 0), "impossible batch"),
            (
                "wms/s1/dev/d1/events",
                batch("d1", 5_000_000),
                "impossible batch",
            ),
            (
                "wms/s1/dev/d1/events",
                ack.clone(),
                "an ack on an events topic",
            ),
            ("wms/s2/dev/d1/events", batch("d1", 1), "this hub owns"),
            ("wms/s1/dev/d1/status", ack, "an ack on a status topic"),
            ("wms/s1/dev/d1/status", b"\x01\x02".to_vec(), "truncated"),
            ("junk/topic", batch("d1", 1), "not a topic"),
        ];
        for (topic, payload, expected) in cases {
            match classify("s1", topic, &payload) {
                Intake::Reject(reason) => {
                    assert!(
                        reason.contains(expected),
                        "{topic}: {reason:?} !~ {expected:?}"
                    )
                }
                other => panic!("{topic} {payload:?} accepted as {other:?}"),
            }
        }
    }

    #[test]
    fn good_batch_is_accepted_and_acks_are_ignored() {
        assert!(matches!(
            classify("s1", "wms/s1/dev/d1/events", &batch("d1", 2)),
            Intake::Batch(_)
        ));
        assert_eq!(classify("s1", "wms/s1/dev/d1/ack", b"x"), Intake::Ignore);
    }
}
