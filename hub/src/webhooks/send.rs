//! One webhook request: the event's JSON posted to the hook's URL with
//! its signature and id, blocking (the worker runs it in
//! `spawn_blocking`), bounded by [`TIMEOUT`] as a whole, no redirects.

use super::{signature, Hook};
use hub_core::feed::{event_json, FeedEvent};
use std::time::{Duration, Instant};

/// The longest one request may take, connecting and answering included.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The most of an answer read (it is only drained, never used).
const MAX_ANSWER: u64 = 64 * 1024;

/// Why a receiver did not take an event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// It answered with a status other than 2xx.
    #[error("the receiver answered HTTP {0}")]
    Status(u16),
    /// No answer within [`TIMEOUT`].
    #[error("the receiver did not answer within {}s", TIMEOUT.as_secs())]
    Timeout,
    /// It could not be reached, or the exchange broke.
    #[error("cannot reach the receiver: {0}")]
    Transport(String),
}

/// Posts events; one agent shared by every request.
#[derive(Clone)]
pub struct Sender {
    agent: ureq::Agent,
}

impl Default for Sender {
    fn default() -> Sender {
        Sender {
            agent: crate::carriers::http::agent(TIMEOUT),
        }
    }
}

/// The request body of event `id`.
pub fn body(id: u64, event: &FeedEvent) -> String {
    event_json(id, event).to_string()
}

impl Sender {
    /// Posts event `id` to `hook`; `Ok` once the receiver answered 2xx.
    pub fn post(&self, hook: &Hook, id: u64, event: &FeedEvent) -> Result<(), DeliveryError> {
        let body = body(id, event);
        let started = Instant::now();
        let result = self
            .agent
            .post(&hook.url)
            .header("Content-Type", "application/json")
            .header("X-Wms-Event-Id", id.to_string())
            .header("X-Wms-Signature", signature(&hook.secret, body.as_bytes()))
            .send(body.as_bytes());
        let mut response = result.map_err(transport)?;
        let status = response.status().as_u16();
        // Drain a little so the connection can be reused; the answer's
        // content means nothing.
        let _ = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec();
        tracing::debug!(
            hook = hook.id,
            host = hook.host(),
            event = id,
            status,
            elapsed_ms = crate::carriers::http::elapsed_ms(started),
            "webhook answered"
        );
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(DeliveryError::Status(status))
        }
    }
}

fn transport(error: ureq::Error) -> DeliveryError {
    use crate::carriers::CarrierError;
    match crate::carriers::http::map_error(error) {
        CarrierError::Timeout => DeliveryError::Timeout,
        CarrierError::HttpStatus(code) => DeliveryError::Status(code),
        other => DeliveryError::Transport(other.to_string()),
    }
}
