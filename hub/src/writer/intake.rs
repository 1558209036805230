//! Turning a raw MQTT publish into something the pool may apply, or into a
//! dead letter with a reason. Pure: no I/O, no clock, so every bad-input
//! case is a table test. The registry snapshot is passed in.
//!
//! An events batch must come from a registered, active device of this
//! site and carry a tag that verifies under that device's key over the
//! exact bytes received (promise 9): a device can act only as itself.
//! A status (heartbeat, last will) must pass the same checks, so no one
//! can mark another device offline.

use crate::devices::DeviceBook;
use protocol::{
    decode, verify_frame, AuthError, EventBatch, LabelReport, Message, Status, TaskAck, Topic,
    TopicKind,
};

/// What a publish turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intake {
    /// A well-formed, possible batch of movements for this site.
    Batch(EventBatch),
    /// A device heartbeat or last will.
    Status(Status),
    /// A device saying which version of its work queue it holds.
    TaskAck(TaskAck),
    /// A printer station saying what became of its label jobs.
    LabelReport(LabelReport),
    /// Refused, with the reason an operator will read.
    Reject(String),
    /// Refused as forged: not from an active registered device of this
    /// site, unsigned, or its MAC fails (the reason an operator will read).
    Forged(String),
    /// Not ours to handle (acks and work queues the hub itself publishes).
    Ignore,
}

/// Classifies a publish on `topic` for the hub that owns `site`, checking
/// batches against the registered `devices`.
pub fn classify(site: &str, topic: &str, payload: &[u8], devices: &DeviceBook) -> Intake {
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
        TopicKind::Events => classify_events(&parsed, payload, devices),
        TopicKind::Status => classify_status(&parsed, payload, devices),
        TopicKind::TaskAck => classify_task_ack(&parsed, payload, devices),
        TopicKind::PrinterDone => classify_label_report(&parsed, payload, devices),
        _ => Intake::Ignore,
    }
}

fn classify_events(topic: &Topic, payload: &[u8], devices: &DeviceBook) -> Intake {
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
    let claim = Claim {
        what: "batch",
        site: &batch.site,
        device: &batch.device,
        signed: batch.auth_tag.is_some(),
    };
    if let Err(reason) = authenticate(&claim, payload, devices) {
        return Intake::Forged(reason);
    }
    match batch.validate() {
        Ok(()) => Intake::Batch(batch),
        Err(e) => Intake::Reject(format!("impossible batch: {e}")),
    }
}

/// Who a frame says it is from, and whether it carries a tag.
struct Claim<'a> {
    what: &'static str,
    site: &'a str,
    device: &'a str,
    signed: bool,
}

/// The frame's device is registered and active for its site, and the tag
/// verifies under its key.
fn authenticate(claim: &Claim<'_>, payload: &[u8], devices: &DeviceBook) -> Result<(), String> {
    let (what, device) = (claim.what, claim.device);
    let Some(entry) = devices.get(device) else {
        return Err(format!(
            "unknown device {device:?}: not in the device registry"
        ));
    };
    if !entry.active {
        return Err(format!("device {device:?} revoked"));
    }
    if !claim.signed {
        return Err(format!("{what} has no auth tag (device {device:?})"));
    }
    if entry.site != claim.site {
        return Err(format!(
            "device {device:?} is registered for site {:?}, not {:?}",
            entry.site, claim.site
        ));
    }
    match verify_frame(&entry.key, payload) {
        Ok(()) => Ok(()),
        Err(AuthError::Unsigned) => Err(format!("{what} has no auth tag (device {device:?})")),
        Err(AuthError::BadTag) => Err(format!(
            "MAC fails: the {what} is not signed with device {device:?}'s current key"
        )),
    }
}

/// A status must be authentic like a batch: a forged "offline" for another
/// device is refused here.
fn classify_status(topic: &Topic, payload: &[u8], devices: &DeviceBook) -> Intake {
    let status = match decode(payload) {
        Ok(Message::Status(s)) => s,
        Ok(other) => return Intake::Reject(format!("{} on a status topic", name_of(&other))),
        Err(e) => return Intake::Reject(e.to_string()),
    };
    if status.device != topic.endpoint || status.site != topic.site {
        return Intake::Reject(format!(
            "status claims {}/{} but the topic is {}/{}",
            status.site, status.device, topic.site, topic.endpoint
        ));
    }
    let claim = Claim {
        what: "status",
        site: &status.site,
        device: &status.device,
        signed: status.auth_tag.is_some(),
    };
    if let Err(reason) = authenticate(&claim, payload, devices) {
        return Intake::Forged(reason);
    }
    match status.validate() {
        Ok(()) => Intake::Status(status),
        Err(e) => Intake::Reject(format!("impossible status: {e}")),
    }
}

/// A task ack must be authentic like a batch: a forged one could only
/// make the hub resend a queue, but it is refused all the same.
fn classify_task_ack(topic: &Topic, payload: &[u8], devices: &DeviceBook) -> Intake {
    let ack = match decode(payload) {
        Ok(Message::TaskAck(a)) => a,
        Ok(other) => return Intake::Reject(format!("{} on a task ack topic", name_of(&other))),
        Err(e) => return Intake::Reject(e.to_string()),
    };
    if ack.device != topic.endpoint || ack.site != topic.site {
        return Intake::Reject(format!(
            "task ack claims {}/{} but the topic is {}/{}",
            ack.site, ack.device, topic.site, topic.endpoint
        ));
    }
    let claim = Claim {
        what: "task ack",
        site: &ack.site,
        device: &ack.device,
        signed: ack.auth_tag.is_some(),
    };
    if let Err(reason) = authenticate(&claim, payload, devices) {
        return Intake::Forged(reason);
    }
    match ack.validate() {
        Ok(()) => Intake::TaskAck(ack),
        Err(e) => Intake::Reject(format!("impossible task ack: {e}")),
    }
}

/// A label report must be authentic like a batch, from the station the
/// topic names: only a station's own reports move its jobs.
fn classify_label_report(topic: &Topic, payload: &[u8], devices: &DeviceBook) -> Intake {
    let report = match decode(payload) {
        Ok(Message::LabelReport(r)) => r,
        Ok(other) => return Intake::Reject(format!("{} on a printer done topic", name_of(&other))),
        Err(e) => return Intake::Reject(e.to_string()),
    };
    if report.station != topic.endpoint || report.site != topic.site {
        return Intake::Reject(format!(
            "label report claims {}/{} but the topic is {}/{}",
            report.site, report.station, topic.site, topic.endpoint
        ));
    }
    let claim = Claim {
        what: "label report",
        site: &report.site,
        device: &report.station,
        signed: report.auth_tag.is_some(),
    };
    if let Err(reason) = authenticate(&claim, payload, devices) {
        return Intake::Forged(reason);
    }
    match report.validate() {
        Ok(()) => Intake::LabelReport(report),
        Err(e) => Intake::Reject(format!("impossible label report: {e}")),
    }
}

fn name_of(message: &Message) -> &'static str {
    match message {
        Message::Batch(_) => "an event batch",
        Message::Ack(_) => "an ack",
        Message::Status(_) => "a status",
        Message::TaskList(_) => "a task list",
        Message::TaskAck(_) => "a task ack",
        Message::LabelJob(_) => "a label job",
        Message::LabelReport(_) => "a label report",
    }
}

#[cfg(test)]
#[path = "intake_tests.rs"]
mod tests;
