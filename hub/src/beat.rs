//! Signs of life from the hub's long-running parts. A part that has died
//! is seen when its task ends ([`crate::health::parts`]); a part that is still
//! there but stuck (blocked on a queue that never drains, spinning in a
//! loop that never yields, waiting on an answer that never comes) is seen
//! only by its silence. Each part's loop goes round at least once a
//! second, idle or not, and calls [`Beat::now`] each time; [`Beats`] says
//! which part has been silent for longer than its patience, and health
//! names it.
//!
//! Time is tokio's, so tests can pause and advance it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

/// One part's sign of life, handed to the part.
#[derive(Debug, Clone)]
pub struct Beat {
    base: Instant,
    /// Milliseconds after `base` of the last sign of life.
    last_ms: Arc<AtomicU64>,
}

impl Beat {
    /// A beat no one watches, for a loop run outside the hub's parts (the
    /// broker child's registry watch).
    pub fn unwatched() -> Beat {
        Beat {
            base: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The part is alive now.
    pub fn now(&self) {
        let ms = self.base.elapsed().as_millis() as u64;
        self.last_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// How long since the last sign of life.
    fn silence(&self) -> Duration {
        let since = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.base.elapsed().saturating_sub(since)
    }
}

/// A part that has been silent too long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Silent {
    /// The part's name.
    pub part: &'static str,
    /// How long it has been silent.
    pub silence: Duration,
    /// How long it may be.
    pub patience: Duration,
}

impl std::fmt::Display for Silent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: no progress for {} s (it shows a sign of life at least every {} s)",
            self.part,
            self.silence.as_secs(),
            self.patience.as_secs()
        )
    }
}

/// Every registered part's beat and patience.
#[derive(Debug, Default)]
pub struct Beats {
    parts: Mutex<Vec<(&'static str, Beat, Duration)>>,
}

impl Beats {
    /// Registers `part`, alive now, which may be silent for `patience`.
    pub fn register(&self, part: &'static str, patience: Duration) -> Beat {
        let beat = Beat {
            base: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        };
        self.parts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push((part, beat.clone(), patience));
        beat
    }

    /// The parts silent for longer than `times` their patience.
    pub fn silent(&self, times: u32) -> Vec<Silent> {
        let parts = self.parts.lock().unwrap_or_else(|e| e.into_inner());
        parts
            .iter()
            .filter_map(|(part, beat, patience)| {
                let silence = beat.silence();
                (silence > *patience * times).then_some(Silent {
                    part,
                    silence,
                    patience: *patience,
                })
            })
            .collect()
    }
}

/// Runs `step` every `every`, with a sign of life each time round, until
/// cancelled or until `step` answers false (what it feeds has gone). The
/// loop the hub's periodic parts share (sweeper, heap trimmer).
pub async fn every<F, Fut>(
    every: Duration,
    beat: Beat,
    cancel: tokio_util::sync::CancellationToken,
    mut step: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        beat.now();
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tick.tick() => {}
        }
        if !step().await {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_part_is_silent_only_past_its_patience() {
        let beats = Beats::default();
        let sweeper = beats.register("sweeper", Duration::from_millis(100));
        let http = beats.register("http", Duration::from_secs(60));
        tokio::time::sleep(Duration::from_millis(250)).await;
        let silent = beats.silent(1);
        assert_eq!(silent.len(), 1, "{silent:?}");
        assert_eq!(silent[0].part, "sweeper");
        assert!(silent[0].silence >= Duration::from_millis(250));
        assert!(
            silent[0]
                .to_string()
                .starts_with("sweeper: no progress for 0 s"),
            "{}",
            silent[0]
        );
        assert!(beats.silent(1_000).is_empty());
        sweeper.now();
        http.now();
        assert!(beats.silent(1).is_empty());
    }
}
