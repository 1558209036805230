//! The MQTT topics of the contract, built and parsed in one place.
//!
//! Site, device and station ids are path segments, so they must be
//! non-empty and free of `/`, `+` and `#`: a device named `+` would
//! otherwise subscribe to, or publish as, every device.

use crate::validate::check_id;
use std::fmt;
use thiserror::Error;

/// Root of every topic.
pub const ROOT: &str = "wms";

/// What a topic carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicKind {
    /// Device -> hub event batches.
    Events,
    /// Device heartbeat and last will.
    Status,
    /// Hub -> device cumulative ack.
    Ack,
    /// Hub -> device work queue (`TaskList`, sealed).
    Tasks,
    /// Device -> hub acknowledgement of a work queue version (`TaskAck`).
    /// The leaf is one segment, `taskack`: every topic of the contract has
    /// five segments.
    TaskAck,
    /// Hub -> printer station label jobs.
    PrinterJobs,
    /// Printer station -> hub label results.
    PrinterDone,
}

/// A parsed topic: the site, the device or station, and the kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Topic {
    /// Site id.
    pub site: String,
    /// Device id, or printer station id for the printer kinds.
    pub endpoint: String,
    /// What the topic carries.
    pub kind: TopicKind,
}

/// Why a string is not a topic of the contract.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TopicError {
    /// The layout is not `wms/{site}/dev|printer/{id}/{leaf}`.
    #[error("not a topic of the contract: {0:?}")]
    Shape(String),
    /// A segment is empty, too long or carries `/`, `+`, `#`.
    #[error("bad topic segment: {0}")]
    Segment(#[from] crate::validate::ValidationError),
}

impl TopicKind {
    fn parts(self) -> (&'static str, &'static str) {
        match self {
            TopicKind::Events => ("dev", "events"),
            TopicKind::Status => ("dev", "status"),
            TopicKind::Ack => ("dev", "ack"),
            TopicKind::Tasks => ("dev", "tasks"),
            TopicKind::TaskAck => ("dev", "taskack"),
            TopicKind::PrinterJobs => ("printer", "jobs"),
            TopicKind::PrinterDone => ("printer", "done"),
        }
    }

    const ALL: [TopicKind; 7] = [
        TopicKind::Events,
        TopicKind::Status,
        TopicKind::Ack,
        TopicKind::Tasks,
        TopicKind::TaskAck,
        TopicKind::PrinterJobs,
        TopicKind::PrinterDone,
    ];

    /// The subscription filter matching this kind for every site and endpoint.
    pub fn filter_all_sites(self) -> String {
        let (class, leaf) = self.parts();
        format!("{ROOT}/+/{class}/+/{leaf}")
    }

    /// The subscription filter matching this kind for every endpoint of one site.
    pub fn filter_for_site(self, site: &str) -> Result<String, TopicError> {
        check_id("site", site)?;
        let (class, leaf) = self.parts();
        Ok(format!("{ROOT}/{site}/{class}/+/{leaf}"))
    }
}

impl Topic {
    /// Builds a topic, checking both segments.
    pub fn new(site: &str, endpoint: &str, kind: TopicKind) -> Result<Topic, TopicError> {
        check_id("site", site)?;
        check_id("device", endpoint)?;
        Ok(Topic {
            site: site.to_string(),
            endpoint: endpoint.to_string(),
            kind,
        })
    }

    /// Parses a concrete topic (no wildcards) of the contract.
    pub fn parse(topic: &str) -> Result<Topic, TopicError> {
        let shape = || TopicError::Shape(topic.chars().take(200).collect());
        let parts: Vec<&str> = topic.split('/').collect();
        let [root, site, class, endpoint, leaf] = parts[..] else {
            return Err(shape());
        };
        if root != ROOT {
            return Err(shape());
        }
        let kind = TopicKind::ALL
            .into_iter()
            .find(|k| k.parts() == (class, leaf))
            .ok_or_else(shape)?;
        Topic::new(site, endpoint, kind)
    }
}

impl fmt::Display for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (class, leaf) = self.kind.parts();
        write!(f, "{ROOT}/{}/{class}/{}/{leaf}", self.site, self.endpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_every_kind() {
        for kind in TopicKind::ALL {
            let t = Topic::new("site-1", "dev-7", kind).unwrap();
            assert_eq!(Topic::parse(&t.to_string()), Ok(t));
        }
        assert_eq!(
            Topic::new("s", "d", TopicKind::Events).unwrap().to_string(),
            "wms/s/dev/d/events"
        );
        assert_eq!(
            Topic::new("s", "d", TopicKind::TaskAck)
                .unwrap()
                .to_string(),
            "wms/s/dev/d/taskack"
        );
        assert_eq!(
            Topic::new("s", "d", TopicKind::Tasks).unwrap().to_string(),
            "wms/s/dev/d/tasks"
        );
        assert_eq!(
            TopicKind::PrinterDone.filter_all_sites(),
            "wms/+/printer/+/done"
        );
    }

    #[test]
    fn rejects_bad_topics() {
        for bad in [
            "",
            "wms/s/dev/d",
            "wms/s/dev/d/events/x",
            "xyz/s/dev/d/events",
            "wms//dev/d/events",
            "wms/s/dev//events",
            "wms/+/dev/d/events",
            "wms/s/dev/#/events",
            "wms/s/printer/d/events",
            "wms/s/dev/d/jobs",
            "wms/s/dev/d/tasks/ack",
            "wms/s/printer/d/taskack",
        ] {
            assert!(Topic::parse(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Topic::new("s", "a+b", TopicKind::Ack).is_err());
        assert!(TopicKind::Events.filter_for_site("#").is_err());
    }
}
