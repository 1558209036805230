//! Retrying a carrier call: exponential backoff with jitter, only for
//! errors that say asking again may help ([`CarrierError::retryable`]).
//!
//! Retrying a waybill request is safe because the adapters send our order
//! key as the platform's idempotency key (see the module above): a second
//! attempt after a timeout gets the number the first one bought. The sleep
//! is injectable so tests run without waiting.

use std::sync::Arc;
use std::time::Duration;

use super::CarrierError;

/// How a sleep is done; real time in the hub, recorded in tests.
pub type Sleeper = Arc<dyn Fn(Duration) + Send + Sync>;

/// How often and how patiently to ask.
#[derive(Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1 is made).
    pub attempts: u32,
    /// The pause before the second attempt; doubled after each.
    pub first_delay: Duration,
    /// The longest pause.
    pub max_delay: Duration,
    sleeper: Sleeper,
}

impl std::fmt::Debug for RetryPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RetryPolicy")
            .field("attempts", &self.attempts)
            .field("first_delay", &self.first_delay)
            .field("max_delay", &self.max_delay)
            .finish_non_exhaustive()
    }
}

impl Default for RetryPolicy {
    /// Four attempts, 500 ms then doubling, at most 8 s apart.
    fn default() -> Self {
        Self::new(4, Duration::from_millis(500), Duration::from_secs(8))
    }
}

impl RetryPolicy {
    /// A policy that sleeps for real.
    pub fn new(attempts: u32, first_delay: Duration, max_delay: Duration) -> Self {
        Self {
            attempts,
            first_delay,
            max_delay,
            sleeper: Arc::new(std::thread::sleep),
        }
    }

    /// The same policy sleeping with `sleeper` (a test's recorder).
    pub fn with_sleeper(mut self, sleeper: Sleeper) -> Self {
        self.sleeper = sleeper;
        self
    }

    /// The pause after failed attempt `attempt` (1-based), before jitter:
    /// `first_delay * 2^(attempt-1)`, capped at `max_delay`.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.first_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// "Equal jitter": half the backoff fixed, half random, so many hubs that
/// failed together do not come back together.
fn jittered(backoff: Duration) -> Duration {
    let half = backoff / 2;
    let mut bytes = [0u8; 8];
    let random = match getrandom::fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => 0,
    };
    let spread = u64::try_from(half.as_nanos()).unwrap_or(u64::MAX);
    let extra = if spread == 0 {
        0
    } else {
        random % (spread + 1)
    };
    half + Duration::from_nanos(extra)
}

/// Runs `op` until it succeeds, fails with an error that is not
/// retryable, or `policy.attempts` are spent; returns the last error.
/// Each retry is logged (warn) with `what`, the attempt and the error kind.
pub fn with_retries<T>(
    policy: &RetryPolicy,
    what: &str,
    mut op: impl FnMut() -> Result<T, CarrierError>,
) -> Result<T, CarrierError> {
    let attempts = policy.attempts.max(1);
    let mut attempt = 1;
    loop {
        let error = match op() {
            Ok(value) => return Ok(value),
            Err(error) => error,
        };
        if !error.retryable() || attempt >= attempts {
            if attempt > 1 {
                tracing::warn!(
                    what,
                    attempt,
                    kind = error.kind(),
                    "carrier call failed, giving up"
                );
            }
            return Err(error);
        }
        let delay = jittered(policy.backoff(attempt));
        tracing::warn!(
            what,
            attempt,
            of = attempts,
            kind = error.kind(),
            error = %error,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "carrier call failed, retrying"
        );
        (policy.sleeper)(delay);
        attempt += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A policy whose sleeps are recorded instead of slept.
    fn recorded(attempts: u32) -> (RetryPolicy, Arc<Mutex<Vec<Duration>>>) {
        let slept = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&slept);
        let policy = RetryPolicy::new(
            attempts,
            Duration::from_millis(100),
            Duration::from_millis(350),
        )
        .with_sleeper(Arc::new(move |d| log.lock().expect("test lock").push(d)));
        (policy, slept)
    }

    fn refused() -> CarrierError {
        CarrierError::Refused {
            code: "1001".into(),
            message: "bad address".into(),
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let (policy, _) = recorded(5);
        let got: Vec<u128> = (1..=5).map(|a| policy.backoff(a).as_millis()).collect();
        assert_eq!(got, [100, 200, 350, 350, 350]);
        assert_eq!(policy.backoff(200), Duration::from_millis(350));
    }

    #[test]
    fn transient_errors_are_retried_with_jittered_backoff() {
        let (policy, slept) = recorded(4);
        let mut errors = vec![CarrierError::Timeout, CarrierError::HttpStatus(503)].into_iter();
        let mut calls = 0;
        let got = with_retries(&policy, "test", || {
            calls += 1;
            errors.next().map_or(Ok("SF1"), Err)
        });
        assert_eq!(got, Ok("SF1"));
        assert_eq!(calls, 3);
        let slept = slept.lock().expect("test lock").clone();
        assert_eq!(slept.len(), 2);
        for (delay, backoff) in slept.iter().zip([100u64, 200]) {
            let ms = u64::try_from(delay.as_millis()).expect("small");
            assert!(
                (backoff / 2..=backoff).contains(&ms),
                "{ms} ms for a {backoff} ms backoff"
            );
        }
    }

    #[test]
    fn refusals_are_not_retried() {
        let (policy, slept) = recorded(4);
        let mut calls = 0;
        let got: Result<(), _> = with_retries(&policy, "test", || {
            calls += 1;
            Err(refused())
        });
        assert_eq!(got, Err(refused()));
        assert_eq!(calls, 1);
        assert!(slept.lock().expect("test lock").is_empty());
    }

    #[test]
    fn the_last_error_is_returned_when_attempts_run_out() {
        let (policy, slept) = recorded(3);
        let mut calls = 0u16;
        let got: Result<(), _> = with_retries(&policy, "test", || {
            calls += 1;
            Err(CarrierError::HttpStatus(500 + calls))
        });
        assert_eq!(got, Err(CarrierError::HttpStatus(503)));
        assert_eq!(slept.lock().expect("test lock").len(), 2);
    }

    #[test]
    fn zero_attempts_still_makes_one() {
        let (policy, _) = recorded(0);
        let mut calls = 0;
        let _ = with_retries(&policy, "test", || -> Result<(), _> {
            calls += 1;
            Err(CarrierError::Timeout)
        });
        assert_eq!(calls, 1);
    }

    #[test]
    fn which_errors_are_retryable() {
        let busy = CarrierError::Busy {
            code: "A1099".into(),
            message: String::new(),
        };
        let cases = [
            (CarrierError::Timeout, true),
            (CarrierError::Connect("refused".into()), true),
            (CarrierError::HttpStatus(500), true),
            (CarrierError::HttpStatus(429), true),
            (CarrierError::HttpStatus(404), false),
            (busy, true),
            (refused(), false),
            (CarrierError::Malformed("x".into()), false),
            (CarrierError::BadTracking { len: 41 }, false),
        ];
        for (error, want) in cases {
            assert_eq!(error.retryable(), want, "{error:?}");
        }
    }
}
