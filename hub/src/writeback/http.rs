//! The JSON calls Shopee needs (POST with a JSON body, GET), beside the
//! form POST TOP and JOS take, which is the carriers' [`FormPoster`]
//! (`crate::carriers::http`). Both map transport failures the same way
//! ([`crate::carriers::http::map_error`]).
//!
//! Unlike the form poster this one hands back the status with the body:
//! Shopee answers some refusals (a wrong sign, an expired token) with an
//! HTTP 4xx *and* its JSON error, which is worth more than the status.
//!
//! [`FormPoster`]: crate::carriers::http::FormPoster

use std::time::{Duration, Instant};

use super::WritebackError;
use crate::carriers::http::map_error;

/// The largest answer read; a shipment answer is a few hundred bytes.
const MAX_ANSWER: u64 = 256 * 1024;

/// Sends JSON requests to one platform host.
pub(crate) struct JsonClient {
    agent: ureq::Agent,
    base: String,
}

impl std::fmt::Debug for JsonClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JsonClient")
            .field("base", &self.base)
            .finish()
    }
}

impl JsonClient {
    /// A client for `base` (scheme and host, no trailing slash) that gives
    /// up on any request after `timeout`.
    pub(crate) fn new(base: &str, timeout: Duration) -> Self {
        Self {
            agent: crate::carriers::http::agent(timeout),
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// POSTs `body` (JSON) to `path_and_query`; the status and the body.
    pub(crate) fn post(
        &self,
        platform: &str,
        path_and_query: &str,
        body: &str,
    ) -> Result<(u16, String), WritebackError> {
        let url = format!("{}{path_and_query}", self.base);
        let started = Instant::now();
        let response = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body);
        read(platform, started, response)
    }

    /// GETs `path_and_query`; the status and the body.
    pub(crate) fn get(
        &self,
        platform: &str,
        path_and_query: &str,
    ) -> Result<(u16, String), WritebackError> {
        let url = format!("{}{path_and_query}", self.base);
        let started = Instant::now();
        read(platform, started, self.agent.get(&url).call())
    }
}

fn read(
    platform: &str,
    started: Instant,
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<(u16, String), WritebackError> {
    let mut response = response.map_err(|e| WritebackError::from(map_error(e)))?;
    let status = response.status().as_u16();
    tracing::debug!(
        platform,
        status,
        elapsed_ms = crate::carriers::http::elapsed_ms(started),
        "platform answered"
    );
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER)
        .read_to_string()
        .map_err(|e| WritebackError::from(map_error(e)))?;
    Ok((status, body))
}
