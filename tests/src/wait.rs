//! Waiting on a condition with a deadline, so tests never sleep and hope.

use std::time::{Duration, Instant};

/// Polls `condition` every 20 ms until it returns `Some`, or fails with
/// `what` after `timeout`.
pub fn wait_until<T>(
    what: &str,
    timeout: Duration,
    mut condition: impl FnMut() -> Option<T>,
) -> Result<T, String> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = condition() {
            return Ok(value);
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out after {timeout:?} waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
