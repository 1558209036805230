//! Rate limiting of repeated identical log lines. A failure that repeats in
//! a tight loop (the accept loop out of file descriptors, a flood of
//! refused connections) must not write millions of lines: the first one is
//! logged, then at most one per window, carrying how many identical lines
//! were held back ("repeated 12,345 times").
//!
//! [`LogGate`] is for one call site that knows its line; [`RepeatLimit`]
//! is a `tracing` layer for the whole process: each call site may log a
//! burst per window, and the next line it logs after a window says how
//! many it held back (a flood of dead letters, each naming a different
//! topic, is as loud as identical lines).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tracing::callsite::Identifier;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer};

/// What to do with a line offered to a [`LogGate`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gate {
    /// Hold it back: the same line was logged less than a window ago.
    Quiet,
    /// Log it. `repeated`: identical lines held back since the last one
    /// logged; `previous`: a different line that was being held back,
    /// and how many times, so its count is not lost.
    Log {
        /// Identical lines held back before this one.
        repeated: u64,
        /// The line this one replaces, with its held-back count, if any.
        previous: Option<(String, u64)>,
    },
}

/// Remembers the last line logged at one call site.
#[derive(Debug)]
pub struct LogGate {
    window: Duration,
    last: Option<(String, Instant, u64)>,
}

impl LogGate {
    /// A gate that logs a repeated line at most once per `window`.
    pub fn new(window: Duration) -> LogGate {
        LogGate { window, last: None }
    }

    /// Offers `line` at time `now`.
    pub fn offer(&mut self, line: &str, now: Instant) -> Gate {
        match &mut self.last {
            Some((held, logged, count)) if held == line => {
                if now.duration_since(*logged) < self.window {
                    *count += 1;
                    return Gate::Quiet;
                }
                let repeated = std::mem::take(count);
                *logged = now;
                Gate::Log {
                    repeated,
                    previous: None,
                }
            }
            _ => {
                let previous = self
                    .last
                    .replace((line.to_string(), now, 0))
                    .filter(|(_, _, count)| *count > 0)
                    .map(|(held, _, count)| (held, count));
                Gate::Log {
                    repeated: 0,
                    previous,
                }
            }
        }
    }
}

/// A `tracing` layer that holds back a call site's events past `burst`
/// per `window`: install it in front of the formatter
/// (`fmt().finish().with(RepeatLimit::default())`).
#[derive(Debug)]
pub struct RepeatLimit {
    window: Duration,
    burst: u32,
    sites: Mutex<HashMap<Identifier, Site>>,
}

#[derive(Debug)]
struct Site {
    start: Instant,
    logged: u32,
    held: u64,
}

impl Default for RepeatLimit {
    /// 20 lines per call site per 10 s.
    fn default() -> Self {
        RepeatLimit::new(Duration::from_secs(10), 20)
    }
}

impl RepeatLimit {
    /// At most `burst` events per call site per `window`.
    pub fn new(window: Duration, burst: u32) -> RepeatLimit {
        RepeatLimit {
            window,
            burst,
            sites: Mutex::new(HashMap::new()),
        }
    }

    /// Whether an event of `site` may be written at `now`, and how many
    /// of its events were held back in the window that just ended.
    fn admit(&self, site: Identifier, now: Instant) -> (bool, u64) {
        let Ok(mut sites) = self.sites.lock() else {
            return (true, 0);
        };
        let entry = sites.entry(site).or_insert(Site {
            start: now,
            logged: 0,
            held: 0,
        });
        let mut ended = 0;
        if now.duration_since(entry.start) >= self.window {
            ended = std::mem::take(&mut entry.held);
            entry.start = now;
            entry.logged = 0;
        }
        if entry.logged >= self.burst {
            entry.held += 1;
            return (false, ended);
        }
        entry.logged += 1;
        (true, ended)
    }
}

impl<S: Subscriber> Layer<S> for RepeatLimit {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        let meta = event.metadata();
        let (admitted, held) = self.admit(meta.callsite(), Instant::now());
        if held > 0 {
            // Call sites are static: this one is never held back by itself
            // for long, and the lock is not held here.
            tracing::warn!(
                "{} more lines like \"{}\" ({}:{}) held back in the last {:?}",
                thousands(held),
                meta.name(),
                meta.file().unwrap_or("?"),
                meta.line().unwrap_or(0),
                self.window
            );
        }
        admitted
    }
}

/// `12345` as `12,345`, for "repeated 12,345 times".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    // A separator before each digit that has a multiple of 3 after it.
    let mut next_group = (digits.len() + 2) % 3 + 1;
    for c in digits.chars() {
        if next_group == 0 {
            out.push(',');
            next_group = 3;
        }
        out.push(c);
        next_group -= 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_line_is_logged_once_per_window_with_its_count() {
        let mut gate = LogGate::new(Duration::from_secs(10));
        let t0 = Instant::now();
        let log = |repeated, previous| Gate::Log { repeated, previous };
        assert_eq!(gate.offer("emfile", t0), log(0, None));
        for i in 1..=12_345 {
            let t = t0 + Duration::from_micros(i);
            assert_eq!(gate.offer("emfile", t), Gate::Quiet);
        }
        let later = t0 + Duration::from_secs(11);
        assert_eq!(gate.offer("emfile", later), log(12_345, None));
        assert_eq!(gate.offer("emfile", later), Gate::Quiet);
        let other = gate.offer("other", later);
        assert_eq!(other, log(0, Some(("emfile".to_string(), 1))));
    }

    #[test]
    fn a_call_site_logs_a_burst_per_window_then_says_how_many_it_held() {
        use tracing::callsite::Callsite;
        struct Site;
        impl Callsite for Site {
            fn set_interest(&self, _: tracing::subscriber::Interest) {}
            fn metadata(&self) -> &tracing::Metadata<'_> {
                unreachable!("not asked in this test")
            }
        }
        static SITE: Site = Site;
        let limit = RepeatLimit::new(Duration::from_secs(10), 3);
        let id = || Identifier(&SITE);
        let t0 = Instant::now();
        let admitted: Vec<bool> = (0..10).map(|_| limit.admit(id(), t0).0).collect();
        assert_eq!(
            admitted,
            [true, true, true, false, false, false, false, false, false, false]
        );
        let later = t0 + Duration::from_secs(11);
        assert_eq!(limit.admit(id(), later), (true, 7));
        assert_eq!(limit.admit(id(), later), (true, 0));
    }

    #[test]
    fn counts_read_with_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(12_345), "12,345");
        assert_eq!(thousands(2_000_000), "2,000,000");
    }
}
