//! What `/healthz` reports, and why it can be trusted (promise 12): the
//! hub is healthy only while every part of it works, checked each time it
//! is asked rather than remembered from start.
//!
//! - The writer answers a ping through its queue within [`WRITER_PATIENCE`]
//!   (an answer comes only after a whole group cycle, so a writer that is
//!   stuck or dead fails it).
//! - The last group commit succeeded (a full disk fails commits: the hub
//!   stops acking, devices keep their journals, and the next commit after
//!   space returns clears it by itself).
//! - The data directory's file system has room ([`free_bytes`]).
//! - The hub's MQTT client holds its subscriptions (so a restarting
//!   broker shows here too).
//! - No task has stopped ([`Health::stopped`]; the hub then also shuts
//!   down and exits non-zero, so its supervisor restarts it).
//! - No part has been silent past its patience ([`crate::beat`]): a part
//!   that is there but stuck is named too.

pub mod parts;
pub mod trim;

use crate::beat::{Beat, Beats};
use crate::metrics::Metrics;
use crate::store::floor::DiskFloor;
use crate::writer::commands::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How long the writer may take to answer a ping.
pub const WRITER_PATIENCE: Duration = Duration::from_secs(5);

/// The hub's parts as health sees them.
#[derive(Debug)]
pub struct Health {
    metrics: Arc<Metrics>,
    commands: mpsc::WeakSender<Command>,
    floor: DiskFloor,
    stopped: Mutex<Vec<String>>,
    beats: Beats,
}

impl Health {
    /// Health over these parts. The writer's queue is held weakly, so
    /// health never keeps a stopping writer alive.
    pub fn new(
        metrics: Arc<Metrics>,
        commands: &mpsc::Sender<Command>,
        floor: DiskFloor,
    ) -> Health {
        Health {
            metrics,
            commands: commands.downgrade(),
            floor,
            stopped: Mutex::new(Vec::new()),
            beats: Beats::default(),
        }
    }

    /// Registers the part `name`, which shows a sign of life at least
    /// every `patience` while it works.
    pub fn beat(&self, name: &'static str, patience: Duration) -> Beat {
        self.beats.register(name, patience)
    }

    /// The parts silent for more than `times` their patience.
    pub fn silent(&self, times: u32) -> Vec<crate::beat::Silent> {
        self.beats.silent(times)
    }

    /// Records that a part stopped while the hub was meant to run.
    pub fn stopped(&self, part: &str) {
        self.stopped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(part.to_string());
    }

    /// Every problem found now, one line each; empty means healthy.
    pub async fn problems(&self) -> Vec<String> {
        let mut found: Vec<String> = self
            .stopped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|part| format!("{part}: stopped"))
            .collect();
        found.extend(self.silent(1).iter().map(ToString::to_string));
        if let Some(problem) = self.writer_problem().await {
            found.push(problem);
        }
        if let Some(error) = self.metrics.commit_failing() {
            found.push(format!(
                "store: group commits failing, nothing is acked: {error}"
            ));
        }
        if let Some(why) = self.floor.refuses() {
            found.push(format!("{why}: commits and acks stop"));
        }
        if !self.metrics.is_subscribed() {
            found.push("mqtt: not subscribed to device topics (broker down or restarting)".into());
        }
        found
    }

    async fn writer_problem(&self) -> Option<String> {
        let Some(commands) = self.commands.upgrade() else {
            return Some("writer: stopped".into());
        };
        let (reply, answer) = oneshot::channel();
        let asked = async {
            commands.send(Command::Ping { reply }).await.ok()?;
            answer.await.ok()
        };
        match tokio::time::timeout(WRITER_PATIENCE, asked).await {
            Ok(Some(_)) => None,
            Ok(None) => Some("writer: stopped".into()),
            Err(_) => Some(format!(
                "writer: no answer in {} s",
                WRITER_PATIENCE.as_secs()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::floor::free_bytes;

    #[test]
    fn free_space_of_a_real_directory_and_a_clear_error_for_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(free_bytes(dir.path()).unwrap() > 0);
        assert!(free_bytes(&dir.path().join("missing")).is_err());
    }

    #[tokio::test]
    async fn a_writer_that_never_answers_or_is_gone_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let metrics = Arc::new(Metrics::default());
        metrics
            .mqtt_subscribed
            .store(1, std::sync::atomic::Ordering::Relaxed);
        let (tx, mut rx) = mpsc::channel(4);
        let floor = DiskFloor {
            dir: dir.path().into(),
            min_free_bytes: 0,
        };
        let health = Health::new(metrics.clone(), &tx, floor);
        // A writer that answers.
        let answering = tokio::spawn(async move {
            while let Some(Command::Ping { reply }) = rx.recv().await {
                let _ = reply.send(Ok(()));
            }
        });
        assert_eq!(health.problems().await, Vec::<String>::new());
        metrics.commit_failed("No space left on device");
        health.stopped("sweeper");
        let found = health.problems().await;
        assert!(
            found.iter().any(|p| p.contains("No space left")),
            "{found:?}"
        );
        assert!(found.iter().any(|p| p == "sweeper: stopped"), "{found:?}");
        metrics.commit_succeeded();
        drop(tx);
        answering.await.unwrap();
        let found = health.problems().await;
        assert!(found.iter().any(|p| p == "writer: stopped"), "{found:?}");
    }
}
